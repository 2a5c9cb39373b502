"""git never runs a program the repository's configuration names: fsmonitor, clean filters, index hooks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import make_project

BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"
DRIVER = (
    "#!/bin/sh\n"
    "docker build -t app:build -f Dockerfile.build .\n"
    "docker create --name c app:build\n"
    "docker cp c:/out/app app\n"
    "docker rm c\n"
    "docker build -t app .\n"
)


def dmigrate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def hostile_project(root: Path, marker: Path) -> Path:
    """A clean, committed project whose .git/config has git run a script (that leaves ``marker``) in every way it can."""
    project = make_project(root, {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    script = root.parent / "evil.sh"
    script.write_text(f'#!/bin/sh\necho "$0 $*" >> {marker}\ncat\n')
    script.chmod(0o755)
    hook_dir = project / ".git" / "hooks"
    hook_dir.mkdir(exist_ok=True)
    for hook in ("post-index-change", "pre-commit", "post-checkout"):
        (hook_dir / hook).write_text(f"#!/bin/sh\necho hook >> {marker}\n")
        (hook_dir / hook).chmod(0o755)
    with open(project / ".git" / "config", "a") as config:
        config.write(
            f"[core]\n\tfsmonitor = {script}\n\thooksPath = {hook_dir}\n"
            f'[filter "evil"]\n\tclean = {script} clean\n\tsmudge = {script} smudge\n\trequired = true\n'
            f'[filter "evil.two"]\n\tprocess = {script} process\n'
            f"[diff]\n\texternal = {script}\n"
        )
    (project / ".git" / "info").mkdir(exist_ok=True)
    (project / ".git" / "info" / "attributes").write_text("* filter=evil\n*.build filter=evil.two\n")
    # New timestamps make git hash the contents again, which is when it runs a clean filter.
    for name in ("build.sh", "Dockerfile", "Dockerfile.build"):
        os.utime(project / name, (1, 1))
    return project


def test_plain_git_status_would_run_the_repository_programs(tmp_path):
    """The control: the project really is hostile to a git run as usual."""
    marker = tmp_path / "ran"
    project = hostile_project(tmp_path / "p", marker)
    subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, check=False)
    assert marker.exists()


def test_writing_in_place_runs_nothing_of_the_repository(tmp_path):
    marker = tmp_path / "ran"
    project = hostile_project(tmp_path / "p", marker)
    result = dmigrate("build.sh", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "migrated" in result.stderr
    assert not (project / "Dockerfile.build").exists()
    assert not marker.exists(), marker.read_text()


def test_the_check_still_finds_uncommitted_work(tmp_path):
    marker = tmp_path / "ran"
    project = hostile_project(tmp_path / "p", marker)
    with open(project / "Dockerfile", "a") as dockerfile:
        dockerfile.write("# local edit\n")
    before = {name: (project / name).read_bytes() for name in ("build.sh", "Dockerfile", "Dockerfile.build")}
    result = dmigrate("build.sh", cwd=project)
    assert result.returncode == 2
    assert "Dockerfile: refused: has uncommitted changes" in result.stderr
    assert {name: (project / name).read_bytes() for name in before} == before
    assert not marker.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="making a repository owned by another user needs root")
def test_dubious_ownership_says_what_git_said_and_not_to_force_it(tmp_path):
    project = make_project(tmp_path / "p", {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    for path in [project, *project.rglob("*")]:
        os.lchown(path, 65534, 65534)
    before = {name: (project / name).read_bytes() for name in ("build.sh", "Dockerfile", "Dockerfile.build")}
    result = dmigrate("build.sh", cwd=project)
    assert result.returncode == 2
    assert "dubious ownership" in result.stderr
    assert "not inside a git work tree" not in result.stderr
    assert "--allow-dirty" not in result.stderr
    assert {name: (project / name).read_bytes() for name in before} == before


def test_outside_git_still_advises_allow_dirty(tmp_path):
    project = make_project(tmp_path / "p", {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME}, commit=False)
    result = dmigrate("build.sh", cwd=project)
    assert result.returncode == 2
    assert "not inside a git work tree; pass --allow-dirty" in result.stderr


def test_a_gitignore_fifo_is_an_error_before_git_opens_it(tmp_path):
    project = make_project(tmp_path / "p", {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    os.mkfifo(project / ".gitignore")
    result = dmigrate("build.sh", cwd=project)
    assert result.returncode == 2
    assert ".gitignore: error: the .gitignore is a FIFO, not a regular file" in result.stderr
    assert (project / "Dockerfile.build").exists()
