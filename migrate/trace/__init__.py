"""The trace step: driver operations and Dockerfiles in, a migration plan out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from migrate.plan import NothingToDo, Plan
from migrate.read.project import ProjectReading
from migrate.trace.assemble import Assembler
from migrate.trace.flow import Flow, FlowTracer


def trace(reading: ProjectReading, on_flow: Callable[[Flow], None] | None = None) -> Plan | NothingToDo:
    """The plan for ``reading``; ``on_flow`` gets the flow before it is traced, so that a caller sees how far it got."""
    tracer = FlowTracer(reading)
    if on_flow is not None:
        on_flow(tracer.flow)
    result = Assembler(tracer.run()).assemble()
    if isinstance(result, Plan):
        naming = reading.facts.naming
        named = tuple((path, Path(other), line) for path in result.deleted for other, line in naming.get(str(path), ()))
        if named or reading.classic_builder is not None:
            result = replace(result, deleted_named_by=named, classic_builder=reading.classic_builder)
    return result
