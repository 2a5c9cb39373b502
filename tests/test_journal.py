"""A project's change survives ``kill -9`` at any step: the next run finishes or rolls it back, reports it, and leaves no temporary file.

Each test kills a real ``dmigrate`` process with SIGKILL at one step of the
write (through :data:`migrate.journal.step_reached`, set in that process
only), then looks at what the next run does.
"""

from __future__ import annotations

import os
import signal
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
    "docker create --name x app:build\n"
    "docker cp x:/out/app app\n"
    "docker rm x\n"
    "docker build -t app .\n"
)
FILES = {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME}
# The project's change writes Dockerfile and build.sh and deletes Dockerfile.build: three renames.
STEPS = ["journal", "staged", "committing", "renamed 1", "renamed 2", "renamed 3", "committed", "done"]
ROLLED_BACK = {"journal", "staged"}
FINISHED = {"committing", "renamed 1", "renamed 2", "renamed 3"}

_KILLED_RUN = """
import os, signal, sys
import migrate.journal
step = os.environ.pop("DMIGRATE_TEST_KILL_AT")
def kill_at(name):
    if name == step:
        os.kill(os.getpid(), signal.SIGKILL)
migrate.journal.step_reached = kill_at
from migrate.cli import main
main(sys.argv[1:])
"""


def dmigrate(*args: str, cwd: Path, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    if kill_at is None:
        command = [sys.executable, "-m", "migrate", *args]
    else:
        env["DMIGRATE_TEST_KILL_AT"] = kill_at
        command = [sys.executable, "-c", _KILLED_RUN, *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)


def tree(root: Path) -> dict[str, bytes]:
    """Every file, temporary ones and the journal included; git's own files but its journal left out."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and (".git" not in p.parts or "dmigrate" in p.parts)
    }


def project(root: Path, in_git: bool) -> Path:
    return make_project(root, dict(FILES), commit=in_git)


def journals(root: Path, in_git: bool) -> list[Path]:
    directory = root / (".git/dmigrate" if in_git else ".dmigrate")
    return sorted(directory.glob("*")) if directory.is_dir() else []


@pytest.fixture(params=[True, False], ids=["in git", "outside git"])
def in_git(request) -> bool:
    return request.param


def options(in_git: bool) -> list[str]:
    return [] if in_git else ["--allow-dirty"]


@pytest.fixture
def migrated(tmp_path, in_git) -> dict[str, bytes]:
    """The project as an uninterrupted run leaves it."""
    root = project(tmp_path / "clean", in_git)
    done = dmigrate(*options(in_git), ".", cwd=root)
    assert done.returncode == 0, done.stderr
    return tree(root)


@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_each_step_is_settled_as_a_unit(tmp_path, in_git, migrated, step):
    from migrate import journal

    root = project(tmp_path / "p", in_git)
    original = tree(root)
    killed = dmigrate(*options(in_git), ".", cwd=root, kill_at=step)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if step == "done":
        assert tree(root) == migrated and not journals(root, in_git), "a finished write leaves nothing behind"
        return
    assert journals(root, in_git), "the killed run left its journal"
    if step != "journal":
        assert tree(root) not in (original, migrated) or step == "committed", "the kill left the project half way"

    settled = journal.settle(os.path.realpath(root))
    (item,) = settled
    expected = {**{s: "rolled back" for s in ROLLED_BACK}, **{s: "finished" for s in FINISHED}, "committed": "cleaned up"}[step]
    assert item.done == expected, item.message
    assert tree(root) == (original if step in ROLLED_BACK else migrated), "the project is as before the run, or as after it"
    assert not journals(root, in_git)
    assert not [name for name in tree(root) if ".dmigrate" in name], "no temporary file survives"


@pytest.mark.parametrize("step", ["staged", "renamed 2", "committed"])
def test_the_next_run_settles_first_reports_and_then_migrates(tmp_path, in_git, migrated, step):
    root = project(tmp_path / "p", in_git)
    dmigrate(*options(in_git), ".", cwd=root, kill_at=step)
    waiting = tree(root)
    for read_only in (["--dry-run"], ["--check"], ["--explain"]):
        result = dmigrate(*read_only, *options(in_git), ".", cwd=root)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "an interrupted migration of this project waits in this journal" in result.stdout + result.stderr
        assert tree(root) == waiting, "a run that writes nothing settles nothing"
    result = dmigrate(*options(in_git), ".", cwd=root)
    assert result.returncode == 0, result.stderr
    done = {"staged": "rolled back", "renamed 2": "finished", "committed": "cleaned up"}[step]
    assert f": {done} the interrupted migration of " in result.stderr
    assert tree(root) == migrated
    again = dmigrate("--check", *options(in_git), ".", cwd=root)
    assert again.returncode == 0, again.stderr


def test_a_named_driver_and_the_library_entry_settle_too(tmp_path, migrated):
    from migrate.migration import Options, migrate_driver

    root = project(tmp_path / "p", True)
    dmigrate("build.sh", cwd=root, kill_at="renamed 1")
    outcome = migrate_driver(root / "build.sh", Options(write=True))
    assert outcome.status == "nothing to do", outcome
    assert any("finished the interrupted migration" in message for message in outcome.settled)
    assert tree(root) == migrated


def test_a_file_changed_since_the_kill_stops_the_settling_and_nothing_more_changes(tmp_path):
    root = project(tmp_path / "p", True)
    dmigrate(".", cwd=root, kill_at="renamed 1")
    (root / "build.sh").write_text("#!/bin/sh\necho edited by hand\n")
    stuck = tree(root)
    result = dmigrate(".", cwd=root)
    assert result.returncode == 2
    assert "cannot be settled" in result.stderr and "build.sh changed since" in result.stderr
    assert tree(root) == stuck, "the journal stays, and so does every file"


def test_a_killed_write_in_one_repository_is_settled_when_a_directory_above_is_migrated(tmp_path, migrated):
    org = tmp_path / "org"
    root = project(org / "alpha", True)
    dmigrate(".", cwd=root, kill_at="renamed 2")
    dmigrate(".", cwd=project(org / "beta", True), kill_at="renamed 1")
    result = dmigrate(".", cwd=org)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("finished the interrupted migration") == 2
    assert tree(root) == migrated and tree(org / "beta") == migrated
