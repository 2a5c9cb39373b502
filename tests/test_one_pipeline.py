"""One pipeline, one write path: every mode comes to the same result, and every write is checked the same way.

``--explain`` renders what :func:`migrate.migration.migrate_driver` made, so a
refusal raised late (a build Dockerfile another file names, the classic
builder with ``COPY --chmod``, a symlinked file to change, two projects that
change one file) refuses there as in ``--dry-run``.  The default command, the
library entry and ``--verify`` all write through
:func:`migrate.change.apply_changes`, which checks the targets (symlinks,
outside the root) and cleanliness first.
"""

from __future__ import annotations

import json
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
    "docker create --name x app:build\n"
    "docker cp x:/out/app app\n"
    "docker rm x\n"
    "docker build -t app .\n"
)
STDOUT_DRIVER = (
    "#!/bin/sh\nexport DOCKER_BUILDKIT=0\n"
    "docker build -f Dockerfile.build -t app:build .\n"
    "docker run --rm app:build cat /out/report.txt > report.txt\n"
    "docker build -t app .\n"
)

PROJECTS = {
    "a build Dockerfile another file names": {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME, "ci.yml": "run: docker build -f Dockerfile.build .\n"},
    "the classic builder with COPY --chmod": {
        "build.sh": STDOUT_DRIVER,
        "Dockerfile.build": "FROM alpine:3.19\nRUN mkdir /out && echo hi > /out/report.txt\n",
        "Dockerfile": "FROM alpine:3.19\nCOPY report.txt /report.txt\n",
    },
    "a symlinked Dockerfile to change": {"build.sh": DRIVER, "Dockerfile.build": BUILD, "real/Dockerfile": RUNTIME, "Dockerfile": "-> real/Dockerfile"},
    "two projects that change one file": {
        "a/build.sh": DRIVER.replace("Dockerfile.build", "../Dockerfile.build"),
        "b/build.sh": DRIVER.replace("Dockerfile.build", "../Dockerfile.build"),
        "Dockerfile.build": BUILD,
        "a/Dockerfile": RUNTIME,
        "b/Dockerfile": RUNTIME,
    },
    "a migration": {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME},
}


def lay_out(root: Path, files: dict[str, str]) -> Path:
    links = {name: text[3:] for name, text in files.items() if text.startswith("-> ")}
    make_project(root, {name: text for name, text in files.items() if name not in links}, commit=False)
    for name, target in links.items():
        (root / name).symlink_to(target)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "p"], check=True)
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def dmigrate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})


@pytest.mark.parametrize("name", PROJECTS)
def test_explain_comes_to_the_result_the_dry_run_comes_to(tmp_path, name):
    root = lay_out(tmp_path / "p", PROJECTS[name])
    before = tree(root)
    dry = dmigrate("--dry-run", "--format", "json", ".", cwd=root)
    explained = dmigrate("--explain", "--format", "json", ".", cwd=root)
    text = dmigrate("--explain", ".", cwd=root)
    assert tree(root) == before
    entries = json.loads(dry.stdout)["projects"]
    items = json.loads(explained.stdout)["projects"]
    assert [item["driver"] for item in items] == [entry["driver"] for entry in entries]
    for entry, item in zip(entries, items):
        expected = "migration" if entry["status"] == "pending" else entry["status"]
        assert item["result"] == expected, (entry, item)
        if entry["status"] == "refused":
            assert item["refusal"] == f"{entry['location']}: {entry['message']}"
            assert item["builds"], "a refused project still shows what was traced"
    assert explained.returncode == text.returncode == dry.returncode
    assert dry.returncode == (0 if name == "a migration" else 2)


@pytest.mark.parametrize("name", [name for name in PROJECTS if name != "a migration"])
def test_the_library_entry_refuses_what_the_command_refuses_and_writes_nothing(tmp_path, name):
    from migrate.migration import Options, migrate_driver

    root = lay_out(tmp_path / "p", PROJECTS[name])
    before = tree(root)
    driver = root / ("a/build.sh" if name == "two projects that change one file" else "build.sh")
    outcome = migrate_driver(driver, Options(write=True))
    if name == "two projects that change one file":
        # One driver on its own changes no file another plan of the same run changes: it is migrated.
        assert outcome.status == "migrated"
        return
    assert outcome.status == "refused", outcome
    assert tree(root) == before
    assert (root / "Dockerfile").is_symlink() == (name == "a symlinked Dockerfile to change")


def test_every_writer_goes_through_the_one_write_path(tmp_path, monkeypatch):
    import migrate.change
    from migrate import batch
    from migrate.migration import Options, migrate_driver
    from migrate.verify.run import ProjectCopy, VerifyOptions, migrate_copy

    calls: list[str] = []
    real = migrate.change.apply_changes

    def recording(changes, root, **options):
        calls.append(root)
        return real(changes, root, **options)

    monkeypatch.setattr(migrate.change, "apply_changes", recording)
    first = lay_out(tmp_path / "library", PROJECTS["a migration"])
    assert migrate_driver(first / "build.sh", Options(write=True)).status == "migrated"
    second = lay_out(tmp_path / "batch", PROJECTS["a migration"])
    monkeypatch.chdir(second)
    result = batch.run([Path(".")], keep_changes=True, jobs=1)
    from migrate.writes import write_all

    write_all(result.entries, result.changes, result.roots, allow_dirty=False)
    assert result.entries[0]["status"] == "migrated"
    third = lay_out(tmp_path / "verify", PROJECTS["a migration"])
    assert migrate_copy(third / "build.sh", VerifyOptions(), ProjectCopy(third, third, True)).status == "migrated"
    assert calls == [os.path.realpath(path) for path in (first, second, third)]


def test_the_one_write_path_checks_its_targets_itself(tmp_path):
    from migrate.change import apply_changes
    from migrate.errors import Refusal
    from migrate.plan import FileChange

    root = lay_out(tmp_path / "p", PROJECTS["a symlinked Dockerfile to change"])
    outside = make_project(tmp_path / "other", {"Dockerfile": RUNTIME})
    before, before_outside = tree(root), tree(outside)
    for path, fragment in ((root / "Dockerfile", "it is a symlink to"), (outside / "Dockerfile", "lies outside the project root")):
        with pytest.raises(Refusal, match=fragment):
            apply_changes([FileChange(path, RUNTIME, "FROM scratch\n")], os.path.realpath(root), allow_dirty=True)
    assert tree(root) == before and tree(outside) == before_outside
