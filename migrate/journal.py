"""One project's change as a unit that survives being killed half way: the journal.

Each file is replaced atomically (a rename), but a project's change is several
files.  Before the first of them changes, a journal names every file, the
temporary file that holds its new text and the second name (a hard link) that
keeps its old text.  The journal lives in the repository's git directory,
``.git/dmigrate/``; outside git, in ``.dmigrate/`` at the project root.  It
moves through three states, each written atomically:

``staging``
    the temporary files and the second names are being made; no file has changed yet.
``committing``
    the renames are under way; every new text is ready.
``committed``
    every file is in place; only the second names are left to remove.

A run that finds a journal settles it before anything else: ``staging`` is
rolled back (what was made is removed), ``committing`` is finished (the renames
not yet done are done; a file that matches neither its old nor its new text
stops this, and the journal stays for the user to look at), ``committed`` is
cleaned up.  Temporary files never outlive a run that ends normally; those a
killed run leaves are named in its journal, so the next run removes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STAGING = "staging"
COMMITTING = "committing"
COMMITTED = "committed"
GIT_SUBDIRECTORY = "dmigrate"
PLAIN_DIRECTORY = ".dmigrate"
"""Outside git: the journal's directory at the project root."""

WAITING = (
    "an interrupted migration of this project waits in this journal; run dmigrate without --dry-run, --check or "
    "--explain to finish it (or roll it back) first"
)

step_reached: Callable[[str], None] | None = None
"""Called at each step of a write with its name (``journal``, ``staged``, ``committing``, ``renamed N``,
``committed``, ``done``): tests use it to kill the process there."""


def reached(name: str) -> None:
    if step_reached is not None:
        step_reached(name)


@dataclass(frozen=True)
class Entry:
    target: str
    new: str | None
    """The temporary file with the new text; None for a file to delete."""
    old: str | None
    """The second name of the old text; None for a file the change creates."""
    before: str | None
    """SHA-256 of the old text; None: absent."""
    after: str | None
    """SHA-256 of the new text; None: deleted."""


def digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def journal_directory(root: str) -> Path:
    """Where the journals of the project at ``root`` live: ``<git dir>/dmigrate``, or ``<root>/.dmigrate`` outside git."""
    git_dir = _git_dir(root)
    return Path(git_dir, GIT_SUBDIRECTORY) if git_dir is not None else Path(root, PLAIN_DIRECTORY)


def _git_dir(root: str) -> str | None:
    """The git directory of the work tree ``root`` itself (not of one above it)."""
    dot_git = os.path.join(root, ".git")
    if os.path.isdir(dot_git):
        return dot_git
    if os.path.isfile(dot_git):
        try:
            with open(dot_git, encoding="utf-8") as handle:
                first = handle.readline()
        except (OSError, UnicodeDecodeError):
            return None
        if first.startswith("gitdir:"):
            return os.path.normpath(os.path.join(root, first[len("gitdir:") :].strip()))
    return None


class Journal:
    """The journal of one project's change while it is being written."""

    def __init__(self, directory: Path, driver: str, entries: list[Entry]) -> None:
        self.directory = directory
        self.path = directory / f"{secrets.token_hex(6)}.json"
        self.driver = driver
        self.entries = entries

    def write(self, state: str) -> None:
        """Record ``state`` atomically and durably."""
        self.directory.mkdir(parents=True, exist_ok=True)
        document = {"version": 1, "driver": self.driver, "state": state, "files": [entry.__dict__ for entry in self.entries]}
        temporary = self.path.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        _sync_directory(self.directory)

    def remove(self) -> None:
        _unlink_quietly(str(self.path))
        if self.directory.name == PLAIN_DIRECTORY:
            try:
                self.directory.rmdir()  # only when no other journal waits there
            except OSError:
                pass


def _sync_directory(directory: Path | str) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _unlink_quietly(path: str | None) -> None:
    if path is None:
        return
    try:
        os.unlink(path)
    except OSError:
        pass


