"""The trace step: driver operations and Dockerfiles in, a migration plan out."""

from __future__ import annotations

from migrate.plan import NothingToDo, Plan
from migrate.read.project import ProjectReading
from migrate.trace.assemble import Assembler
from migrate.trace.flow import FlowTracer


def trace(reading: ProjectReading) -> Plan | NothingToDo:
    return Assembler(FlowTracer(reading).run()).assemble()
