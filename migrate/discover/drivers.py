"""Which files of one directory are drivers.

A file that may call docker is a driver, unless another driver's flow runs
it (a script a Makefile or another script follows); a Makefile that runs
such a script is a driver although it never says docker.  What was read to
decide this is kept (:class:`~migrate.read.project.ReadAhead`), so that the
migration does not read it again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from migrate.errors import InputError, Location, MigrationStop
from migrate.read import read_source_text
from migrate.read.files import UnreadableFile, read_project_bytes, read_project_head
from migrate.read.project import MAKEFILE_NAMES, ReadAhead

_DOCKER_CALL = re.compile(rb"\bdocker(?:\s|['\"],|\.from_env|\.DockerClient)")
_SCRIPT_NAME = re.compile(rb"(?<![\w.-])[\w.-]{1,255}?\.(?:sh|bash)(?![\w.-])")
"""A script's name in a driver's text; each match starts at a word's start and is bounded, so a long line costs linear time."""
_HEAD = 256 * 1024
"""How much of a file is searched for a docker call."""


def drivers_in(path: Path) -> list[Path]:
    """The drivers PATH names: itself when it is a file, else the drivers it holds directly.

    A script that a Makefile's or another script's flow runs (``build: ;
    ./build.sh``, ``./extract.sh`` in build.sh) is part of that flow, so it is
    not a driver of its own; and a Makefile that only runs such a script is a
    driver although it never says docker.
    """
    if path.is_file():
        return [path]
    if not path.exists():
        raise InputError(Location(path), "no such file or directory")
    if not path.is_dir():
        raise InputError(Location(path), "neither a file nor a directory")
    # Only regular files (or links to them): opening a FIFO named x.sh would block.
    with os.scandir(path) as listing:
        names = [entry.name for entry in listing if entry.is_file()]
    return drivers_among(path, names)


def may_be_driver(name: str) -> bool:
    """Whether :func:`drivers_among` looks at a file of this name."""
    return name.endswith((".sh", ".py")) or name in MAKEFILE_NAMES


def drivers_among(directory: Path, names: Iterable[str], read_ahead: dict[str, ReadAhead] | None = None) -> list[Path]:
    """The drivers among ``names``, regular files of ``directory`` (see :func:`drivers_in`).

    With ``read_ahead``, what was read of each driver found is kept there
    (see :class:`migrate.read.project.ReadAhead`), so that its migration
    does not read it again.
    """
    names = sorted(names)
    files = _Files()
    found: list[Path] = []
    shell = [directory / name for name in names if name.endswith(".sh")]
    preferred = [p for p in shell if p.name == "build.sh"]
    for candidate in preferred + [p for p in shell if p.name != "build.sh"]:
        if files.calls_docker(candidate):
            found.append(candidate)
    followed_by_shell: set[Path] = set()
    for driver in found:
        if not followed_by_shell or driver.resolve() not in followed_by_shell:
            followed_by_shell |= files.shell_scripts_followed(driver)
    if followed_by_shell:
        found = [p for p in found if p.resolve() not in followed_by_shell]
    makefile = next((directory / name for name in MAKEFILE_NAMES if name in names), None)
    if makefile is not None:
        followed = files.scripts_followed(makefile)
        if files.calls_docker(makefile) or any(p.resolve() in followed for p in found):
            found = [makefile] + [p for p in found if p.resolve() not in followed]
    for candidate in (directory / name for name in names if name.endswith(".py")):
        if files.calls_docker(candidate):
            found.append(candidate)
    if read_ahead is not None:
        for driver in found:
            ahead = files.read_ahead.get(driver)
            if ahead is not None:
                read_ahead[str(driver)] = ahead
    return found


class _Files:
    """The candidate files of one directory, each read at most once."""

    def __init__(self) -> None:
        self.heads: dict[Path, bytes | None] = {}
        self.read_ahead: dict[Path, ReadAhead] = {}
        """Files read whole, as text (and a Makefile's reading)."""

    def head(self, path: Path) -> bytes | None:
        """The first :data:`_HEAD` bytes; None when the file cannot be read."""
        if path not in self.heads:
            self.heads[path] = self._read(path, _HEAD)
        return self.heads[path]

    def _read(self, path: Path, limit: int) -> bytes | None:
        try:
            raw = read_project_head(path, limit)
        except UnreadableFile as problem:
            return b"" if problem.missing else None  # gone since the directory was listed, or the migration says why not
        if len(raw) < limit:
            try:
                self.read_ahead[path] = ReadAhead(raw.decode("utf-8"))
            except UnicodeDecodeError:
                pass
        return raw

    def calls_docker(self, path: Path) -> bool:
        """Whether the file may call docker: a file that cannot be read may, and its migration says why it cannot read it."""
        head = self.head(path)
        return head is None or bool(_DOCKER_CALL.search(head))

    def shell_scripts_followed(self, driver: Path) -> set[Path]:
        """The scripts a shell driver's flow runs, when it names a script at all; none when it cannot be read."""
        head = self.head(driver)
        if head is None or b".sh" not in head and b".bash" not in head:
            return set()
        if not any(name != driver.name.encode() for name in _SCRIPT_NAME.findall(head)):
            return set()
        from migrate.read.shell import read_shell

        ahead = self.read_ahead.get(driver)
        try:
            text = ahead.text if ahead is not None else read_source_text(driver)
            reading = read_shell(driver, text)
        except (MigrationStop, RecursionError):
            return set()  # its migration says why
        self.read_ahead[driver] = ReadAhead(text, reading)
        return {part.path.resolve() for part in reading.parts}

    def scripts_followed(self, makefile: Path) -> set[Path]:
        """The scripts the Makefile's default goal runs; none when it cannot be read (its migration says why)."""
        from migrate.read.makefile import read_makefile

        try:
            raw = read_project_bytes(makefile, what="Makefile")
            self.heads[makefile] = raw[:_HEAD]
            text = raw.decode("utf-8")
            self.read_ahead[makefile] = ReadAhead(text)
            # As text with universal newlines; the migration reads the file as it is.
            translated = text.replace("\r\n", "\n").replace("\r", "\n")
            reading = read_makefile(makefile, translated)
        except (MigrationStop, UnicodeDecodeError, RecursionError):
            return set()
        if translated == text:
            self.read_ahead[makefile] = ReadAhead(text, reading)
        return {part.path.resolve() for part in reading.parts}
