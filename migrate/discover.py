"""Find the driver(s) a PATH argument stands for."""

from __future__ import annotations

import os
import re
from pathlib import Path

from migrate.errors import InputError, Location, MigrationStop
from migrate.read.project import MAKEFILE_NAMES

_DOCKER_CALL = re.compile(rb"\bdocker(?:\s|['\"],|\.from_env|\.DockerClient)")


def drivers_in(path: Path) -> list[Path]:
    """The drivers PATH names: itself when it is a file, else the drivers it holds directly.

    A script that a Makefile's flow runs (``build: ; ./build.sh``) is part of
    that Makefile's flow, so it is not a driver of its own; and a Makefile
    that only runs such a script is a driver although it never says docker.
    """
    if path.is_file():
        return [path]
    if not path.exists():
        raise InputError(Location(path), "no such file or directory")
    if not path.is_dir():
        raise InputError(Location(path), "neither a file nor a directory")
    found: list[Path] = []
    # One listing instead of a glob per kind: a batch looks at every directory of every repository.
    # Only regular files (or links to them): opening a FIFO named x.sh would block.
    with os.scandir(path) as listing:
        names = sorted(entry.name for entry in listing if entry.is_file())
    shell = [path / name for name in names if name.endswith(".sh")]
    preferred = [p for p in shell if p.name == "build.sh"]
    for candidate in preferred + [p for p in shell if p.name != "build.sh"]:
        if _calls_docker(candidate):
            found.append(candidate)
    makefile = next((path / name for name in MAKEFILE_NAMES if name in names), None)
    if makefile is not None:
        followed = _scripts_followed(makefile)
        if _calls_docker(makefile) or any(p.resolve() in followed for p in found):
            found = [makefile] + [p for p in found if p.resolve() not in followed]
    for candidate in (path / name for name in names if name.endswith(".py")):
        if _calls_docker(candidate):
            found.append(candidate)
    return found


def _scripts_followed(makefile: Path) -> set[Path]:
    """The scripts the Makefile's default goal runs; none when it cannot be read (its migration says why)."""
    from migrate.read.makefile import read_makefile

    try:
        reading = read_makefile(makefile, makefile.read_text(encoding="utf-8"))
    except (MigrationStop, OSError, UnicodeDecodeError):
        return set()
    return {part.path.resolve() for part in reading.parts}


def _calls_docker(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(256 * 1024)
    except OSError:
        return False
    return bool(_DOCKER_CALL.search(head))
