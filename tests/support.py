"""Helpers shared by the tests: small projects on disk, committed to git."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from migrate.migration import Options, Outcome, migrate_driver

GIT_IDENTITY = ["-c", "user.name=dmigrate tests", "-c", "user.email=tests@dmigrate.invalid", "-c", "commit.gpgsign=false"]


def d(text: str) -> str:
    """A triple-quoted block without its indentation and leading newline (short: every case table uses it)."""
    return textwrap.dedent(text).lstrip("\n")


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n") if text.startswith("\n") else text)
        if name.endswith(".sh"):
            path.chmod(0o755)


def git_commit_all(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), *GIT_IDENTITY, "commit", "-qm", "project"], check=True)


def make_project(root: Path, files: dict[str, str], *, commit: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_files(root, files)
    if commit:
        git_commit_all(root)
    return root


def migrate(driver: Path, **options) -> Outcome:
    """The migration as a dry run: nothing is written."""
    return migrate_driver(driver, Options(write=False, **options))


def project_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` outside ``.git``, by relative path: its bytes, or for a symlink where it points."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] == ".git":
            continue
        if path.is_symlink():
            found[str(relative)] = b"-> " + str(path.readlink()).encode()
        elif path.is_file():
            found[str(relative)] = path.read_bytes()
        else:
            found[str(relative)] = b"<directory>"
    return found


def migrate_leaving_disk_unchanged(driver: Path, **options) -> Outcome:
    """The migration run for real (it writes what it decides); the project's files must come out byte for byte the same.

    For refusals and "nothing to do": an assertion on ``outcome.changes`` cannot fail, this can.
    """
    root = next((parent for parent in driver.resolve().parents if (parent / ".git").exists()), driver.resolve().parent)
    before = project_bytes(root)
    outcome = migrate_driver(driver, Options(write=True, **options))
    assert project_bytes(root) == before, f"{outcome.status}: the project changed on disk"
    return outcome


def texts_after(outcome: Outcome, root: Path) -> dict[str, str | None]:
    """The new text of every changed file, by path relative to the project (None: deleted)."""
    return {str(Path(change.path).resolve().relative_to(root.resolve())): change.after for change in outcome.changes}
