"""Other files of the project that name or build a Dockerfile: drivers, Makefiles, compose files and CI configuration.

The migration rewrites the runtime Dockerfile into a multi-stage one and
deletes the build Dockerfile: any other file that still builds either of them
would build something else afterwards, or break.  So before it changes a
Dockerfile, the migration needs to know every other file that may build it:

- a file that names it (``-f Dockerfile.build``, ``dockerfile: Dockerfile``);
- a ``docker build`` line, or a compose or CI ``build:``/``context:`` key without
  a Dockerfile of its own, whose context is the Dockerfile's directory: it
  builds that directory's ``Dockerfile`` by default;
- a driver dmigrate can read (a shell script, a Makefile's default goal, a
  Python script) whose reading builds it, or builds a Dockerfile that cannot
  be known without running it.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterable

from migrate.read.boundary import resolves_inside

_DRIVER_SUFFIXES = (".sh", ".bash", ".py", ".mk", ".yml", ".yaml", ".json", ".hcl", ".cmd", ".bat", ".ps1")
_DRIVER_NAMES = {"Makefile", "makefile", "GNUmakefile", "Jenkinsfile", "Justfile", "justfile", "Taskfile", "Earthfile", "Tiltfile"}
_READABLE_DRIVER = re.compile(r"(?:\.sh|\.bash|\.py|\.mk|^(?:GNUmakefile|makefile|Makefile))$")
_CI_DIRECTORIES = (".github/workflows", ".circleci", ".buildkite")
_LARGEST = 1 << 20
_DEFAULT_NAME = "Dockerfile"

_BUILD_COMMAND = re.compile(r"\bdocker(?:\s+buildx|\s+image)?\s+build\b(?P<rest>[^;&|)\n]*)")
_FILE_OPTION = re.compile(r"(?:^|\s)(?:-f|--file)(?:\s|=)|(?:^|\s)-f\S")
_YAML_CONTEXT = re.compile(r"^(?P<indent>\s*)(?:-\s+)?(?P<key>build|context)\s*:\s*(?P<value>[^\s#{}\[\]]+)\s*(?:#.*)?$")
_YAML_KEY = re.compile(r"^(?P<indent>\s*)(?:-\s+)?(?P<key>[\w.-]+)\s*:")
_HCL_CONTEXT = re.compile(r"^\s*context\s*=\s*\"(?P<value>[^\"]*)\"")

BuildsOf = Callable[[str], "list[tuple[str | None, str, int]] | None"]
"""A reader: for a driver, each build's Dockerfile (None: unknown), and the file and line of the build; None when unreadable."""


