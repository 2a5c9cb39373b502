"""The two ways a migration stops early: bad input, and a refusal.

Both carry the place that caused them so that the message can name
``file:line``, and may carry the :class:`~migrate.rules.Rule` they apply (its
code and documentation).  Neither is ever shown as a traceback.

This is the bottom layer: it imports nothing of dmigrate's, so that every
other module may raise these.  A location is shown relative to a directory by
:func:`migrate.display.display_location`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrate.rules.rule import Rule


@dataclass(frozen=True)
class Location:
    file: Path
    line: int | None = None

    def render(self) -> str:
        """``file:line``, the file as it was named."""
        return f"{self.file}:{self.line}" if self.line else str(self.file)


class MigrationStop(Exception):
    """Base for every expected way a project cannot be migrated."""

    kind = "error"

    def __init__(self, location: Location, reason: str, *, rule: Rule | None = None) -> None:
        super().__init__(f"{location.render()}: {reason}")
        self.location = location
        self.reason = reason
        self.rule = rule
        """The rule this stop applies (:mod:`migrate.rules`), once its call site names one."""

    def render(self) -> str:
        return f"{self.location.render()}: {self.reason}"


class InputError(MigrationStop):
    """The input cannot be read: a missing file, a syntax error, bad arguments."""

    kind = "error"


class Refusal(MigrationStop):
    """The input was understood, but an equivalent migration cannot be proven."""

    kind = "refused"
