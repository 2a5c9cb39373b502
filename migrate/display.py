"""How dmigrate shows a path: relative to a base, in ``/`` form.

Every report, diff header and ``file:line`` shows paths through
:func:`display_path`.  This module imports nothing of dmigrate's, so that the
bottom layer (:mod:`migrate.errors`) can use it.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path


def display_path(path: Path | str, base: Path | str) -> str:
    """``path`` relative to ``base`` in ``/`` form, with ``..`` when it lies outside."""
    absolute = os.path.abspath(path)
    start = os.fspath(base)
    start = _normalised(start) if os.path.isabs(start) else os.path.abspath(start)
    if absolute == start:
        return "."
    prefix = start if start.endswith(os.sep) else start + os.sep
    if absolute.startswith(prefix):
        return absolute[len(prefix) :].replace(os.sep, "/")
    return os.path.relpath(absolute, start).replace(os.sep, "/")


@functools.lru_cache(maxsize=64)
def _normalised(path: str) -> str:
    """An absolute base directory normalised, once: every path a run shows is shown from one or a few."""
    return os.path.normpath(path)


def display_location(location, base: Path | str) -> str:
    """A :class:`~migrate.errors.Location` as ``file:line``, its file shown as the report's other paths are (a symlink is named, not what it points to)."""
    shown = display_path(location.file, base)
    return f"{shown}:{location.line}" if location.line else shown
