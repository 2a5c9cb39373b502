"""Which containers and builds the migrated flow replaces, which build stays, and what must hold of them all.

The builds whose containers' files are read become stages; the build that
reads them is the runtime build, which stays.  Every step of that flow must
always run, and the builds must agree on the flags the one ``docker build``
passes to every stage.
"""

from __future__ import annotations

from dataclasses import dataclass

from migrate.plan import NothingToDo
from migrate.read.ops import Build, OtherDocker, Site, where
from migrate.trace.flow import BuiltImage, ContainerState, Flow, image_key
from migrate.trace.hidden_builders import check_hidden_builders
from migrate.trace.owners import lineage_runs_as_root

# Docker subcommands that take files out of an image or a container other than by docker cp.
_EXTRACTING_SUBCOMMANDS = frozenset({"export", "container export", "save", "image save", "commit", "container commit", "exec", "container exec"})
# Flags that decide only what happens to the final image, not how a stage is built.
_FINAL_ONLY_BUILD_FLAGS = frozenset(
    {"--cache-from", "--cache-to", "--output", "-o", "--push", "--metadata-file", "--provenance", "--sbom", "--annotation"}
)
_IGNORED_BUILD_FLAGS = frozenset({"--no-cache", "--pull", "-q", "--quiet", "--rm", "--force-rm", "--compress", "--label", "--iidfile", "--progress", "--load"})


@dataclass(frozen=True)
class Participants:
    states: tuple[ContainerState, ...]
    """The containers the migrated flow no longer has: their extractions are read, or copied for nothing."""
    builders: tuple[BuiltImage, ...]
    """The builds that become stages."""
    final: BuiltImage
    """The runtime build, which now builds the merged Dockerfile."""
    merged: tuple[BuiltImage, ...]
    """The builders and the runtime build, in the driver's order."""


def nothing_to_do(flow: Flow) -> NothingToDo | None:
    """Why there is nothing to migrate, when no build reads what is copied out of a container; None when there is something."""
    if flow.extractions and any(e.consumptions for e in flow.extractions):
        return None
    _check_unreadable_extraction(flow)
    check_hidden_builders(flow)
    driver = flow.reading.driver
    if not flow.extractions:
        return NothingToDo(driver, _nothing_reason(flow))
    return NothingToDo(driver, "artifacts are copied out of containers, but no docker build of this driver reads them")


def check_unread_extractions(flow: Flow, decisions: list[str]) -> None:
    """Every extraction the migrated flow drops must have been read, or only have fed a host step whose result is read."""
    facts = flow.reading.facts
    for extraction in flow.extractions:
        if extraction.consumptions or extraction.removed_on_host or extraction.made_on_host or extraction.via == "bind mount":
            continue
        if extraction.derived:
            decisions.append(
                f"{where(extraction.site)}: {facts.relative(extraction.host_path)} was only the input of a host step "
                "whose result the migrated build reads from the stage, so it is no longer left on the host"
            )
            continue
        raise flow.refusal(
            extraction.site,
            f"{facts.relative(extraction.host_path)} is extracted but no build reads it; "
            "the migrated flow would no longer leave it on the host",
        )


def find_participants(flow: Flow) -> Participants:
    states: list[ContainerState] = []
    for extraction in flow.extractions:
        state = extraction.container
        takes_part = extraction.consumptions or extraction.via != "bind mount"
        if takes_part and state not in states:
            states.append(state)
    builders = _builder_images(flow)
    final = _final_image(flow, builders)
    merged = sorted(set(builders) | {final}, key=lambda image: image.position)
    paths = [image.dockerfile_path for image in merged]
    if len(set(paths)) != len(paths):
        raise flow.refusal(final.build.site, "the same Dockerfile builds both the build image and the runtime image")
    return Participants(tuple(states), tuple(builders), final, tuple(merged))


def check_guards(flow: Flow, participants: Participants) -> None:
    """Every step of the flow that goes away or changes must run every time: the migrated build always runs its stages."""
    sites: list[Site] = [image.build.site for image in participants.merged]
    for extraction in flow.extractions:
        if not (extraction.consumptions or extraction.container in participants.states):
            continue
        sites.append(extraction.site)
        sites.extend(extraction.host_changes)
    for state in participants.states:
        sites.append(state.op.site)
        sites.extend(remove.site for remove in state.removed_by)
        sites.extend(control.site for control in state.controls)
    for site in sites:
        if site.guard:
            raise flow.refusal(site, f"{guarded('this step of the flow', site.guard)}; the migrated build would always run it")


