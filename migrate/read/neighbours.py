"""Other files of the project that name a Dockerfile: drivers, compose files and CI configuration.

Deleting the legacy build Dockerfile breaks any of them that still builds it,
so the migration needs to know about them before it deletes one.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable

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
    wanted = {path: re.compile(r"(?<![\w.-])" + re.escape(posixpath.basename(path)) + r"(?![\w-]|\.\w)") for path in dockerfiles}
    if not wanted:
        return {}
    found: dict[str, list[tuple[str, int]]] = {path: [] for path in wanted}
    skip = {os.path.realpath(path) for path in (*skip, *wanted)}
    for candidate in _candidates([*directories, *(posixpath.join(root, d) for d in _CI_DIRECTORIES)]):
        if os.path.realpath(candidate) in skip:
            continue
        text = _small_text(candidate)
        if text is None:
            continue
        for path, pattern in wanted.items():
            match = pattern.search(text)
            if match is not None:
                found[path].append((candidate, text.count("\n", 0, match.start()) + 1))
    return {path: tuple(places) for path, places in found.items() if places}


def _candidates(directories: list[str]) -> list[str]:
    seen: list[str] = []
    for directory in dict.fromkeys(os.path.realpath(directory) for directory in directories):
        try:
            with os.scandir(directory) as listing:
                names = sorted(entry.name for entry in listing if entry.is_file())
        except OSError:
            continue
        for name in names:
            if name in _DRIVER_NAMES or name.endswith(_DRIVER_SUFFIXES):
                seen.append(posixpath.join(directory, name))
    return seen


def _small_text(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_LARGEST + 1)
    except OSError:
        return None
    if len(raw) > _LARGEST or b"\0" in raw:
        return None
    return raw.decode("utf-8", "replace")
