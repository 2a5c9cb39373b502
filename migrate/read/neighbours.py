"""Other files of the project that name a Dockerfile: drivers, compose files and CI configuration.

Deleting the legacy build Dockerfile breaks any of them that still builds it,
so the migration needs to know about them before it deletes one.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable

from migrate.read.boundary import resolves_inside

_DRIVER_SUFFIXES = (".sh", ".bash", ".py", ".mk", ".yml", ".yaml", ".json", ".hcl", ".cmd", ".bat", ".ps1")
_DRIVER_NAMES = {"Makefile", "makefile", "GNUmakefile", "Jenkinsfile", "Justfile", "justfile", "Taskfile", "Earthfile", "Tiltfile"}
_CI_DIRECTORIES = (".github/workflows", ".circleci", ".buildkite")
_LARGEST = 1 << 20


def files_naming(dockerfiles: Iterable[str], directories: Iterable[str], root: str, skip: set[str]) -> dict[str, tuple[tuple[str, int], ...]]:
    """For each Dockerfile, the files that name it, with the first line that does.

    Looked at: files in ``directories`` (and the CI directories of ``root``)
    that drive builds by their name or suffix, but not those in ``skip`` nor
    the Dockerfiles themselves.
    """
    wanted = {path: posixpath.basename(path) for path in dockerfiles}
    if not wanted:
        return {}
    found: dict[str, list[tuple[str, int]]] = {path: [] for path in wanted}
    # Files are told apart by inode, which a directory listing gives for free, rather than by resolving every path.
    skipped = {}
    for path in (*skip, *wanted):
        try:
            skipped[os.stat(path).st_ino] = path
        except OSError:
            pass
    patterns: dict[str, re.Pattern] = {}
    seen: set[int] = set()
    for candidate, inode in _candidates([*directories, *(posixpath.join(root, d) for d in _CI_DIRECTORIES)], root):
        if inode in seen or inode in skipped and _same_file(candidate, skipped[inode]):
            continue
        seen.add(inode)
        raw = _small_file(candidate)
        if raw is None:
            continue
        for path, name in wanted.items():
            if name.encode() not in raw:
                continue
            pattern = patterns.get(name)
            if pattern is None:
                pattern = patterns[name] = re.compile(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-]|\.\w)")
            text = raw.decode("utf-8", "replace")
            match = pattern.search(text)
            if match is not None:
                found[path].append((candidate, text.count("\n", 0, match.start()) + 1))
    return {path: tuple(places) for path, places in found.items() if places}


def _candidates(directories: list[str], root: str) -> list[tuple[str, int]]:
    """The files to look at, with their inodes: none that leads out of ``root``, which is not read."""
    found: list[tuple[str, int]] = []
    for directory in dict.fromkeys(directories):
        try:
            with os.scandir(directory) as listing:
                entries = sorted((entry for entry in listing if entry.is_file()), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name in _DRIVER_NAMES or entry.name.endswith(_DRIVER_SUFFIXES):
                if entry.is_symlink() and not resolves_inside(entry.path, root):
                    continue
                inode = entry.stat().st_ino if entry.is_symlink() else entry.inode()
                found.append((posixpath.join(directory, entry.name), inode))
    return found


def _same_file(one: str, other: str) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _small_file(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_LARGEST + 1)
    except OSError:
        return None
    if len(raw) > _LARGEST or b"\0" in raw:
        return None
    return raw
