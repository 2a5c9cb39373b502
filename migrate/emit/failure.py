"""What an emitter raises when it cannot write what the plan asks.

Trace decides: every policy refusal comes from there.  An emitter that
cannot find again the text an edit names, or whose result would not read
again, stops with an :class:`EmitFailure` instead of writing something
wrong.  It is no decision about the project but a limit of the writer (or a
case trace should have refused first), so it carries no rule; like a
refusal, it changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from migrate.errors import Location, MigrationStop


class EmitFailure(MigrationStop):
    """The new text of a file could not be written faithfully; nothing is written."""

    kind = "refused"

    @classmethod
    def at(cls, path: Path, line: int | None, reason: str) -> EmitFailure:
        return cls(Location(path, line), reason)
