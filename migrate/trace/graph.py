"""The artifact graph: which build made which image, which container came from it, which path left it, and which COPY reads it.

:class:`~migrate.trace.tracer.ArtifactTracer` builds the graph by walking the
driver's operations in order; the checks and :mod:`migrate.trace.assemble`
read it.  Nothing here decides or checks anything: it only links the steps and
answers questions about what an image's stages hold (through one
:class:`~migrate.trace.stage_state.StageState` per stage).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from migrate.errors import Location, Refusal
from migrate.read.dockerfile import Dockerfile, Instruction, Stage
from migrate.read.ops import UNKNOWN_MARK, Build, Container, Copy, Operation, OtherDocker, Remove, Site, Volume
from migrate.read.project import ProjectReading
from migrate.trace.base_images import base_image_facts
from migrate.trace.config import RunDefaults, effective_argv
from migrate.trace.image_ref import ImageRef
from migrate.trace.paths import ContainerSource
from migrate.trace.stage_state import StageState
from migrate.trace.umask import DEFAULT_UMASK, Umask


@dataclass(eq=False)
class BuiltImage:
    build: Build
    position: int
    context: str
    dockerfile_path: str
    dockerfile: Dockerfile
    stage: Stage
    """The stage the image is: the ``--target`` or the last one."""
    tags: tuple[str, ...]


@dataclass(eq=False)
class Mount:
    """A bind mount of a ``docker run``: the host directory the container sees at ``target``."""

    host_path: str
    target: str
    read_only: bool
    seeded: bool
    """The host directory had files before the run, so the stage must start with them."""
    site: Site


@dataclass(eq=False)
class ContainerState:
    op: Container
    image: BuiltImage | None
    external: str | None
    """The image reference when the image was not built by the driver."""
    ran: bool
    """Its command has run (``docker run``, ``docker start -a``)."""
    key: str | None = None
    """How later commands name it: its ``--name`` or the captured id."""
    removed_by: list[Remove] = field(default_factory=list)
    controls: list[OtherDocker] = field(default_factory=list)
    """``docker start`` / ``docker wait`` of it: they go when it does."""
    runs: int = 0
    detached: bool = False
    """Started in the background and not waited for."""
    mounts: list[Mount] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Why its run cannot become a stage, found while tracing (a named volume, an unknown mount)."""
    unplaced: list[tuple[Volume, Site, str]] = field(default_factory=list)
    """Writable bind mounts that cannot be placed in the project (a host directory only known when the driver runs), where it ran, and why."""

    @property
    def reference(self) -> str:
        return self.op.image.shown()


@dataclass(eq=False)
class Extraction:
    copy: Copy | None
    container: ContainerState
    source: ContainerSource
    host_path: str
    """Where the artifact is on the host; for an archive member, the archive."""
    site: Site
    via: str = "docker cp"
    """``docker cp``, ``bind mount``, ``stdout`` or ``tar``: how it left the container."""
    from_run: bool = False
    """Read after the container's command ran, so it comes from the stage that runs it."""
    kind: str | None = None
    """``file`` or ``dir`` when known."""
    mode_from_host: bool = False
    """The host wrote the file itself (a stdout redirect), so its mode is the host's default."""
    umask: Umask = DEFAULT_UMASK
    """The umask in force where the host wrote it."""
    chmod: int | None = None
    """The mode a host ``chmod`` gave it before the runtime build read it."""
    chmod_site: Site | None = None
    """The ``chmod`` that gave it that mode."""
    owners_kept: bool = False
    """The legacy image kept the build stage's owners (an archive written in the container, unpacked by ADD)."""
    member: str | None = None
    """For an archive made from artifacts: the name inside the archive."""
    host_changes: list[Site] = field(default_factory=list)
    """Host commands (chmod, mv, tar) that changed it on the way; the migrated build does their work."""
    consumptions: list["Consumption"] = field(default_factory=list)
    removed_on_host: bool = False
    derived: bool = False
    """A host ``cp -a`` or archive was made from it; the migrated build reads those from the stage instead."""
    made_on_host: bool = False
    """It is such a copy or archive member, made by a host command."""
    position: int = -1
    """The index of the driver operation that put it on the host."""

    @property
    def known_mode(self) -> int | None:
        if self.chmod is not None:
            return self.chmod
        if self.mode_from_host and self.umask.value is not None:
            return 0o666 & ~self.umask.value
        return None


@dataclass(eq=False)
class Consumption:
    image: BuiltImage
    stage: Stage
    instruction: Instruction
    source: str
    """The COPY source word as written."""
    relation: str
    """``itself``, ``inside``, ``directory`` or ``unpacked`` (ADD of an archive member)."""
    below: str
    extraction: Extraction


