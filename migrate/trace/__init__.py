"""The trace step: driver operations and Dockerfiles in, a migration plan out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from migrate.errors import Location, Refusal
from migrate.plan import NothingToDo, Plan
from migrate.read.project import ProjectReading
from migrate.trace.assemble import Assembler
from migrate.trace.graph import ArtifactGraph
from migrate.trace.kept_reads import check_kept_reads
from migrate.trace.tracer import ArtifactTracer
from migrate.trace.writable import check_writable


def trace(
    reading: ProjectReading, on_flow: Callable[[ArtifactGraph], None] | None = None, *, keep_legacy: bool = False
) -> Plan | NothingToDo:
    """The plan for ``reading``; ``on_flow`` gets the artifact graph before it is traced, so that a caller sees how far it got.

    ``keep_legacy``: the build Dockerfiles stay (``--keep-legacy``), which changes what the migration changes, and what still reads them may stay too.
    """
    tracer = ArtifactTracer(reading)
    if on_flow is not None:
        on_flow(tracer.graph)
    result = Assembler(tracer.run(), keep_legacy=keep_legacy).assemble()
    if isinstance(result, Plan):
        if not keep_legacy:
            check_kept_reads(result)
        _check_no_other_builder(result, reading.facts.naming.get(str(result.merged_dockerfile), ()))
        check_writable(result, naming=reading.facts.naming, classic_builder=reading.classic_builder, keep_legacy=keep_legacy)
    return result


def _check_no_other_builder(plan: Plan, builders: tuple[tuple[str, int], ...]) -> None:
    """The runtime Dockerfile becomes a multi-stage one that builds this driver's artifacts: any other build of it would change."""
    if not builders:
        return
    other, line = builders[0]
    name = plan.merged_dockerfile.name
    more = len({path for path, _ in builders}) - 1
    also = f" (as do {more} more files)" if more > 1 else " (as does 1 more file)" if more else ""
    raise Refusal(
        Location(Path(other), line),
        f"this line builds (or names) {name}{also}, which migrating {plan.driver.path.name} rewrites into a multi-stage "
        f"Dockerfile, so what it builds would change; dmigrate changes neither: give each build its own runtime Dockerfile first",
    )
