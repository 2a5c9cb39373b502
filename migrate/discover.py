"""Find the driver(s) a PATH argument stands for."""

from __future__ import annotations

import re
from pathlib import Path

from migrate.errors import InputError, Location
from migrate.read.project import MAKEFILE_NAMES
_DOCKER_CALL = re.compile(rb"\bdocker(?:\s|['\"],|\.from_env|\.DockerClient)")


def drivers_in(path: Path) -> list[Path]:
    """The drivers PATH names: itself when it is a file, else the drivers it holds directly."""
    if path.is_file():
        return [path]
    if not path.exists():
        raise InputError(Location(path), "no such file or directory")
    if not path.is_dir():
        raise InputError(Location(path), "neither a file nor a directory")
    found: list[Path] = []
    shell = sorted(path.glob("*.sh"))
    preferred = [p for p in shell if p.name == "build.sh"]
    for candidate in preferred + [p for p in shell if p.name != "build.sh"]:
        if _calls_docker(candidate):
            found.append(candidate)
    for name in MAKEFILE_NAMES:
        candidate = path / name
        if candidate.is_file() and _calls_docker(candidate):
            found.append(candidate)
            break
    for candidate in sorted(path.glob("*.py")):
        if _calls_docker(candidate):
            found.append(candidate)
    return found


def _calls_docker(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(256 * 1024)
    except OSError:
        return False
    return bool(_DOCKER_CALL.search(head))
