"""How long reading one project may take.

Some inputs make a parser slow out of all proportion: tree-sitter-bash's
error recovery on a large script of nested functions with one stray ``<(``
grows with the square of its size.  One such repository must not hold up a
batch, so each project's reading runs against a deadline
(:func:`project_budget`); parsers check it as they go (:func:`expired`), and
the walk of a driver checks it between statements (:func:`check`).  Past it,
the project is an error and the batch goes on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from migrate.errors import InputError, Location

READ_BUDGET_SECONDS = 10.0
"""The time one project's files may take to read (parse and walk), in seconds."""


class TooComplex(InputError):
    """The project could not be read within :data:`READ_BUDGET_SECONDS`."""


_deadline: float | None = None
_project: Path | None = None


@contextmanager
def project_budget(driver: Path) -> Iterator[None]:
    """While the block runs, reading counts against one deadline; an enclosing budget keeps its own."""
    global _deadline, _project
    if _deadline is not None:
        yield
        return
    _deadline, _project = time.monotonic() + READ_BUDGET_SECONDS, driver
    try:
        yield
    finally:
        _deadline, _project = None, None


def deadline() -> float:
    """When reading has to stop: the project's deadline, or a budget of its own for a read outside any project."""
    return _deadline if _deadline is not None else time.monotonic() + READ_BUDGET_SECONDS


def remaining(until: float) -> float:
    return max(0.0, until - time.monotonic())


def too_complex(path: Path | None, line: int | None = None) -> TooComplex:
    shown = f"{READ_BUDGET_SECONDS:g}"
    return TooComplex(
        Location(path or _project or Path("."), line),
        f"too complex to read in {shown} s (dmigrate gives each project that long); simplify the script or fix its syntax errors",
    )


def check(path: Path | None, line: int | None = None) -> None:
    """Raise :class:`TooComplex` once the project's deadline has passed."""
    if _deadline is not None and time.monotonic() > _deadline:
        raise too_complex(path, line)
