"""Hostile files in one repository of a batch: devices, FIFOs, loops, huge files, unreadable directories.

Each is that project's error, with a clear reason; the other projects of the
batch are migrated as usual, and dmigrate never hangs.  dmigrate runs in a
subprocess with a timeout and a memory limit, so that a regression fails
quickly instead of hanging or eating the machine's memory.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from support import make_project

BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"
MEMORY_LIMIT = 2 << 30


def driver(tag: str, dockerfile: str = "Dockerfile.build") -> str:
    return (
        "#!/bin/sh\n"
        f"docker build -t {tag}:build -f {dockerfile} .\n"
        f"docker create --name {tag}-x {tag}:build\n"
        f"docker cp {tag}-x:/out/app app\n"
        f"docker rm {tag}-x\n"
        f"docker build -t {tag} .\n"
    )


def project_files(tag: str) -> dict[str, str]:
    return {"build.sh": driver(tag), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME}


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def dmigrate(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout, preexec_fn=_limited
    )


def entries(result: subprocess.CompletedProcess) -> dict[str, dict]:
    assert "Traceback" not in result.stderr, result.stderr
    return {entry["driver"]: entry for entry in json.loads(result.stdout)["projects"]}


@pytest.fixture
def org(tmp_path) -> Path:
    root = tmp_path / "org"
    make_project(root / "good", project_files("good"))
    return root


def test_an_exclude_file_that_is_dev_zero_is_that_repository_error(org):
    bad = make_project(org / "bad", project_files("bad"))
    exclude = bad / ".git" / "info" / "exclude"
    exclude.unlink(missing_ok=True)
    exclude.parent.mkdir(exist_ok=True)
    exclude.symlink_to("/dev/zero")
    result = dmigrate("--dry-run", "--format", "json", ".", cwd=org)
    found = entries(result)
    assert found["good/build.sh"]["status"] == "pending"
    assert found["bad"]["status"] == "error"
    assert found["bad"]["location"] == "bad/.git/info/exclude"
    assert "a character device, not a regular file" in found["bad"]["message"]
    assert "not searched" in found["bad"]["message"]
    assert result.returncode == 2


def test_a_gitignore_symlink_counts_for_nothing_as_in_git(org):
    """git (2.32 on) does not follow a symlinked .gitignore; dmigrate neither reads it nor lets it stop the batch."""
    other = make_project(org / "other", project_files("other"))
    (other / ".gitignore").symlink_to("/dev/zero")
    result = dmigrate("--dry-run", "--format", "json", ".", cwd=org)
    found = entries(result)
    assert found["good/build.sh"]["status"] == "pending"
    assert found["other/build.sh"]["status"] == "pending"


def test_a_gitignore_symlink_to_rules_is_not_followed_as_in_git(org, tmp_path):
    other = make_project(org / "other", {f"sub/{name}": text for name, text in project_files("sub").items()})
    rules = tmp_path / "shared-ignore"
    rules.write_text("sub/\n")
    (other / ".gitignore").symlink_to(rules)
    listed = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=other, capture_output=True, text=True).stdout
    assert "!! sub/" not in listed  # git itself does not apply the linked rules
    found = entries(dmigrate("--dry-run", "--format", "json", ".", cwd=org))
    assert found["other/sub/build.sh"]["status"] == "pending"


def test_a_gitignore_fifo_is_that_directory_error_not_a_hang(org):
    other = make_project(org / "other", project_files("other"))
    os.mkfifo(other / "sub.gitignore")
    (other / "nested").mkdir()
    os.mkfifo(other / "nested" / ".gitignore")
    result = dmigrate("--dry-run", "--format", "json", ".", cwd=org, timeout=30)
    found = entries(result)
    assert found["good/build.sh"]["status"] == "pending"
    assert found["other/build.sh"]["status"] == "pending"
    assert found["other/nested"]["status"] == "error"
    assert found["other/nested"]["location"] == "other/nested/.gitignore"
    assert "a FIFO, not a regular file" in found["other/nested"]["message"]


def test_a_huge_driver_is_that_project_error(org):
    huge = make_project(org / "huge", {**project_files("huge"), "build.sh": driver("huge") + "# padding\n" * 120_000})
    assert (huge / "build.sh").stat().st_size > 1 << 20
    found = entries(dmigrate("--dry-run", "--format", "json", ".", cwd=org))
    assert found["good/build.sh"]["status"] == "pending"
    assert found["huge/build.sh"]["status"] == "error"
    assert "dmigrate reads files of at most 1.0 MiB" in found["huge/build.sh"]["message"]


def test_a_huge_dockerfile_is_that_project_error(org):
    make_project(org / "huge", {**project_files("huge"), "Dockerfile.build": BUILD + "# padding\n" * 120_000})
    found = entries(dmigrate("--dry-run", "--format", "json", ".", cwd=org))
    assert found["good/build.sh"]["status"] == "pending"
    assert found["huge/build.sh"]["status"] == "error"
    assert found["huge/build.sh"]["location"] == "huge/Dockerfile.build"
    assert "1.0 MiB" in found["huge/build.sh"]["message"]


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda path: os.mkfifo(path), "the Dockerfile is a FIFO, not a regular file"),
        (lambda path: path.symlink_to(path.name), "the Dockerfile is a symlink loop"),
        # A link out of the project is refused as such, before anything looks at what it leads to.
        (lambda path: path.symlink_to("/dev/zero"), "lies outside the project root"),
    ],
    ids=["fifo", "loop", "device"],
)
def test_a_dockerfile_that_is_no_regular_file_is_said_as_it_is(tmp_path, make, said):
    project = make_project(tmp_path / "p", {"build.sh": driver("p", "Dockerfile.odd"), "Dockerfile": RUNTIME})
    make(project / "Dockerfile.odd")
    result = dmigrate("--dry-run", "--format", "json", "build.sh", cwd=project, timeout=30)
    entry = entries(result)["build.sh"]
    if "outside" in said:
        assert entry["status"] == "refused" and entry["location"] == "build.sh:2"
    else:
        assert entry["status"] == "error" and entry["location"] == "Dockerfile.odd"
    assert said in entry["message"]
    assert "does not exist" not in entry["message"]


def test_a_dangling_dockerfile_still_does_not_exist(tmp_path):
    project = make_project(tmp_path / "p", {"build.sh": driver("p", "Dockerfile.gone"), "Dockerfile": RUNTIME})
    (project / "Dockerfile.gone").symlink_to("nowhere")
    entry = entries(dmigrate("--dry-run", "--format", "json", "build.sh", cwd=project))["build.sh"]
    assert entry["status"] in ("refused", "error")
    assert "does not exist" in entry["message"]


def test_a_dockerignore_fifo_is_an_error_not_a_hang(tmp_path):
    project = make_project(tmp_path / "p", project_files("p"))
    os.mkfifo(project / ".dockerignore")
    entry = entries(dmigrate("--dry-run", "--format", "json", "build.sh", cwd=project, timeout=30))["build.sh"]
    assert entry["status"] == "error"
    assert entry["location"] == ".dockerignore"
    assert "FIFO" in entry["message"]


def test_a_git_config_fifo_is_that_project_error_not_a_hang(tmp_path):
    project = make_project(tmp_path / "p", project_files("p"))
    (project / ".git" / "config").unlink()
    os.mkfifo(project / ".git" / "config")
    entry = entries(dmigrate("--dry-run", "--format", "json", "build.sh", cwd=project, timeout=30))["build.sh"]
    assert entry["status"] == "error"
    assert entry["location"] == ".git/config"
    assert "the git config is a FIFO" in entry["message"]


def test_a_sourced_fifo_is_not_read(tmp_path):
    project = make_project(tmp_path / "p", {**project_files("p"), "build.sh": "#!/bin/sh\n. ./env.sh\n" + driver("p").split("\n", 1)[1]})
    os.mkfifo(project / "env.sh")
    result = dmigrate("--dry-run", "--format", "json", "build.sh", cwd=project, timeout=30)
    assert entries(result)["build.sh"]["status"] in ("pending", "refused", "error")


def test_an_unlistable_directory_is_an_error_and_check_does_not_pass(org, monkeypatch, capsys):
    """As root every directory can be listed, so the failure is made where the walk lists one."""
    from migrate import batch
    from migrate.report import exit_code_of

    (org / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("/locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.chdir(org)
    monkeypatch.setattr(batch.os, "scandir", scandir)
    result = batch.run([Path(".")], jobs=1)
    by_driver = {entry["driver"]: entry for entry in result.entries}
    assert by_driver["good/build.sh"]["status"] == "pending"
    locked = by_driver["locked"]
    assert locked["status"] == "error"
    assert "cannot list this directory (Permission denied)" in locked["message"]
    assert exit_code_of([entry["status"] for entry in result.entries], check=True) == 2


def test_the_opener_never_opens_what_is_no_regular_file(tmp_path, monkeypatch):
    """A FIFO is refused from its stat, before any open: opening one would wait for a writer."""
    from migrate.read import files

    fifo = tmp_path / "Dockerfile"
    os.mkfifo(fifo)
    opened = []
    real_open = os.open
    monkeypatch.setattr(files.os, "open", lambda *args, **kw: opened.append(args) or real_open(*args, **kw))
    with pytest.raises(files.UnreadableFile, match="FIFO"):
        files.read_project_bytes(fifo, what="Dockerfile")
    assert opened == []
