"""Who owns the files a build stage writes: root only where the Dockerfile text, or a fact about the exact base image, proves it.

The legacy flow's runtime COPY makes every artifact 0:0; ``COPY --from`` keeps
the stage's owners.  So a COPY --from needs ``--chown=0:0`` unless root
provably wrote the artifact.  An unneeded ``--chown=0:0`` costs nothing and a
missing one gives a wrong image, so anything unproven counts as not root.

The rule is applied once per stage, with the user at each line, by
:class:`~migrate.trace.stage_state.StageState` (``root_owned``); what an outside
image runs as is a fact of :mod:`migrate.trace.base_images`.  The two functions
here answer the same questions by name, for callers that hold a reference or
a list of stages rather than a state.
"""

from __future__ import annotations

from collections.abc import Sequence

from migrate.read.dockerfile import Stage
from migrate.trace.base_images import base_image_facts
from migrate.trace.image_ref import ImageRef
from migrate.trace.stage_state import StageState


def official_runs_as_root(reference: str) -> bool:
    """Whether an image not built by the driver is known to run as root: by its name alone, or by its exact tag."""
    return base_image_facts(reference).runs_as_root


def lineage_runs_as_root(lineage: Sequence[Stage]) -> bool:
    """Whether every file of the last of ``lineage`` (each stage FROM the one before) is provably owned by root.

    Compatibility for ``assemble.py``, which can ask ``ArtifactGraph.stage_state(image, image.stage).root_owned`` instead.
    """
    if not lineage:
        return False
    state = StageState(None, lineage[0], ImageRef.parse(lineage[0].base))
    for stage in lineage[1:]:
        state = StageState(None, stage, state)
    return state.root_owned