# -- the next run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Settled:
    """What a run did (or could not do) about a journal it found."""

    journal: Path
    driver: str
    done: str
    """``rolled back``, ``finished``, ``cleaned up``, or ``stuck`` (nothing was touched)."""
    detail: str

    @property
    def message(self) -> str:
        where = self.journal
        if self.done == "stuck":
            return f"{where}: an interrupted migration of {self.driver} cannot be settled: {self.detail}"
        return f"{where}: {self.done} the interrupted migration of {self.driver}: {self.detail}"


def pending_journals(root: str) -> list[Path]:
    """The journals waiting at the project root ``root``."""
    directory = journal_directory(root)
    try:
        return sorted(path for path in directory.iterdir() if path.suffix == ".json")
    except OSError:
        return []


def settle(root: str) -> list[Settled]:
    """Settle every journal of the project at ``root`` (see the module's docstring)."""
    directory = journal_directory(root)
    try:
        # A journal killed while its first state was being written: nothing had been made yet.
        for half in directory.glob("*.tmp"):
            if not half.with_suffix(".json").exists():
                _unlink_quietly(str(half))
    except OSError:
        pass
    return [settle_journal(path) for path in pending_journals(root)]


def settle_journal(path: Path) -> Settled:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        state = document["state"]
        driver = document["driver"]
        entries = [Entry(**fields) for fields in document["files"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return Settled(path, "an unknown driver", "stuck", f"the journal cannot be read ({error}); look at it, then remove it")
    if state == STAGING:
        for entry in entries:
            _unlink_quietly(entry.new)
            _unlink_quietly(entry.old)
        _forget(path)
        return Settled(path, driver, "rolled back", "no file had changed yet")
    if state == COMMITTING:
        stuck = [entry.target for entry in entries if _current_digest(entry.target) not in (entry.before, entry.after)]
        if stuck:
            return Settled(path, driver, "stuck", ", ".join(stuck) + " changed since; put it back or remove the journal")
        try:
            for entry in entries:
                _finish(entry)
        except OSError as error:
            return Settled(path, driver, "stuck", f"{error.filename}: {error.strerror}")
        for entry in entries:
            _unlink_quietly(entry.old)
        _forget(path)
        return Settled(path, driver, "finished", _listing(entries))
    for entry in entries:
        _unlink_quietly(entry.new)
        _unlink_quietly(entry.old)
    _forget(path)
    return Settled(path, driver, "cleaned up", "every file had been written")


def _finish(entry: Entry) -> None:
    """Do what the killed run had not done yet for one file."""
    current = _current_digest(entry.target)
    if current == entry.after:
        _unlink_quietly(entry.new)
        return
    if entry.new is not None:
        os.replace(entry.new, entry.target)
    else:
        os.unlink(entry.target)


def _current_digest(target: str) -> str | None:
    try:
        with open(target, "rb") as handle:
            return digest(handle.read())
    except FileNotFoundError:
        return None
    except OSError:
        return "unreadable"


def _listing(entries: list[Entry]) -> str:
    written = [entry.target for entry in entries if entry.after is not None]
    deleted = [entry.target for entry in entries if entry.after is None]
    parts = []
    if written:
        parts.append("wrote " + ", ".join(written))
    if deleted:
        parts.append("deleted " + ", ".join(deleted))
    return "; ".join(parts)


def _forget(path: Path) -> None:
    _unlink_quietly(str(path))
    _unlink_quietly(str(path.with_suffix(".tmp")))
    if path.parent.name == PLAIN_DIRECTORY:
        try:
            path.parent.rmdir()
        except OSError:
            pass


class SettlesOnce:
    """Settles the journals of each project root a run reaches, once."""

    def __init__(self, settled: list) -> None:
        self.settled = settled
        self.done: set[str] = set()

    def settle_project_of(self, path: str, fallback: str | None) -> None:
        from migrate.read.boundary import project_root

        self.settle_root(project_root(Path(path), fallback))

    def settle_root(self, root: str) -> None:
        root = os.path.realpath(root)
        if root in self.done:
            return
        self.done.add(root)
        # A journal that cannot be settled stays, and each project of its root then says so.
        self.settled.extend(settle(root))
