"""VOLUME under a ``docker run`` that becomes a stage: the classic builder drops what the stage's RUN writes there.

When an image declares ``VOLUME /d`` (in its Dockerfile or its base), the
legacy ``docker run`` writes /d into the container's volume, and ``docker
cp`` reads that.  In the migrated build the same command is a RUN of a stage:
BuildKit keeps what it writes under /d, the classic builder (``DOCKER_BUILDKIT=0``)
throws it away, and the stage copies what /d held before.  So a run stage
that reads a path at or around a VOLUME needs BuildKit: refused when the
driver may choose the classic builder, noted otherwise.
"""

from __future__ import annotations

import posixpath

from migrate.errors import Refusal
from migrate.read.ops import where
from migrate.trace.config import official_volumes
from migrate.trace.flow import ContainerState, Flow
from migrate.trace.paths import is_under


def check_run_volumes(flow: Flow, state: ContainerState, stage_name: str) -> list[str]:
    """Refuse a run stage whose files lie under a VOLUME when the classic builder may build it; the notes for BuildKit."""
    read = sorted({e.source.path for e in flow.extractions if e.container is state and e.from_run})
    if not read:
        return []
    declared, unknown = _declared_volumes(flow, state)
    site = state.op.site
    classic = flow.reading.classic_builder
    for volume, declared_at in declared:
        under = next((path for path in read if is_under(path, volume) or is_under(volume, path)), None)
        if under is None:
            continue
        relation = "under" if is_under(under, volume) else "which holds"
        why = f"the stage {stage_name} (the run at {where(site)}) reads {under}, {relation} the VOLUME {volume} that {declared_at} declares"
        if classic is not None:
            location, setting = classic
            raise Refusal(
                location,
                f"`{setting}` may make docker build with the classic builder, which discards what a RUN writes under a VOLUME; "
                f"{why}, so it would copy what was there before the run; build with BuildKit (DOCKER_BUILDKIT=1) instead",
            )
        return [
            f"{where(site)}: {why}; the classic builder would discard what the RUN writes there, so the migrated build needs "
            "BuildKit (the default from Docker 23, or DOCKER_BUILDKIT=1)"
        ]
    if unknown is not None and classic is not None:
        location, setting = classic
        raise Refusal(
            location,
            f"`{setting}` may make docker build with the classic builder, which discards what a RUN writes under a VOLUME, and "
            f"dmigrate cannot tell whether {unknown} declares one over {', '.join(read)}, which the stage {stage_name} (the run at "
            f"{where(site)}) reads; build with BuildKit (DOCKER_BUILDKIT=1) instead",
        )
    return []


def _declared_volumes(flow: Flow, state: ContainerState) -> tuple[list[tuple[str, str]], str | None]:
    """Every VOLUME the run's image declares, with where; and what declares some dmigrate cannot see (None when nothing)."""
    if state.image is None:
        reference = state.external or ""
        known = official_volumes(reference)
        return [(path, f"the image {reference}") for path in known or ()], (f"the image {reference}" if known is None else None)
    declared: list[tuple[str, str]] = []
    unknown = None
    lineage = list(flow.lineage(state.image, state.image.stage))
    for image, stage in lineage:
        name = image.dockerfile.path.name
        for instruction in stage.instructions:
            if instruction.keyword == "ONBUILD" and instruction.arguments.lstrip().upper().startswith("VOLUME"):
                unknown = unknown or f"the ONBUILD at {name}:{instruction.line}"
            if instruction.keyword != "VOLUME":
                continue
            for path in instruction.words():
                if "$" in path or not path.startswith("/"):
                    unknown = unknown or f"the VOLUME at {name}:{instruction.line}"
                    continue
                declared.append((posixpath.normpath(path), f"{name}:{instruction.line}"))
    last_image, last_stage = lineage[-1]
    if flow.base_of(last_image, last_stage) is not None:
        unknown = unknown or "the stages, built from each other in a loop,"
    else:
        base = official_volumes(last_stage.base)
        if base is None:
            unknown = unknown or f"the base image {last_stage.base}"
        declared += [(path, f"the base image {last_stage.base}") for path in base or ()]
    return declared, unknown
