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

from migrate.errors import Refusal
from migrate.read.ops import where
from migrate.trace.base_images import base_image_facts
from migrate.trace.graph import ArtifactGraph, ContainerState
from migrate.trace.paths import is_under


def check_run_volumes(graph: ArtifactGraph, state: ContainerState, stage_name: str) -> list[str]:
    """Refuse a run stage whose files lie under a VOLUME when the classic builder may build it; the notes for BuildKit."""
    read = sorted({e.source.path for e in graph.extractions if e.container is state and e.from_run})
    if not read:
        return []
    declared, unknown = _declared_volumes(graph, state)
    site = state.op.site
    classic = graph.reading.classic_builder
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


def _declared_volumes(graph: ArtifactGraph, state: ContainerState) -> tuple[list[tuple[str, str]], str | None]:
    """Every VOLUME the run's image declares, with where; and what declares some dmigrate cannot see (None when nothing)."""
    if state.image is None:
        reference = state.external or ""
        known = base_image_facts(reference).volumes
        return [(path, f"the image {reference}") for path in known or ()], (f"the image {reference}" if known is None else None)
    image = graph.image_state(state.image)
    return [(volume.path, volume.declared_at) for volume in image.volumes], image.volumes_unknown
