"""The names of the merged Dockerfile's stages.

In the merged file a stage name shadows an image of that name, so no stage
may be called what a FROM or ``--from`` of another merged Dockerfile, or a
``COPY --from`` of an outside image, names; a new name must not be one its own
Dockerfile uses for an image either.  The runtime Dockerfile's named stages
keep their names (they may be built with ``--target``); unnamed runtime stages
stay unnamed.
"""

from __future__ import annotations

from pathlib import Path

from migrate.trace.args import global_arg_values
from migrate.trace.flow import BuiltImage, Flow, instruction_site
from migrate.trace.stages import image_references, stage_name_candidates, valid_stage_name


class StageNames:
    """The merged stages' names by (image position, stage index), and every name a new stage may not take."""

    def __init__(self, names: dict[tuple[int, int], str], taken: set[str]) -> None:
        self.names = names
        self.taken = taken

    def of(self, image: BuiltImage) -> str:
        """The name of the stage a built image is."""
        return self.names[(image.position, image.stage.index)]

    def get(self, key: tuple[int, int]) -> str | None:
        return self.names.get(key)

    def __contains__(self, key: tuple[int, int]) -> bool:
        return key in self.names

    def fresh(self, candidates: list[str]) -> str:
        """A new stage's name: the first free valid candidate, else the first valid one numbered; it is taken then."""
        name = unique_name(candidates, self.taken)
        self.taken.add(name)
        return name


def name_stages(flow: Flow, merged: tuple[BuiltImage, ...], final: BuiltImage) -> StageNames:
    """Names for every merged stage; a runtime stage named like an image another merged file uses is refused."""
    references = {image.position: image_references(image.dockerfile, global_arg_values(image)) for image in merged}
    outside = {e.container.external.lower() for e in flow.extractions if e.container.external}
    everywhere = outside.union(*references.values())

    def named_elsewhere(image: BuiltImage) -> set[str]:
        return outside.union(*(names for position, names in references.items() if position != image.position))

    names: dict[tuple[int, int], str] = {}
    taken: set[str] = set()
    for stage in final.dockerfile.stages:
        if not stage.name:
            continue
        if stage.name.lower() in named_elsewhere(final):
            raise flow.refusal(
                instruction_site(final.dockerfile.path, stage.from_instruction),
                f"the stage {stage.name} has the name of an image the build image's Dockerfile or the driver uses, "
                "which in the merged Dockerfile would name this stage instead; rename the stage",
            )
        names[(final.position, stage.index)] = stage.name
        taken.add(stage.name.lower())
    for image in merged:
        if image is final:
            continue
        elsewhere = named_elsewhere(image)
        for stage in image.dockerfile.stages:
            own = stage.name.lower() if stage.name else None
            if own is not None and own not in taken | elsewhere:
                names[(image.position, stage.index)] = stage.name
                taken.add(own)
                continue
            if stage is image.stage:
                candidates = stage_name_candidates(image.tags, Path(image.dockerfile_path).name)
            elif own is not None:
                candidates = [own]
            else:
                continue
            name = unique_name(candidates, taken | everywhere)
            names[(image.position, stage.index)] = name
            taken.add(name)
    return StageNames(names, taken | everywhere)


def unique_name(candidates: list[str], taken: set[str]) -> str:
    """The first valid candidate not in ``taken``; else the first valid one (or ``builder``) with the lowest free number."""
    for candidate in candidates:
        if valid_stage_name(candidate) and candidate not in taken:
            return candidate
    base = next((c for c in candidates if valid_stage_name(c)), "builder")
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"