def files_naming(
    dockerfiles: Iterable[str],
    directories: Iterable[str],
    root: str,
    skip: set[str],
    builds_of: BuildsOf | None = None,
) -> dict[str, tuple[tuple[str, int], ...]]:
    """For each Dockerfile, the files that name or build it (see the module's docstring), with the first line that does.

    Looked at: files in ``directories`` (and the CI directories of ``root``)
    that drive builds by their name or suffix, but not those in ``skip`` nor
    the Dockerfiles themselves, nor a link out of ``root``.
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
    ci_directories = [posixpath.join(root, d) for d in _CI_DIRECTORIES]
    for candidate, inode in _candidates([*directories, *ci_directories], root):
        if inode in seen or inode in skipped and _same_file(candidate, skipped[inode]):
            continue
        seen.add(inode)
        raw = _small_file(candidate)
        if raw is None:
            continue
        text: str | None = None
        base = root if posixpath.dirname(candidate) in ci_directories else posixpath.dirname(candidate)
        read: list[tuple[str | None, str, int]] | None = None
        if builds_of is not None and b"docker" in raw and _READABLE_DRIVER.search(posixpath.basename(candidate)):
            read = builds_of(candidate)
        for path, name in wanted.items():
            places: list[tuple[str, int]] = []
            if name.encode() in raw:
                pattern = patterns.get(name)
                if pattern is None:
                    pattern = patterns[name] = re.compile(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-]|\.\w)")
                text = text if text is not None else raw.decode("utf-8", "replace")
                for match in pattern.finditer(text):
                    if name != _DEFAULT_NAME or not _in_comment(text, match.start()) and _may_be(_token_at(text, match.start(), match.end()), base, path):
                        places.append((candidate, text.count("\n", 0, match.start()) + 1))
                        break
            if b"build" in raw or b"context" in raw:
                text = text if text is not None else raw.decode("utf-8", "replace")
                line = _builds_file(text, base, path, candidate)
                if line is not None:
                    places.append((candidate, line))
            for dockerfile, file, line in read or ():
                if dockerfile is None or dockerfile == path:
                    places.append((file, line))
                    break
            if places:
                found[path].append(places[0])
    return {path: tuple(places) for path, places in found.items() if places}


def _token_at(text: str, start: int, end: int) -> str:
    """The path word that holds ``text[start:end]``: ``./app/Dockerfile`` around ``Dockerfile``."""
    while start > 0 and text[start - 1] not in _WORD_ENDS:
        start -= 1
    return text[start:end]


def _in_comment(text: str, position: int) -> bool:
    """Whether ``position`` lies on a comment line (``#`` or ``//``), where ``Dockerfile`` is a word of prose."""
    line = text[text.rfind("\n", 0, position) + 1 : position].lstrip()
    return line.startswith(("#", "//"))


_WORD_ENDS = frozenset(" \t\r\n\"'=:,;()[]{}<>|&`")


def _may_be(token: str, base: str, path: str) -> bool:
    """Whether a mention of the default name may mean ``path``: it leads there from ``base``, or holds what cannot be known.

    ``Dockerfile`` is also a word of prose (a comment, a description) and every
    directory's default, so a bare mention means the one beside the file.
    """
    return "$" in token or "%" in token or posixpath.normpath(posixpath.join(base, token)) == path


def _builds_file(text: str, base: str, path: str, candidate: str) -> int | None:
    """The first line of ``text`` whose build (with a context relative to ``base``) builds ``path``.

    A ``docker build`` without ``-f``, or a YAML/HCL context without a
    Dockerfile key, builds the context's ``Dockerfile``; in compose the
    ``dockerfile:`` key is read from the context, in a CI action ``file:``
    from the workspace.
    """
    yaml = candidate.endswith((".yml", ".yaml"))
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        built: list[tuple[str, str]] = []  # (context, Dockerfile in it)
        for match in _BUILD_COMMAND.finditer(line):
            rest = match.group("rest")
            words = rest.split()
            if words and not _FILE_OPTION.search(rest):
                built.append((words[-1], _DEFAULT_NAME))
        if yaml:
            match = _YAML_CONTEXT.match(line)
            if match is not None:
                named = _named_file(lines, number - 1, len(match.group("indent")))
                if named is None:
                    built.append((match.group("value"), _DEFAULT_NAME))
                elif named[0] == "dockerfile":
                    built.append((match.group("value"), named[1]))
        elif candidate.endswith(".hcl"):
            match = _HCL_CONTEXT.match(line)
            if match is not None:
                built.append((match.group("value"), _DEFAULT_NAME))
        for context, dockerfile in built:
            context, dockerfile = context.strip("\"'"), dockerfile.strip("\"'")
            if not context or "://" in context:
                continue
            if any(mark in context + dockerfile for mark in ("$", "{", "%")):
                if posixpath.basename(dockerfile) in (posixpath.basename(path), ""):
                    return number  # a build of a context that cannot be known may be this one
                continue
            if posixpath.normpath(posixpath.join(base, context, dockerfile)) == path:
                return number
    return None


def _named_file(lines: list[str], index: int, indent: int) -> tuple[str, str] | None:
    """The ``dockerfile:`` or ``file:`` key, and its value, of the YAML mapping that holds ``lines[index]`` (its keys at ``indent``)."""
    for step in (-1, 1):
        position = index + step
        while 0 <= position < len(lines):
            line = lines[position]
            position += step
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            match = _YAML_KEY.match(line)
            depth = len(line) - len(line.lstrip())
            if depth < indent or match is None and depth == indent:
                break
            if depth == indent and match is not None and match.group("key") in ("dockerfile", "file"):
                return match.group("key"), line[match.end() :].split("#")[0].strip() or _DEFAULT_NAME
    return None


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
    from migrate.read.files import head_or_none

    raw = head_or_none(path, _LARGEST + 1)
    if raw is None:
        return None
    if len(raw) > _LARGEST or b"\0" in raw:
        return None
    return raw
