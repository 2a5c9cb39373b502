"""Follow a driver's operations in order and link every step of the flow.

Which Dockerfile and context built which tag, which container came from
which image, which container path landed at which host path, and which
COPY of a later build reads it.  The result is a :class:`Flow`; deciding
what the merged build looks like is :mod:`migrate.trace.assemble`'s job.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.errors import Location, Refusal
from migrate.read.dockerfile import Dockerfile, Instruction, Stage
from migrate.read.dockerignore import DockerIgnore
from migrate.read.ops import (
    Build,
    Container,
    Copy,
    HostCommand,
    Opaque,
    Operation,
    OtherDocker,
    Remove,
    RemoveImage,
    Site,
    UNKNOWN_MARK,
    Volume,
    Word,
    build_paths,
    where,
)
from migrate.read.project import ProjectReading
from migrate.trace.paths import (
    ContainerSource,
    Relation,
    container_source,
    context_relative,
    is_pattern,
    is_under,
    landing_path,
    may_overlap,
    relate,
)
from migrate.trace.stages import earlier_stage, path_kind
from migrate.trace.umask import DEFAULT_UMASK, Umask, Umasks
from migrate.trace.windows import windows_build_reason, windows_image

if TYPE_CHECKING:
    from migrate.trace.config import RunDefaults
    from migrate.trace.host import TarExtract


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
class Flow:
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

    def refusal(self, site: Site | None, reason: str) -> Refusal:
        """A refusal at ``site``, or at the driver when there is no better place."""
        return Refusal(Location(site.file, site.line) if site else Location(self.reading.driver.path), reason)

    def defaults(self, image: BuiltImage | None, external: str | None) -> RunDefaults:
        """The ENTRYPOINT, CMD, WORKDIR and USER a container of this image starts with."""
        if image is None:
            from migrate.trace.config import official_defaults

            return official_defaults(external or "")
        return self._stage_defaults(image, image.stage, frozenset())

    def base_of(self, image: BuiltImage, stage: Stage) -> tuple[BuiltImage, Stage] | None:
        """The stage a stage is FROM, in its own Dockerfile or in an image built earlier; None for an outside image."""
        internal = earlier_stage(image.dockerfile, stage)
        if internal is not None:
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

    def base_defaults(self, image: BuiltImage, stage: Stage, seen: frozenset = frozenset()) -> RunDefaults:
        base = self.base_of(image, stage)
        if base is None:
            from migrate.trace.config import official_defaults

            return official_defaults(stage.base)
        return self._stage_defaults(base[0], base[1], seen)

    def _stage_defaults(self, image: BuiltImage, stage: Stage, seen: frozenset) -> RunDefaults:
        from migrate.trace.config import RunDefaults, stage_defaults

        if (id(image), stage.index) in seen:
            return RunDefaults(None, None, None, None, "the stages are built from each other in a loop")
        seen = seen | {(id(image), stage.index)}
        return stage_defaults(stage, lambda current: self.base_defaults(image, current, seen))

    def kind_in_image(self, image: BuiltImage, path: str) -> str | None:
        """``file`` or ``dir`` when the Dockerfile stage that is ``image`` shows what ``path`` is."""
        return path_kind(image.stage, path, self.base_defaults(image, image.stage).workdir)

    def command_of(self, state: ContainerState) -> tuple[tuple[str, ...] | None, str]:
        """The argv a container runs, and why it cannot be known when it is None."""
        op = state.op
        if not all(word.known for word in op.command) or (op.entrypoint is not None and not op.entrypoint.known):
            return None, "its command depends on values that cannot be known without running the driver"
        from migrate.trace.config import effective_argv

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


class FlowTracer:
    def __init__(self, reading: ProjectReading) -> None:
        self.reading = reading
        self.facts = reading.facts
        self.flow = Flow(reading)
        self.tags: dict[str, BuiltImage] = {}
        self.by_name: dict[str, ContainerState] = {}
        self.host_state: dict[str, str | None] = {}
        """What the script itself did to host paths: ``dir``, ``file``, ``unknown`` (an artifact of unknown kind) or None (removed)."""
        self.removed: set[str] = set()
        """Host paths the script removed: what git tracked there is gone."""
        self.umasks = Umasks(reading)
        self.made_directories: dict[str, tuple[Site, int | None, Umask, str]] = {}
        """Directories a host ``mkdir`` made: where, their mode (None: unknown), the umask it ran under and the command."""

    def refuse(self, site: Site | None, reason: str) -> Refusal:
        return self.flow.refusal(site, reason)

    def run(self) -> Flow:
        from migrate.trace.hidden_builders import build_output_writes, check_unplaced_mounts

        for position, operation in enumerate(self.reading.driver.operations):
            handler = getattr(self, f"_on_{type(operation).__name__.lower()}")
            count = len(self.flow.extractions)
            handler(operation, position)
            for extraction in self.flow.extractions[count:]:
                extraction.position = position
            if isinstance(operation, Build):
                self.flow.unknown_writes.extend(build_output_writes(operation))
        from migrate.trace.terminal import check_terminal_output
        from migrate.trace.window import check_steps_beside_artifacts

        check_unplaced_mounts(self.flow)
        check_steps_beside_artifacts(self.flow)
        check_terminal_output(self.flow)
        return self.flow

    # -- docker build ------------------------------------------------------------
    def _on_build(self, op: Build, position: int) -> None:
        context, dockerfile_path = build_paths(op)
        if context is None or dockerfile_path is None:
            if self._touches_flow_later(op):
                raise self.refuse(op.site, "the build context or Dockerfile cannot be known without running the driver")
            return
        dockerfile = self.reading.dockerfiles.get(dockerfile_path)
        if dockerfile is None:
            if self.flow.extractions or self._touches_flow_later(op):
                raise self.refuse(op.site, f"the Dockerfile {self.facts.relative(dockerfile_path)} does not exist")
            return
        stage = dockerfile.stages[-1]
        if op.target is not None:
            if not op.target.known or dockerfile.stage(op.target.key) is None:
                raise self.refuse(op.site, f"--target {op.target.text} names no stage of {dockerfile.path.name}")
            stage = dockerfile.stage(op.target.key)
        windows = windows_build_reason(op, dockerfile)
        if windows and (self.flow.extractions or self._touches_flow_later(op)):
            raise self.refuse(op.site, f"{windows}; dmigrate migrates Linux builds only")
        image = BuiltImage(op, position, context, dockerfile_path, dockerfile, stage, tuple(tag.key for tag in op.tags))
        self.flow.images.append(image)
        for candidate in dockerfile.stages:
            base = self.tags.get(_image_key(candidate.base))
            if base is not None and earlier_stage(dockerfile, candidate) is None:
                self.flow.chains.append((image, candidate, base))
            for instruction in candidate.instructions:
                source = instruction.flag("from")
                if source and dockerfile.stage(source) is None and (built := self.tags.get(_image_key(source))) is not None:
                    self.flow.copies_from.append((image, instruction, built))
        self._find_consumptions(image)
        self._check_consumptions(image)
        for tag in image.tags:
            self.tags[_image_key(tag)] = image

    def _touches_flow_later(self, op: Build) -> bool:
        later = self.reading.driver.operations
        tags = {_image_key(tag.key) for tag in op.tags}
        return any(isinstance(other, Container) and _image_key(other.image.key) in tags for other in later)

    def _find_consumptions(self, image: BuiltImage) -> None:
        live = [e for e in self.flow.extractions if not e.removed_on_host]
        if not live and not self.flow.unknown_writes:
            return
        ignore = self._dockerignore(image)
        for stage in image.dockerfile.stages:
            for instruction in stage.instructions:
                if instruction.keyword not in ("COPY", "ADD") or instruction.flag("from") is not None:
                    continue
                words = instruction.words()
                heredoc_names = {f"<<{h.name}" for h in instruction.heredocs} | {f"<<-{h.name}" for h in instruction.heredocs}
                sources = [w for w in words[:-1] if w not in heredoc_names]
                for source in sources:
                    self._relate_source(image, stage, instruction, source, live, ignore)

    def _relate_source(self, image, stage, instruction, source, live, ignore) -> None:
        if "://" in source:
            return
        site = Site(image.dockerfile.path, instruction.line, None)
        relative = context_relative(source)
        absolute = posixpath.normpath(posixpath.join(image.context, relative))
        pattern = is_pattern(relative)
        for path, write_site, reason in self.flow.unknown_writes:
            if not is_under(path, image.context):
                continue
            path_relative = posixpath.relpath(path, image.context)
            if may_overlap(relative, path_relative) if pattern else relate(absolute, path) is not None:
                if ignore is None or not ignore.excludes(path_relative):
                    raise self.refuse(write_site, f"{reason}, and {image.dockerfile.path.name}:{instruction.line} reads it")
        if not pattern:
            self._check_one_origin(site, source, absolute, live)
        for extraction in live:
            host = extraction.host_path
            if not is_under(host, image.context):
                continue
            if pattern:
                if may_overlap(relative, posixpath.relpath(host, image.context)):
                    raise self.refuse(
                        site,
                        f"the source {source!r} has a wildcard or a variable and may match the extracted {self.facts.relative(host)}; "
                        "write the artifact's name out so that dmigrate can trace it",
                    )
                continue
            relation = relate(absolute, host)
            if relation is None:
                continue
            host_relative = posixpath.relpath(host, image.context)
            if relation.kind == "directory":
                if ignore is not None and ignore.excludes(host_relative):
                    continue
            elif ignore is not None and ignore.excludes(posixpath.relpath(absolute, image.context)):
                if not (extraction.kind == "file" and relation.kind == "itself") and _ignore_lets_back_inside(
                    ignore, posixpath.relpath(absolute, image.context)
                ):
                    # Docker still walks an excluded directory when a `!` rule may take back something in it.
                    raise self.refuse(
                        site,
                        f".dockerignore leaves out part of the extracted {self.facts.relative(host)}, which a COPY --from cannot reproduce",
                    )
                raise self.refuse(site, f"{source!r} is excluded by .dockerignore, so the legacy build could not have copied it")
            kind = relation.kind
            if extraction.member is not None:
                if instruction.keyword != "ADD" or kind != "itself":
                    raise self.refuse(
                        site,
                        f"{instruction.keyword} reads the archive {self.facts.relative(host)}, which the driver packs from artifacts on the host; "
                        "only an ADD that unpacks it can read the artifacts from a stage instead",
                    )
                kind = "unpacked"
            elif (
                ignore is not None
                and not (extraction.kind == "file" and relation.kind != "inside")
                and _ignore_reaches_inside(ignore, posixpath.relpath(absolute if relation.kind == "inside" else host, image.context))
            ):
                shown = "build context" if host == image.context else self.facts.relative(host)
                raise self.refuse(
                    site,
                    f".dockerignore leaves out part of the extracted {shown}, which a COPY --from cannot reproduce",
                )
            if kind in ("itself", "inside") and instruction.keyword == "ADD":
                self._check_add_source(site, source, absolute, extraction, relation)
            consumption = Consumption(image, stage, instruction, source, kind, relation.below, extraction)
            extraction.consumptions.append(consumption)
            self.flow.consumptions.append(consumption)

    def _check_one_origin(self, site: Site, source: str, absolute: str, live: list[Extraction]) -> None:
        """Refuse a source that lies in a directory a run wrote into through a bind mount and that another container's files land in too.

        What the run left there cannot be known, so neither can which of the two
        the legacy build read, nor whether a stage of the run would hold it.
        """
        covering = [e for e in live if e.member is None and is_under(absolute, e.host_path)]
        mounted = next((e for e in covering if e.via == "bind mount"), None)
        if mounted is None:
            return
        other = next((e for e in covering if e.container is not mounted.container), None)
        if other is None:
            return
        raise self.refuse(
            site,
            f"{source!r} lies in {self.facts.relative(mounted.host_path)}, which the run at {where(mounted.site)} writes into through its "
            f"bind mount, and {where(other.site)} extracts {self.facts.relative(other.host_path)} too; dmigrate cannot tell which of "
            "them the build reads",
        )

    def _check_add_source(self, site: Site, source: str, absolute: str, extraction: Extraction, relation: Relation) -> None:
        """Refuse an ADD that may read an artifact FILE: ADD unpacks a local file whose content is a tar archive.

        Docker looks at the content, not the name, and a COPY --from never unpacks, so only a source known
        to be a directory (ADD copies a directory as COPY does, unpacking nothing in it) can become one.
        """
        kind = self._add_source_kind(extraction, relation)
        if kind == "dir":
            return
        if _looks_like_archive(absolute):
            raise self.refuse(site, f"ADD unpacks the archive {source!r}; dmigrate does not yet turn that into a COPY --from")
        path = posixpath.join(extraction.source.path, relation.below) if relation.kind == "inside" else extraction.source.path
        named = f"{source} ({path} in the build {'container' if extraction.from_run else 'image'})"
        if kind == "file":
            raise self.refuse(
                site,
                f"ADD unpacks a local file whose content is a tar archive, and dmigrate cannot see whether {named} is one; "
                "if it is not, change ADD to COPY here (what ADD does with any other file) and run dmigrate again",
            )
        raise self.refuse(
            site,
            f"ADD unpacks a local file whose content is a tar archive, and dmigrate cannot see whether {named} "
            "is a directory (which ADD copies as COPY does) or a file, nor what such a file holds; "
            "if it is not a tar archive, change ADD to COPY here and run dmigrate again",
        )

    def _add_source_kind(self, extraction: Extraction, relation: Relation) -> str | None:
        """``file`` or ``dir`` when it is known what an ADD source at or inside an extracted host path is."""
        if relation.kind == "itself":
            return extraction.kind
        image = extraction.container.image
        if extraction.kind == "file" or extraction.from_run or image is None:
            # A run's command may have made anything below its paths; the Dockerfile shows only the image.
            return None
        return self.flow.kind_in_image(image, posixpath.join(extraction.source.path, relation.below))

    def _dockerignore(self, image: BuiltImage) -> DockerIgnore | None:
        own = self.facts.texts.get(image.dockerfile_path + ".dockerignore")
        if own is not None:
            return DockerIgnore(own)
        text = self.facts.texts.get(posixpath.join(image.context, ".dockerignore"))
        return DockerIgnore(text) if text is not None else None

    # -- containers --------------------------------------------------------------
    def _on_container(self, op: Container, position: int) -> None:
        image = self.tags.get(_image_key(op.image.key))
        external = None if image is not None else op.image.key
        key = self._container_key(op, position)
        state = ContainerState(op, image, external, ran=op.runs, key=key)
        self.flow.containers.append(state)
        if key is not None:
            self.by_name[key] = state
        if not op.runs:
            return
        state.runs = 1
        state.detached = any(flag in ("-d", "--detach") or (flag.startswith("-") and not flag.startswith("--") and "d" in flag) for flag, _ in op.other_flags)
        extracts = False
        if op.volumes:
            extracts = self._mounts(state, op.site)
        if op.stdout is not None or op.stdout_pipe is not None:
            extracts = self._output(state) or extracts
        if not extracts and image is not None and op.remove:
            self.flow.uses.append((op, f"runs the build image {op.image.shown()}"))

    def _container_key(self, op: Container, position: int) -> str | None:
        if op.name is not None:
            return op.name.key
        if op.captured_as is not None:
            return f"\x00container-id {op.captured_as} {position}\x00"
        return None

    def _output(self, state: ContainerState) -> bool:
        """``docker run IMG cat S > H``, ``docker run IMG tar -c … | tar -x`` and ``… > x.tar``; True when it extracts."""
        from migrate.trace.hidden_builders import check_piped_into_docker
        from migrate.trace.host import member_name, read_tar_create

        op = state.op
        check_piped_into_docker(self.flow, op)
        if op.stdout is not None and op.stdout.known and op.stdout.key == "/dev/null":
            return False

        argv, why = self.flow.command_of(state)
        written = self._host_path(op.cwd, op.stdout) if op.stdout is not None else None
        if op.stdout_appends and written is not None:
            self.flow.unknown_writes.append(
                (written, op.site, f"the driver appends the output of `docker run` to {op.stdout.text}, after what the file already held")
            )
            return False
        if argv is not None and len(argv) == 2 and posixpath.basename(argv[0]) == "cat" and op.stdout is not None:
            if written is None:
                raise self.refuse(op.site, f"the output file {op.stdout.text} cannot be known without running the driver")
            source = self._container_path(state, argv[1])
            umask = self.umasks.at(op.site)
            self._record(Extraction(None, state, source, written, op.site, via="stdout", kind="file", mode_from_host=True, umask=umask))
            return True
        tar = read_tar_create(list(argv)) if argv is not None else None
        if tar is not None and tar.archive == "-":
            members = [(self._container_path(state, posixpath.join(tar.directory or ".", m)), member_name(m)) for m in tar.members]
            for source, name in members:
                if name != "." and state.image is not None and _creates_symlink(state.image.stage.instructions, source.path):
                    raise self.refuse(
                        op.site, f"{source.path} is a symbolic link in the build image; tar packs the link while COPY --from follows it"
                    )
            if op.stdout_pipe is not None:
                extract = self._tar_extract(op.stdout_pipe, op.cwd)
                if extract is None:
                    raise self.refuse(op.site, "the tar stream of `docker run` is piped into a command other than a plain `tar -x`")
                self._note_tar_extract(op.site, extract)
                destination = extract.directory
                for source, name in members:
                    host = posixpath.normpath(posixpath.join(destination, name))
                    source = ContainerSource(source.path, name == ".")
                    self._record(Extraction(None, state, source, host, op.site, via="tar", kind="dir" if name == "." else None))
                return True
            if written is not None:
                for source, name in members:
                    source = ContainerSource(source.path, name == ".")
                    self._record(
                        Extraction(None, state, source, written, op.site, via="stdout", member=name, owners_kept=not tar.root_owner)
                    )
                self.host_state[written] = "file"
                return True
        if written is not None:
            shown = " ".join(w.text for w in op.command) or "its command"
            self.flow.unknown_writes.append(
                (written, op.site, f"the driver writes the output of `docker run … {shown}` to {op.stdout.text}, "
                 f"which dmigrate reads only from `cat FILE` or `tar -c` ({why or 'it cannot tell what this prints'})")
            )
        return False

    def _container_path(self, state: ContainerState, path: str) -> ContainerSource:
        """A path a command in the container names: relative ones start at the container's working directory."""
        if not path.startswith("/"):
            workdir = self.flow.workdir_of(state)
            if workdir is None:
                raise self.refuse(state.op.site, f"the working directory of {state.reference} cannot be known, so neither can {path}")
            path = posixpath.join(workdir, path)
        return container_source(path)

    def _tar_extract(self, words: tuple[Word, ...] | None, cwd: Word) -> TarExtract | None:
        if words is None or not cwd.known or not all(w.known for w in words):
            return None
        from migrate.trace.host import read_tar_extract

        return read_tar_extract([w.key for w in words], cwd.key)

    def _note_tar_extract(self, site: Site, extract: TarExtract) -> None:
        if not extract.preserves_permissions:
            self.flow.decisions.append(
                f"{where(site)}: assumed the driver runs as root: for another user, `tar -x` applies the umask to the modes it unpacks"
            )

    def _mounts(self, state: ContainerState, site: Site) -> bool:
        """Bind mounts of a run (at ``site``): each writable one hands the container's files at its target to the host."""
        op = state.op
        extracts = False
        for volume in op.volumes:
            if volume.options == "volume" or not (volume.host.key.startswith(("/", ".")) or not volume.host.known):
                name = volume.host.shown() or "an anonymous volume"
                state.problems.append(f"it mounts {name} at {volume.container}, a volume whose content outlives the container")
                continue
            host = self._host_path(op.cwd, volume.host)
            target = volume.container
            read_only = bool({"ro", "readonly"} & set(volume.options.split(",")))
            if host is None or UNKNOWN_MARK in target or not target.startswith("/"):
                state.problems.append(f"the bind mount {shown_volume(volume)} cannot be known without running the driver")
                if not read_only:
                    known = "its host directory" if host is None else "its path in the container"
                    state.unplaced.append((volume, site, f"{known} is only known when the driver runs"))
                continue
            target = posixpath.normpath(target)
            if any(is_under(target, m.target) or is_under(m.target, target) for m in state.mounts):
                state.problems.append(f"its bind mounts at {target} and below overlap")
                continue
            prior = self._state_before(host)
            if not self.facts.inside_root(host) and not any(is_under(host, removed) for removed in self.removed):
                state.problems.append(f"it mounts {host}, outside the project, whose files before the run cannot be known")
                if not read_only and is_under(self.facts.root, host):
                    state.unplaced.append((volume, site, f"it is {host}, which holds the whole project"))
                continue
            artifacts = [
                e for e in self._live() if (is_under(e.host_path, host) or is_under(host, e.host_path)) and e.member is None
            ]
            if artifacts:
                shown, earlier = self.facts.relative(host), artifacts[0]
                state.problems.append(f"{shown} holds {self.facts.relative(earlier.host_path)}, extracted by an earlier step")
                if not read_only:
                    # What the command writes there joins the earlier artifact on the host, where no stage has it.
                    self.flow.unknown_writes.append(
                        (host, site, f"this run writes into {shown} through its bind mount, after {where(earlier.site)} put "
                         f"{self.facts.relative(earlier.host_path)} there")
                    )
                continue
            tracked = self._tracked_kind(host)
            if tracked == "file" or prior == "file":
                if not read_only:
                    state.problems.append(f"it mounts the file {self.facts.relative(host)} writable")
                    continue
            if tracked is None and host not in self.host_state and self.facts.tracked is not None:
                if read_only:
                    state.problems.append(
                        f"it mounts {self.facts.relative(host)}, which git does not track, so what the command reads there cannot be known"
                    )
                    continue
                self.flow.decisions.append(
                    f"{where(site)}: assumed {self.facts.relative(host)} does not exist before the driver runs (git does not track it)"
                )
            state.mounts.append(Mount(host, target, read_only, seeded=tracked is not None, site=site))
            if read_only:
                continue
            self._record(Extraction(None, state, ContainerSource(target, True), host, site, via="bind mount", from_run=True, kind="dir"))
            extracts = True
        return extracts

    def _tracked_kind(self, path: str) -> str | None:
        """What git tracks at ``path`` that is still there at this point of the script."""
        if any(is_under(path, removed) for removed in self.removed):
            return None
        return self.facts.existed_before_run(path)

    # -- docker cp ---------------------------------------------------------------
    def _on_copy(self, op: Copy, position: int) -> None:
        if op.site.guard:
            raise self.refuse(op.site, ("this copy " if op.site.guard.startswith("runs ") else "this copy is ") + op.site.guard)
        state = self.by_name.get(op.container.key)
        if state is None:
            raise self.refuse(op.site, f"copies from the container {op.container.shown()}, which this driver did not create")
        if state.removed_by:
            raise self.refuse(op.site, f"the container {op.container.shown()} was already removed")
        if state.op.runs and state.op.remove:
            raise self.refuse(op.site, f"the container {op.container.shown()} was started with --rm and is gone")
        if state.detached:
            raise self.refuse(
                op.site, f"the container {op.container.shown()} runs in the background, so this copy may run before its command is done"
            )
        if not op.source.known:
            raise self.refuse(op.site, f"the container path {op.source.text} cannot be known without running the driver")
        if re.match(r"^[A-Za-z]:[\\/]", op.source.key):
            raise self.refuse(op.site, f"{op.source.key} is a Windows container path; dmigrate migrates Linux builds only")
        source = container_source(op.source.key)
        kind = "dir" if source.contents_only else None
        if kind is None and not state.ran and state.image is not None:
            kind = self.flow.kind_in_image(state.image, source.path)
        if op.destination.key == "-":
            extract = self._tar_extract(op.stream_into, op.cwd)
            if extract is None:
                raise self.refuse(op.site, "docker cp to standard output is supported only when piped into `tar -x`")
            self._note_tar_extract(op.site, extract)
            destination = extract.directory
            host = destination if source.contents_only else posixpath.join(destination, source.basename)
        else:
            destination = self._host_path(op.cwd, op.destination)
            if destination is None:
                raise self.refuse(op.site, f"the destination {op.destination.text} cannot be known without running the driver")
            prior = self._state_before(destination)
            if prior == "unknown" and not source.contents_only:
                raise self.refuse(
                    op.site,
                    f"{op.destination.text} was extracted before, and whether it is a directory decides whether this copy lands inside it",
                )
            host = landing_path(source, destination, prior, op.destination.key.endswith("/"), kind)
            if host is None:
                raise self.refuse(
                    op.site,
                    f"{op.destination.text} ends in / and may not exist yet: docker cp creates it for a directory but needs it for a file, "
                    f"and the build image's Dockerfile does not show which {source.path} is",
                )
            if prior is None and destination not in self.host_state and self.facts.tracked is not None:
                exists = host != destination and not source.contents_only
                self.flow.decisions.append(
                    f"{where(op.site)}: assumed {self.facts.relative(destination)} "
                    + ("is a directory before the driver runs, as docker cp needs for a file" if exists else "does not exist before the driver runs")
                    + " (git does not track it)"
                )
        if op.follow_links is False and state.image is not None and (
            _creates_symlink(state.image.stage.instructions, source.path) or state.ran and _run_creates_symlink(self.flow, state, source.path)
        ):
            raise self.refuse(
                op.site,
                f"{source.path} is a symbolic link in the build {'container' if state.ran else 'image'}; "
                "docker cp copies the link while COPY --from follows it (docker cp -L would follow it too)",
            )
        self._record(Extraction(op, state, source, host, op.site, from_run=state.ran, kind=kind))

    def _record(self, extraction: Extraction) -> None:
        shown = self.facts.relative(extraction.host_path)
        external = extraction.container.external
        if external is not None and windows_image(external):
            raise self.refuse(extraction.site, f"{extraction.container.reference} is a Windows container image; dmigrate migrates Linux builds only")
        if (
            extraction.member is None
            and extraction.via != "bind mount"
            and extraction.kind != "file"
            and self._tracked_kind(extraction.host_path) == "dir"
        ):
            raise self.refuse(
                extraction.site,
                f"{shown} holds files git tracks, and the extracted directory is merged into them; "
                "the migrated build would copy only the container's files",
            )
        for earlier in self._live():
            if earlier.host_path == extraction.host_path and earlier.member is None and extraction.member is None:
                if earlier.kind != "file" and extraction.kind != "file":
                    raise self.refuse(
                        extraction.site,
                        f"{shown} was extracted before, and this copy may merge into it; "
                        "the migrated build would keep only one of them",
                    )
                self.flow.warnings.append(
                    f"{where(extraction.site)}: {shown} is extracted a second time; the later copy wins"
                )
                earlier.removed_on_host = True
        self.flow.extractions.append(extraction)
        if extraction.member is not None:
            return
        self.host_state[extraction.host_path] = extraction.kind or "unknown"
        self._mark_parents(extraction.host_path)

    def _mark_parents(self, path: str) -> None:
        parent = posixpath.dirname(path)
        while parent and parent != "/" and self.host_state.get(parent) != "dir":
            self.host_state[parent] = "dir"
            parent = posixpath.dirname(parent)

    def _live(self) -> list[Extraction]:
        return [e for e in self.flow.extractions if not e.removed_on_host]

    def _host_path(self, cwd: Word, word: Word) -> str | None:
        if not cwd.known or not word.known:
            return None
        return posixpath.normpath(posixpath.join(cwd.key, word.key))

    def _state_before(self, path: str) -> str | None:
        if path in self.host_state:
            return self.host_state[path]
        for removed, state in self.host_state.items():
            if state is None and path.startswith(removed + "/"):
                return None
        return self.facts.existed_before_run(path)

    # -- docker rm / rmi / start / others -------------------------------------------
    def _on_remove(self, op: Remove, position: int) -> None:
        for word in op.containers:
            state = self.by_name.get(word.key)
            if state is not None:
                state.removed_by.append(op)

    def _on_removeimage(self, op: RemoveImage, position: int) -> None:
        self.flow.uses.append((op, "removes images"))

    def _on_otherdocker(self, op: OtherDocker, position: int) -> None:
        keys = {word.key for word in op.arguments}
        names = {key.split(":", 1)[0] for key in keys}
        ours = [self.by_name[key] for key in dict.fromkeys(w.key for w in op.arguments) if key in self.by_name]
        if op.subcommand in ("start", "container start") and ours:
            flags = [w.key for w in op.arguments if w.key.startswith("-")]
            attached = any(f in ("--attach", "-a") or (not f.startswith("--") and "a" in f) for f in flags)
            for state in ours:
                state.ran = True
                state.runs += 1
                state.detached = not attached
                state.controls.append(op)
                if state.op.volumes and state.runs == 1:
                    self._mounts(state, op.site)
            return
        if op.subcommand in ("wait", "container wait") and ours:
            for state in ours:
                state.detached = False
                state.controls.append(op)
            return
        if keys & self.by_name.keys() or names & self.by_name.keys() or any(_image_key(k) in self.tags for k in keys):
            self.flow.uses.append((op, f"docker {op.subcommand}"))

    def _on_opaque(self, op: Opaque, position: int) -> None:
        if op.mentions_docker:
            raise self.refuse(op.site, op.reason)

    # -- host commands -------------------------------------------------------------
    def _on_hostcommand(self, op: HostCommand, position: int) -> None:
        name = posixpath.basename(op.argv[0].key) if op.argv[0].known else ""
        paths = [self._host_path(op.cwd, word) for word in op.argv[1:] if not word.key.startswith("-")]
        if name == "umask":
            self.umasks.record(op)
            self.flow.uses.append((op, "umask"))
            return
        if name == "mkdir":
            self._made_directories(op)
            for path in paths:
                if path is not None and self.host_state.get(path) is None:
                    self.host_state[path] = "dir"
                    self._mark_parents(path)
            self.flow.uses.append((op, "mkdir"))
            return
        if name == "rm":
            for path in paths:
                if path is None:
                    continue
                self.host_state[path] = None
                self.removed.add(path)
                for made in [d for d in self.made_directories if is_under(d, path)]:
                    del self.made_directories[made]
                for extraction in self.flow.extractions:
                    if extraction.host_path == path or extraction.host_path.startswith(path + "/"):
                        extraction.removed_on_host = True
            self.flow.uses.append((op, "rm"))
            return
        words = [w.key for w in op.argv] if all(w.known for w in op.argv) and op.cwd.known else None
        if words is not None and name == "chmod":
            self._chmod(op, words)
        elif words is not None and name in ("mv", "cp"):
            self._move(op, words)
        elif words is not None and name in ("tar", "gtar", "bsdtar"):
            self._pack(op, words)
        self.flow.uses.append((op, name))

    def _artifacts_at(self, path: str) -> list[Extraction]:
        """Live artifacts on the host at ``path`` or below it."""
        return [e for e in self._live() if e.member is None and is_under(e.host_path, path)]

    def _chmod(self, op: HostCommand, words: list[str]) -> None:
        from migrate.trace.host import chmod_mode, read_chmod

        command = read_chmod(words)
        if command is None:
            return
        targets = [(path, self._artifacts_at(posixpath.normpath(posixpath.join(op.cwd.key, path)))) for path in command.paths]
        if not any(found for _, found in targets):
            return
        for path, found in targets:
            absolute = posixpath.normpath(posixpath.join(op.cwd.key, path))
            exact = [e for e in found if e.host_path == absolute]
            if not exact:
                raise self.refuse(op.site, f"`{' '.join(words)}` changes {path}, which is not an artifact by itself; split the command or chmod the artifact only")
            for extraction in exact:
                if extraction.kind != "file":
                    what = "is a directory" if extraction.kind == "dir" else "may be a directory"
                    raise self.refuse(
                        op.site, f"`{' '.join(words)}`: {path} {what}; COPY --chmod would change every file in it, chmod only the directory"
                    )
                umask = self.umasks.at(op.site)
                mode = chmod_mode(command.mode, extraction.known_mode, umask=umask.value)
                if mode is None and umask.value is None and chmod_mode(command.mode, extraction.known_mode) is not None:
                    raise self.refuse(umask.site, f"{umask.why}, and `{' '.join(words)}` ({where(op.site)}) gives {path} a mode that depends on it")
                if mode is None and extraction.mode_from_host and extraction.umask.value is None:
                    raise self.refuse(
                        extraction.umask.site,
                        f"{extraction.umask.why}, and `{' '.join(words)}` ({where(op.site)}) changes the mode the host wrote {path} with",
                    )
                if mode is None:
                    raise self.refuse(
                        op.site,
                        f"`{' '.join(words)}`: the mode {path} had before cannot be known, so neither can the one COPY --chmod must give it",
                    )
                extraction.chmod = mode
                extraction.chmod_site = op.site
                extraction.host_changes.append(op.site)

    def _move(self, op: HostCommand, words: list[str]) -> None:
        from migrate.trace.host import read_move

        command = read_move(words)
        cwd = op.cwd.key
        sources = [posixpath.normpath(posixpath.join(cwd, s)) for s in (command.sources if command else ())]
        affected = {source: self._artifacts_at(source) for source in sources}
        if command is None or not any(affected.values()):
            return
        destination = posixpath.normpath(posixpath.join(cwd, command.destination))
        prior = self._state_before(destination)
        if prior == "unknown":
            raise self.refuse(op.site, f"{command.destination} is an artifact whose kind cannot be known, so where `{words[0]}` puts things cannot either")
        for source, found in affected.items():
            if not found or self._tracked_kind(source) is not None:
                raise self.refuse(op.site, f"`{' '.join(words)}` moves {self.facts.relative(source)} along with the artifacts; split the command")
            landing = posixpath.join(destination, posixpath.basename(source)) if prior == "dir" or command.into_directory else destination
            if command.no_clobber and self._state_before(landing) is not None:
                raise self.refuse(op.site, f"`{' '.join(words)}` leaves {self.facts.relative(landing)} as it was, as it already exists")
            for extraction in found:
                moved = landing + extraction.host_path[len(source) :]
                if command.keeps_source:
                    clone = _derived(extraction, host_path=moved, site=op.site)
                    self._record(clone)
                else:
                    self.host_state[extraction.host_path] = None
                    extraction.host_path = moved
                    extraction.host_changes.append(op.site)
                    self.host_state[moved] = extraction.kind or "unknown"
                    self._mark_parents(moved)

    def _pack(self, op: HostCommand, words: list[str]) -> None:
        from migrate.trace.host import member_name, read_tar_create

        tar = read_tar_create(words)
        if tar is None or tar.archive == "-":
            return
        cwd = op.cwd.key
        directory = posixpath.normpath(posixpath.join(cwd, tar.directory or "."))
        entries: list[tuple[Extraction, str, str]] = []
        for member in tar.members:
            path = posixpath.normpath(posixpath.join(directory, member))
            name = member_name(member)
            found = []
            for extraction in self._live():
                if extraction.member is not None:
                    continue
                if is_under(extraction.host_path, path):
                    found.append((extraction, posixpath.normpath(posixpath.join(name, posixpath.relpath(extraction.host_path, path))), ""))
                elif is_under(path, extraction.host_path):
                    found.append((extraction, name, posixpath.relpath(path, extraction.host_path)))
            if found and self._tracked_kind(path) is not None and not any(e.host_path == path for e, _, _ in found):
                raise self.refuse(op.site, f"the archive packs {member}, which holds files besides the artifacts")
            if not found and entries:
                raise self.refuse(op.site, f"the archive packs {member} along with the artifacts; dmigrate can rebuild it only from artifacts")
            entries.extend(found)
        if not entries:
            return
        archive = posixpath.normpath(posixpath.join(cwd, tar.archive))
        for extraction, name, below in entries:
            source = extraction.source
            if below:
                source = ContainerSource(posixpath.join(source.path, below), False)
            clone = _derived(extraction, host_path=archive, site=op.site, source=source, member=name, owners_kept=False)
            if below:
                clone.kind = None
            self.flow.extractions.append(clone)
        self.host_state[archive] = "file"
        if not tar.root_owner:
            self.flow.decisions.append(
                f"{where(op.site)}: assumed the driver runs as root: `tar -c` records the owner of every file it packs, and ADD keeps it"
            )

    def _made_directories(self, op: HostCommand) -> None:
        """The mode of every directory a host ``mkdir`` makes, for when one is copied into the image."""
        from migrate.trace.host import made_directory_modes, read_mkdir

        if not op.cwd.known:
            return
        command = read_mkdir([w.key for w in op.argv]) if all(w.known for w in op.argv) else None
        umask = self.umasks.at(op.site)
        if command is None:
            named, parents, mode, parent_mode = [w.key for w in op.argv[1:] if w.known and not w.key.startswith("-")], False, None, None
        else:
            named, parents = list(command.paths), command.parents
            mode, parent_mode = made_directory_modes(command, umask.value)
        shown = " ".join(w.text for w in op.argv)
        for raw in named:
            path = posixpath.normpath(posixpath.join(op.cwd.key, raw))
            made = [(path, mode)]
            parent = posixpath.dirname(path)
            while parents and parent not in ("", "/") and self._state_before(parent) is None:
                made.append((parent, parent_mode))
                parent = posixpath.dirname(parent)
            for directory, directory_mode in made:
                if self._state_before(directory) is None:
                    self.made_directories[directory] = (op.site, directory_mode, umask, shown)

    def _check_consumptions(self, image: BuiltImage) -> None:
        """What the host did to the artifacts this build reads that the migrated build must do too."""
        for consumption in self.flow.consumptions:
            if consumption.image is not image:
                continue
            if consumption.instruction.flag("chmod") is None:
                # A --chmod of the COPY itself decides the mode in both builds.
                self._check_chmod(consumption)
                self._check_host_written_mode(consumption)
            self._check_made_directories(consumption)
            self._check_renamed_target(consumption)

    def _check_chmod(self, consumption: Consumption) -> None:
        extraction = consumption.extraction
        if extraction.chmod is not None and extraction.chmod & ~0o777:
            # Measured on Docker 20.10's BuildKit: --chmod=4755 gives 0755, 2750 gives 0750, 1777 gives 0777.
            raise self.refuse(
                extraction.chmod_site,
                f"this chmod gives {self.facts.relative(extraction.host_path)} the mode {extraction.chmod:04o}, with a setuid, setgid "
                "or sticky bit, which COPY --chmod drops; set that mode in the build image (a RUN chmod there) and remove this chmod",
            )

    def _check_host_written_mode(self, consumption: Consumption) -> None:
        extraction = consumption.extraction
        if not extraction.mode_from_host or extraction.chmod is not None:
            return
        umask = extraction.umask
        shown = self.facts.relative(extraction.host_path)
        if umask.value is None:
            raise self.refuse(
                umask.site,
                f"{umask.why}, and the mode the host writes {shown} with ({where(extraction.site)}) comes from it; "
                f"set a plain octal umask before, or `chmod` {shown} to an octal mode after it is written",
            )
        if umask.site is not None and umask.value != DEFAULT_UMASK.value:
            self.flow.decisions.append(
                f"{where(extraction.site)}: {shown}: the host wrote it under the umask {umask.value:03o} set at {where(umask.site)}, "
                f"so it had mode {extraction.known_mode:04o}"
            )

    def _check_made_directories(self, consumption: Consumption) -> None:
        """A directory the host made between the COPY source and the artifact reaches the image with the mode ``mkdir`` gave it.

        The migrated build no longer has it: COPY --from makes it with 0755, what ``mkdir`` gives under umask 022.
        """
        if consumption.relation != "directory":
            return
        extraction = consumption.extraction
        source = posixpath.normpath(posixpath.join(consumption.image.context, context_relative(consumption.source)))
        # The top of a copied directory takes no mode from the host; what is below it does.
        path = extraction.host_path if extraction.source.contents_only else posixpath.dirname(extraction.host_path)
        copied_by = f"{consumption.image.dockerfile.path.name}:{consumption.instruction.line}"
        while path != source and is_under(path, source):
            made = self.made_directories.get(path)
            path_shown = self.facts.relative(path)
            path = posixpath.dirname(path)
            if made is None or made[1] == 0o755:
                continue
            site, mode, umask, shown = made
            if mode is None and umask.value is None:
                raise self.refuse(
                    umask.site, f"{umask.why}, and `{shown}` ({where(site)}) makes {path_shown} with the mode it leaves, which {copied_by} copies into the image"
                )
            what = f"with mode {mode:04o}" if mode is not None else "with a mode dmigrate cannot tell"
            raise self.refuse(
                site,
                f"`{shown}` makes {path_shown} {what}, and {copied_by} copies it into the image, where the migrated build makes it "
                "with mode 0755; make it with `mkdir -m 755`",
            )

    def _check_renamed_target(self, consumption: Consumption) -> None:
        """An artifact renamed on the host, copied to a target without ``/``: a directory there gets it under the host name.

        The COPY --from names it after the container path instead, so the target must be shown to be a
        directory (the COPY --from then names the file), a file, or absent, or to carry the host name itself.
        """
        extraction = consumption.extraction
        source = extraction.source
        host_name = posixpath.basename(extraction.host_path)
        if consumption.relation != "itself" or source.contents_only or extraction.member is not None or host_name == source.basename:
            return
        from migrate.trace.paths import is_directory_target
        from migrate.trace.stages import joined, workdir_before

        instruction = consumption.instruction
        words = instruction.words()
        destination = words[-1]
        if is_directory_target(destination, len(words) - 1) or "$" in destination:
            return
        kind = extraction.kind
        built = extraction.container.image
        if kind is None and built is not None and not extraction.from_run:
            kind = self.flow.kind_in_image(built, source.path)
        if kind == "dir":
            return  # a directory's contents land in the target either way
        start = self.flow.base_defaults(consumption.image, consumption.stage).workdir
        target = joined(workdir_before(consumption.stage, instruction.line, start), destination)
        if target is not None and self._target_shown(consumption, target):
            return
        lineage = list(self.flow.lineage(consumption.image, consumption.stage))
        base = lineage[-1][1].base
        shown = target or destination
        site = instruction_site(consumption.image.dockerfile.path, instruction)
        if posixpath.basename(shown) == host_name:
            self.flow.decisions.append(
                f"{where(site)}: assumed {shown} is not a directory in the base image {base} (if it were, the artifact would land "
                f"in it as {source.basename}, not {host_name})"
            )
            return
        raise self.refuse(
            site,
            f"{self.facts.relative(extraction.host_path)} is {source.path} renamed on the host, and dmigrate cannot tell whether {shown} "
            f"is a directory of the base image {base}: if it is, the legacy COPY made {shown}/{host_name} and a COPY --from would make "
            f"{shown}/{source.basename}; write `{destination}/` if it is a directory, or the full path of the file",
        )

    def _target_shown(self, consumption: Consumption, target: str) -> bool:
        """Whether the Dockerfile shows what ``target`` is before the COPY: a directory, a file, or nothing at all."""
        from dataclasses import replace

        from migrate.trace.paths import STANDARD_DIRECTORIES
        from migrate.trace.stages import image_name, stage_writes_below

        if target in STANDARD_DIRECTORIES:
            return True
        lineage = list(self.flow.lineage(consumption.image, consumption.stage))
        before: int | None = consumption.instruction.line
        for image, stage in lineage:
            if path_kind(stage, target, self.flow.base_defaults(image, stage).workdir, before_line=before) is not None:
                return True
            before = None
        root_image, root_stage = lineage[-1]
        if self.flow.base_of(root_image, root_stage) is not None or image_name(root_stage.base) != "scratch":
            return False
        # FROM scratch starts empty: the target is absent unless a stage puts something there.
        before = consumption.instruction.line
        for image, stage in lineage:
            workdir = self.flow.base_defaults(image, stage).workdir
            if before is not None:
                kept = tuple(item for item in stage.body if not isinstance(item, Instruction) or item.line < before)
                stage = replace(stage, body=kept)
            if stage_writes_below(stage, target, workdir):
                return False
            before = None
        return True


