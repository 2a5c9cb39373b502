"""The two ways a migration stops early: bad input, and a refusal.

Both carry the place that caused them so that the message can name
``file:line``.  Neither is ever shown as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    file: Path
    line: int | None = None

    def render(self, relative_to: Path | None = None) -> str:
        """``file:line``, the file shown as the report's other paths are (a symlink is named, not what it points to)."""
        if relative_to is None:
            shown = str(self.file)
        else:
            from migrate.change import display_path

            shown = display_path(self.file, relative_to)
        return f"{shown}:{self.line}" if self.line else shown


class MigrationStop(Exception):
    """Base for every expected way a project cannot be migrated."""

    kind = "error"

    def __init__(self, location: Location, reason: str) -> None:
        super().__init__(f"{location.render()}: {reason}")
        self.location = location
        self.reason = reason

    def render(self, relative_to: Path | None = None) -> str:
        return f"{self.location.render(relative_to)}: {self.reason}"


class InputError(MigrationStop):
    """The input cannot be read: a missing file, a syntax error, bad arguments."""

    kind = "error"


class Refusal(MigrationStop):
    """The input was understood, but an equivalent migration cannot be proven."""

    kind = "refused"