def guarded(subject: str, guard: str) -> str:
    """A sentence saying that ``subject`` runs only sometimes: a reader's guard reads "inside a loop …" or "runs only when …"."""
    return f"{subject} {guard}" if guard.startswith("runs ") else f"{subject} is {guard}"


def check_build_flags(flow: Flow, participants: Participants) -> None:
    """The one build passes the runtime build's flags to every stage, so each build must have had the same ones."""

    def flags(image: BuiltImage) -> dict[str, str | None]:
        return {name: (value.key if value else None) for name, value in image.build.other_flags if name not in _IGNORED_BUILD_FLAGS}

    final = participants.final
    final_flags = flags(final)
    for image in participants.builders:
        own = flags(image)
        for name, value in image.build.other_flags:
            if name in own and final_flags.get(name, object()) != own[name]:
                raise flow.refusal(
                    image.build.site,
                    f"the build image is built with {name}{' ' + value.text if value else ''}, which the runtime build does not share",
                )
        for name, value in final.build.other_flags:
            if name in final_flags and name not in own and name not in _FINAL_ONLY_BUILD_FLAGS:
                raise flow.refusal(
                    final.build.site,
                    f"the runtime build has {name}{' ' + value.text if value else ''}, which the build image was built without; "
                    "the merged build would build its stages with it too",
                )


def built_as_root(flow: Flow, image: BuiltImage) -> bool:
    """Whether every file of the image is provably owned by root, following its base through stages and earlier builds."""
    lineage = list(flow.lineage(image, image.stage))
    if flow.base_of(*lineage[-1]) is not None:
        return False  # the stages are built from each other in a loop
    return lineage_runs_as_root([stage for _, stage in reversed(lineage)])


def _builder_images(flow: Flow) -> list[BuiltImage]:
    builders: list[BuiltImage] = []
    for extraction in flow.extractions:
        image = extraction.container.image
        if extraction.consumptions and image is not None and image not in builders:
            builders.append(image)
    for image, _stage, base in flow.chains:
        if image in builders and base not in builders:
            builders.append(base)
    consumers = {c.image for c in flow.consumptions}
    for image in list(consumers):
        if any(image is base for _i, _s, base in flow.chains) and image not in builders:
            builders.append(image)
    return builders


def _final_image(flow: Flow, builders: list[BuiltImage]) -> BuiltImage:
    finals = []
    for consumption in flow.consumptions:
        if consumption.image not in builders and consumption.image not in finals:
            finals.append(consumption.image)
    if len(finals) != 1:
        sites = ", ".join(f"line {image.build.site.line}" for image in finals)
        raise flow.refusal(
            finals[-1].build.site if finals else None,
            f"several builds read the extracted artifacts ({sites}); dmigrate migrates one runtime image per driver",
        )
    return finals[0]


def _nothing_reason(flow: Flow) -> str:
    builds = [op for op in flow.reading.driver.operations if isinstance(op, Build)]
    if not builds:
        return "the driver runs no docker build"
    for image in flow.images:
        if len(image.dockerfile.stages) > 1:
            return f"{image.dockerfile.path.name} is already a multi-stage build and nothing is copied out of a container"
    return "nothing is copied out of a container, so there is no builder pattern to migrate"


def _check_unreadable_extraction(flow: Flow) -> None:
    """Files may leave a build image by a tool dmigrate cannot read; then its absence of extractions proves nothing."""
    built = {image_key(tag) for image in flow.images for tag in image.tags}
    if not built or not any(c.image is not None for c in flow.containers) and not flow.unknown_writes:
        return
    for op, _what in flow.uses:
        if isinstance(op, OtherDocker) and op.subcommand in _EXTRACTING_SUBCOMMANDS:
            raise flow.refusal(
                op.site,
                f"`docker {op.subcommand}` takes files out of the build image or its container in a way dmigrate cannot follow",
            )
