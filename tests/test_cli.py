"""The dmigrate command as a user runs it: exit codes, output streams, writes and git safety."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import make_project

REPOSITORY = Path(__file__).resolve().parents[1]
SAMPLE = REPOSITORY / "samples" / "href-counter"

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
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path / "project", {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})


def test_dry_run_prints_a_patch_git_applies_and_writes_nothing(project):
    before = {p.name: p.read_text() for p in project.iterdir() if p.is_file()}
    result = dmigrate("--dry-run", "build.sh", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("diff --git a/Dockerfile b/Dockerfile\n")
    assert "deleted file mode 100644\n--- a/Dockerfile.build\n+++ /dev/null\n" in result.stdout
    assert {p.name: p.read_text() for p in project.iterdir() if p.is_file()} == before
    applied = subprocess.run(["git", "apply", "-"], input=result.stdout, cwd=project, text=True, capture_output=True)
    assert applied.returncode == 0, applied.stderr
    assert not (project / "Dockerfile.build").exists()
    assert "COPY --from=builder /out/app /usr/local/bin/app" in (project / "Dockerfile").read_text()


def test_dry_run_paths_are_relative_to_where_it_runs(project):
    result = dmigrate("--dry-run", "project/build.sh", cwd=project.parent)
    assert "diff --git a/project/Dockerfile b/project/Dockerfile" in result.stdout
    applied = subprocess.run(["git", "apply", "--check", "-"], input=result.stdout, cwd=project.parent, text=True, capture_output=True)
    assert applied.returncode == 0, applied.stderr


def test_a_patch_that_names_files_outside_where_it_runs_says_so(project):
    (project / "elsewhere").mkdir()
    result = dmigrate("--dry-run", "../build.sh", cwd=project / "elsewhere")
    assert result.returncode == 0
    assert "diff --git a/../Dockerfile b/../Dockerfile" in result.stdout
    assert "warning: the patch names ../Dockerfile, outside the directory dmigrate ran in" in result.stderr
    assert "warning: the patch" not in dmigrate("--dry-run", "build.sh", cwd=project).stderr


def test_default_applies_the_migration(project):
    result = dmigrate("build.sh", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "migrated build.sh" in result.stderr
    assert not (project / "Dockerfile.build").exists()
    assert (project / "build.sh").read_text() == "#!/bin/sh\ndocker build -t app .\n"
    assert os.access(project / "build.sh", os.X_OK), "the driver keeps its executable bit"
    again = dmigrate("build.sh", cwd=project)
    assert again.returncode == 0
    assert "nothing to do" in again.stderr


def test_directory_argument_finds_the_driver(project):
    result = dmigrate("--check", ".", cwd=project)
    assert result.returncode == 1
    assert "would migrate build.sh" in result.stderr


def test_check_exits_1_when_pending_and_0_when_done(project):
    assert dmigrate("--check", "build.sh", cwd=project).returncode == 1
    assert dmigrate("build.sh", cwd=project).returncode == 0
    assert dmigrate("--check", "build.sh", cwd=project).returncode == 0


def test_keep_legacy_keeps_the_build_dockerfile(project):
    assert dmigrate("--keep-legacy", "build.sh", cwd=project).returncode == 0
    assert (project / "Dockerfile.build").read_text() == BUILD


def test_refuses_uncommitted_changes_and_writes_nothing(project):
    (project / "Dockerfile").write_text(RUNTIME + "# local edit\n")
    result = dmigrate("build.sh", cwd=project)
    assert result.returncode == 2
    assert "Dockerfile: refused: has uncommitted changes" in result.stderr
    assert (project / "Dockerfile.build").exists()
    assert (project / "build.sh").read_text() == DRIVER
    assert dmigrate("--allow-dirty", "build.sh", cwd=project).returncode == 0
    assert "# local edit" in (project / "Dockerfile").read_text()


def test_refuses_files_outside_git(tmp_path):
    root = make_project(tmp_path / "plain", {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME}, commit=False)
    result = dmigrate("build.sh", cwd=root)
    assert result.returncode == 2
    assert "not inside a git work tree" in result.stderr
    assert (root / "Dockerfile.build").exists()
    assert dmigrate("--allow-dirty", "build.sh", cwd=root).returncode == 0
    assert not (root / "Dockerfile.build").exists()


def test_refusal_names_file_and_line_and_exits_2(project):
    (project / "build.sh").write_text(DRIVER.replace("docker cp c:/out/app app\n", "eval docker cp c:/out/app app\n"))
    subprocess.run(["git", "-C", str(project), "commit", "-qam", "eval", "--author=t <t@t>"], check=True, env={**os.environ, "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})
    result = dmigrate("build.sh", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith("build.sh:4: refused: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.sh"], "missing.sh: error: no such file or directory"),
        (["--dry-run", "--check", "build.sh"], "cannot be used together"),
        ([""], "an empty PATH names nothing"),
        (["--check", "build.sh", ""], "an empty PATH names nothing"),
    ],
)
def test_bad_input_is_a_clear_error(project, args, message):
    result = dmigrate(*args, cwd=project)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert (project / "Dockerfile.build").exists() and (project / "build.sh").read_text() == DRIVER


@pytest.mark.parametrize("mode", ["--dry-run", "--check", "--explain"])
@pytest.mark.parametrize("named", ["fifo.sh", "/dev/zero", "/dev/null"])
def test_a_named_path_that_is_no_regular_file_is_an_error_not_a_hang(tmp_path, mode, named):
    os.mkfifo(tmp_path / "fifo.sh")
    result = dmigrate(mode, named, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "not a regular file" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00garbage", b"#!/bin/sh\ndocker build -t x -f \n", b"#!/bin/sh\nif then fi\n", b"docker build -t a:b -f Dockerfile.build .\n"],
)
def test_garbage_never_gives_a_traceback(tmp_path, content):
    (tmp_path / "build.sh").write_bytes(content)
    (tmp_path / "Dockerfile.build").write_bytes(b"\x00\x01 not a dockerfile")
    result = dmigrate("--dry-run", "build.sh", cwd=tmp_path)
    assert result.returncode in (0, 2)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, code",
    [
        (["--dry-run"], 0),
        (["--check", "--format", "json"], 1),
        (["--check", "--format", "sarif"], 1),
        (["--explain"], 0),
        (["--explain", "--format", "json", "build.sh", "missing.sh"], 2),
    ],
)
def test_a_reader_that_went_away_changes_no_exit_code(project, args, code):
    reader, writer = os.pipe()
    os.close(reader)
    try:
        paths = [] if args[-1].endswith(".sh") else ["build.sh"]
        done = subprocess.run([sys.executable, "-m", "migrate", *args, *paths], cwd=project, stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(writer)
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_json_report(project):
    result = dmigrate("--dry-run", "--format", "json", "build.sh", cwd=project)
    assert result.returncode == 0
    report = json.loads(result.stdout)
    (entry,) = report["projects"]
    assert entry["driver"] == "build.sh"
    assert entry["status"] == "pending"
    assert entry["stages"] == [
        {"name": "builder", "role": "build", "dockerfile": "Dockerfile.build"},
        {"name": None, "role": "final", "dockerfile": "Dockerfile"},
    ]
    (artifact,) = entry["artifacts"]
    assert artifact["container_path"] == "/out/app"
    assert artifact["consumers"][0]["at"] == "Dockerfile:2"
    assert entry["diff"].startswith("diff --git")


def test_sample_gives_the_documented_result(tmp_path):
    result = dmigrate("--dry-run", str(SAMPLE / "build.sh"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "+FROM golang:1.7.3 AS builder\n" in result.stdout
    assert "+COPY --from=builder /go/src/github.com/alexellis/href-counter/app .\n" in result.stdout


def test_help_and_version():
    result = subprocess.run([sys.executable, "-m", "migrate", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for option in ("--dry-run", "--check", "--allow-dirty", "--keep-legacy", "--format"):
        assert option in result.stdout
    assert "1 --check found a pending migration or --verify a difference" in " ".join(result.stdout.split())
    version = subprocess.run([sys.executable, "-m", "migrate", "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("dmigrate ")