def _derived(extraction: Extraction, *, site: Site, **changes) -> Extraction:
    """A second artifact made on the host from ``extraction`` (a ``cp -a`` of it, or an archive of it)."""
    extraction.derived = True
    clone = Extraction(
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
    return clone


def _image_key(reference: str) -> str:
    """A tag as docker resolves it: ``docker.io/library/`` and a missing ``:latest`` do not matter."""
    name = reference
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        name += ":latest"
    return name


def shown_volume(volume: Volume) -> str:
    """A bind mount as the driver wrote it."""
    if volume.written is not None:
        return volume.written.text
    return f"{volume.host.text}:{volume.container}".replace(UNKNOWN_MARK, "")


def image_key(reference: str) -> str:
    return _image_key(reference)


def _ignore_reaches_inside(ignore: DockerIgnore, copied: str) -> bool:
    """Whether some rule may leave out (or let back in) part of what a COPY of ``copied`` (relative to the context) takes."""
    depth = 0 if copied in (".", "") else copied.count("/") + 1
    for raw in ignore.text.splitlines():
        line = raw.strip().lstrip("!").strip()
        if not line or line.startswith("#"):
            continue
        pattern = posixpath.normpath(line).lstrip("/")
        # A pattern longer than ``copied`` whose first parts may match it names something inside it.
        if "**" in pattern or depth == 0 or pattern.count("/") + 1 > depth and may_overlap(pattern, copied):
            return True
    return False


def _ignore_lets_back_inside(ignore: DockerIgnore, copied: str) -> bool:
    """Whether a ``!`` rule may take back a path below ``copied`` (relative to the context)."""
    depth = copied.count("/") + 1
    for raw in ignore.text.splitlines():
        line = raw.strip()
        if not line.startswith("!"):
            continue
        pattern = posixpath.normpath(line[1:].strip()).lstrip("/")
        if pattern in ("", "."):
            continue
        if "**" in pattern or pattern.count("/") + 1 > depth and may_overlap(pattern, copied):
            return True
    return False


def _looks_like_archive(path: str) -> bool:
    return path.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst"))


def _creates_symlink(instructions, path: str) -> bool:
    """Whether a RUN among ``instructions`` may make ``path`` with ``ln -s``."""
    return any(instruction.keyword == "RUN" and _links(instruction.arguments, path) for instruction in instructions)


def _run_creates_symlink(flow: Flow, state: ContainerState, path: str) -> bool:
    argv, _ = flow.command_of(state)
    return argv is not None and _links(" ".join(argv), path)


def _links(command: str, path: str) -> bool:
    if "ln " not in command or "-s" not in command:
        return False
    words = command.replace(";", " ").replace("&&", " ").split()
    name = posixpath.basename(path)
    after = words[words.index("ln") :] if "ln" in words else words
    return path in words or any(word.endswith("/" + name) or word == name for word in after)


def instruction_site(path: Path, instruction: Instruction) -> Site:
    """Where an instruction of the Dockerfile at ``path`` stands, for a refusal."""
    return Site(path, instruction.line, None)