@dataclass
class ArtifactGraph:
    reading: ProjectReading
    images: list[BuiltImage] = field(default_factory=list)
    containers: list[ContainerState] = field(default_factory=list)
    extractions: list[Extraction] = field(default_factory=list)
    consumptions: list[Consumption] = field(default_factory=list)
    chains: list[tuple[BuiltImage, Stage, BuiltImage]] = field(default_factory=list)
    """``(image, stage, base)``: a stage of ``image`` is FROM the earlier built ``base``."""
    copies_from: list[tuple[BuiltImage, Instruction, BuiltImage]] = field(default_factory=list)
    """``(image, instruction, built)``: an instruction of ``image`` has ``--from=`` the earlier built ``built``."""
    uses: list[tuple[Operation, str]] = field(default_factory=list)
    """Other operations that name a builder image, container or artifact, with what they name."""
    unknown_writes: list[tuple[str, Site, str]] = field(default_factory=list)
    """Host paths written in a way dmigrate cannot follow: path, where, and why."""
    decisions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    states: dict[tuple[int, int], StageState | None] = field(default_factory=dict, repr=False)
    """Each stage's state, by ``(id(image), stage index)``, made when first asked for (None while it is being made)."""

    def refusal(self, site: Site | None, reason: str) -> Refusal:
        """A refusal at ``site``, or at the driver when there is no better place."""
        return Refusal(Location(site.file, site.line) if site else Location(self.reading.driver.path), reason)

    # -- stages --------------------------------------------------------------------------
    def stage_state(self, image: BuiltImage, stage: Stage) -> StageState:
        """The state of a stage of ``image``'s Dockerfile, built on its base (another stage, an earlier image, or an outside one)."""
        key = (id(image), stage.index)
        state = self.states.get(key)
        if state is None:
            if key in self.states:
                raise _Loop
            self.states[key] = None
            base: StageState | ImageRef | None
            found = self.base_of(image, stage)
            try:
                base = self.stage_state(*found) if found is not None else ImageRef.parse(stage.base)
            except _Loop:
                base = None
            state = self.states[key] = StageState(image.dockerfile, stage, base)
        return state

    def image_state(self, image: BuiltImage) -> StageState:
        """The state of the stage ``image`` is."""
        return self.stage_state(image, image.stage)

    def base_of(self, image: BuiltImage, stage: Stage) -> tuple[BuiltImage, Stage] | None:
        """The stage a stage is FROM, in its own Dockerfile or in an image built earlier; None for an outside image."""
        internal = image.dockerfile.stage(stage.base)
        if internal is not None and internal.index < stage.index:
            return image, internal
        for chained_image, chained_stage, built in self.chains:
            if chained_image is image and chained_stage is stage:
                return built, built.stage
        return None

    def copied_from(self, image: BuiltImage, instruction: Instruction, origin: str) -> tuple[BuiltImage, Stage] | None:
        """The stage a ``COPY --from=origin`` of ``image`` reads, in its own Dockerfile or in an image built earlier."""
        own = image.dockerfile.stage(origin)
        if own is not None:
            return image, own
        for copier, copying, built in self.copies_from:
            if copier is image and copying is instruction:
                return built, built.stage
        return None

    def lineage(self, image: BuiltImage, stage: Stage) -> Iterator[tuple[BuiltImage, Stage]]:
        """The stage, then the stage it is FROM, and so on through earlier builds; a loop ends it."""
        seen = set()
        current: tuple[BuiltImage, Stage] | None = (image, stage)
        while current is not None and (id(current[0]), current[1].index) not in seen:
            seen.add((id(current[0]), current[1].index))
            yield current
            current = self.base_of(*current)

    def base_defaults(self, image: BuiltImage, stage: Stage) -> RunDefaults:
        """What the stage starts with: its base's ENTRYPOINT, CMD, WORKDIR and USER."""
        return self.stage_state(image, stage).start

    def kind_in_image(self, image: BuiltImage, path: str) -> str | None:
        """``file`` or ``dir`` when the Dockerfile stage that is ``image`` shows what ``path`` is."""
        return self.image_state(image).kind_of(path)

    # -- containers ----------------------------------------------------------------------
    def defaults(self, image: BuiltImage | None, external: str | None) -> RunDefaults:
        """The ENTRYPOINT, CMD, WORKDIR and USER a container of this image starts with."""
        if image is None:
            return base_image_facts(external or "").defaults
        return self.image_state(image).defaults

    def command_of(self, state: ContainerState) -> tuple[tuple[str, ...] | None, str]:
        """The argv a container runs, and why it cannot be known when it is None."""
        op = state.op
        if not all(word.known for word in op.command) or (op.entrypoint is not None and not op.entrypoint.known):
            return None, "its command depends on values that cannot be known without running the driver"
        defaults = self.defaults(state.image, state.external)
        argv = effective_argv(defaults, op.entrypoint.key if op.entrypoint else None, tuple(w.key for w in op.command))
        if argv is None:
            return None, defaults.unknown or f"the ENTRYPOINT or CMD of {state.reference} cannot be known"
        return argv, ""

    def workdir_of(self, state: ContainerState) -> str | None:
        op = state.op
        defaults = self.defaults(state.image, state.external)
        if op.workdir is None:
            return defaults.workdir
        if not op.workdir.known:
            return None
        return posixpath.normpath(posixpath.join(defaults.workdir or "/", op.workdir.key)) if defaults.workdir or op.workdir.key.startswith("/") else None


class _Loop(Exception):
    """A stage asked for while its own state is being made: the stages are built from each other in a loop."""


def derived_extraction(extraction: Extraction, *, site: Site, **changes) -> Extraction:
    """A second artifact made on the host from ``extraction`` (a ``cp -a`` of it, or an archive of it)."""
    extraction.derived = True
    return Extraction(
        copy=extraction.copy,
        container=extraction.container,
        source=changes.pop("source", extraction.source),
        host_path=changes.pop("host_path"),
        site=site,
        via=extraction.via,
        from_run=extraction.from_run,
        kind=extraction.kind,
        mode_from_host=extraction.mode_from_host,
        umask=extraction.umask,
        chmod=extraction.chmod,
        chmod_site=extraction.chmod_site,
        owners_kept=changes.pop("owners_kept", extraction.owners_kept),
        member=changes.pop("member", None),
        host_changes=[*extraction.host_changes, site],
        made_on_host=True,
    )


def shown_volume(volume: Volume) -> str:
    """A bind mount as the driver wrote it."""
    if volume.written is not None:
        return volume.written.text
    return f"{volume.host.text}:{volume.container}".replace(UNKNOWN_MARK, "")


def instruction_site(path: Path, instruction: Instruction) -> Site:
    """Where an instruction of the Dockerfile at ``path`` stands, for a refusal."""
    return Site(path, instruction.line, None)
