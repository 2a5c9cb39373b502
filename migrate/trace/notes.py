"""The notes a plan shows: every decision of the trace and of the readers, once."""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrate.read.project import ProjectReading


def notes_once(decisions: list[str], reading: ProjectReading) -> tuple[str, ...]:
    """Every decision and reader note once, in order; an absent path the tracer and the Makefile reader both assumed, once."""
    out: dict[str, None] = {}
    absent: set[str] = set()
    # The tracer's paths are relative to the project root, the Makefile reader's targets to make's directory.
    noted = [(text, reading.facts.root) for text in decisions]
    noted += [(text, str(reading.driver.start_dir)) for text in reading.driver.notes]
    for text, base in noted:
        match = _ASSUMED_ABSENT.match(text)
        if match is not None:
            path = posixpath.normpath(posixpath.join(base, match.group(1)))
            if path in absent:
                continue
            absent.add(path)
        out.setdefault(text)
    return tuple(out)


_ASSUMED_ABSENT = re.compile(r"^(?:.*?:\d+: )?assumed (.+) does not exist before (?:the driver|make) runs \(git does not track it\)$")
"""The note the tracer writes for an untracked copy or mount destination, and the Makefile reader for an untracked target."""
