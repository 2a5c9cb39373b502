"""The drivers a run's PATH arguments stand for: a file names itself, a directory is walked.

:func:`drivers_of` finds the drivers of one walked directory (a batch worker
calls it); :func:`find_drivers` does the whole search in this process (as
``--verify`` needs it).  Both find exactly what a batch finds.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrate.discover.walk import Place
    from migrate.read.project import ReadAhead

NO_DRIVER = "no driver that calls docker here"


def named_file_problem(path: str) -> str | None:
    """Why a PATH that is not a directory cannot be read as a driver; None when it can.

    Only a regular file (or a link to one) is read: a FIFO named on the command
    line would block the read forever, and ``/dev/zero`` never ends.
    """
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "no such file or directory"
    except OSError as error:
        return f"cannot read it: {error.strerror}"
    if not stat.S_ISREG(mode):
        return "not a regular file: name a driver file, or a directory to search"
    return None


def drivers_of(place: Place, real_root: str, read_ahead: dict[str, ReadAhead] | None = None) -> list[str]:
    """The drivers among the files of ``place`` but those git ignores and links out of the root.

    With ``read_ahead``, what was read of each driver found is kept there
    (see :func:`migrate.discover.drivers.drivers_among`).
    """
    from migrate.discover.drivers import drivers_among
    from migrate.read.boundary import confined_to, directory_root, is_inside

    # Finding the drivers reads them, and the scripts they run: only inside the root their migration will have.
    with confined_to(directory_root(place.directory, real_root)):
        drivers = drivers_among(Path(place.directory), place.names, read_ahead)
    kept: list[str] = []
    for driver in drivers:
        path = str(driver)
        if driver.name in place.ignored:
            continue
        if os.path.islink(path) and not is_inside(os.path.realpath(path), real_root):
            continue
        kept.append(path)
    return kept


def find_drivers(paths: Iterable[Path]) -> Iterator[tuple[Path, str | None]]:
    """Every driver under ``paths``, found as a batch finds them but in this process: ``(driver, None)``, or ``(path, problem)``."""
    from migrate.discover.walk import places

    for path in paths:
        absolute = os.path.abspath(path)
        if not os.path.isdir(absolute):
            yield path, named_file_problem(absolute)
            continue
        real_root = os.path.realpath(absolute)
        found = False
        for place in places([absolute]):
            if place.problem is not None:
                found = True
                yield Path(place.problem.path), place.problem.reason
                continue
            try:
                drivers = drivers_of(place, real_root)
            except Exception as error:  # noqa: BLE001 - as in a batch, one directory's failure is its own
                yield Path(place.directory), getattr(error, "reason", None) or internal_error(error)
                continue
            for driver in drivers:
                found = True
                yield Path(driver), None
        if not found:
            yield path, NO_DRIVER


def internal_error(error: Exception) -> str:
    """The message of a project that met a bug of dmigrate's, not a problem of its own."""
    return f"internal error: {type(error).__name__}: {error}"


class RealPaths:
    """Real paths of the files a run names, with each directory resolved once: many projects lie in the same few."""

    def __init__(self) -> None:
        self.directories: dict[str, str] = {}

    def of(self, path: str) -> str:
        """``path`` (absolute and normalised) with its directory's symlinks resolved."""
        directory, name = os.path.split(path)
        return os.path.join(self.directory(directory), name)

    def directory(self, directory: str) -> str:
        """``os.path.realpath(directory)``, from its parent's when it is not a link itself: one ``lstat`` per new directory."""
        real = self.directories.get(directory)
        if real is None:
            parent, name = os.path.split(directory)
            if parent == directory or name in ("", ".", "..") or os.path.islink(directory):
                real = os.path.realpath(directory)
            else:
                real = os.path.join(self.directory(parent), name)
            self.directories[directory] = real
        return real
