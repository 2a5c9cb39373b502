"""The trace step: driver operations and Dockerfiles in, a migration plan out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from migrate.plan import NothingToDo, Plan
from migrate.read.project import ProjectReading
from migrate.trace.assemble import Assembler
from migrate.trace.flow import FlowTracer


def trace(reading: ProjectReading) -> Plan | NothingToDo:
    result = Assembler(FlowTracer(reading).run()).assemble()
    if isinstance(result, Plan):
        naming = reading.facts.naming
        named = tuple((path, Path(other), line) for path in result.deleted for other, line in naming.get(str(path), ()))
        if named or reading.classic_builder is not None:
            result = replace(result, deleted_named_by=named, classic_builder=reading.classic_builder)
    return result
