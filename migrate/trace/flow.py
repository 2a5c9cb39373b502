"""Follow a driver's operations in order and link every step of the flow.

Which Dockerfile and context built which tag, which container came from
which image, which container path landed at which host path, and which
COPY of a later build reads it.  The result is a :class:`Flow`; deciding
what the merged build looks like is :mod:`migrate.trace.assemble`'s job.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path

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
    Word,
    build_paths,
)
from migrate.read.project import ProjectReading
from migrate.trace.paths import ContainerSource, container_source, has_glob, landing_path, relate, tar_extract_directory


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
class ContainerState:
    op: Container
    image: BuiltImage | None
    external: str | None
    """The image reference when the image was not built by the driver."""
    ran: bool
    key: str | None = None
    """How later commands name it: its ``--name`` or the captured id."""
    removed_by: list[Remove] = field(default_factory=list)


@dataclass(eq=False)
class Extraction:
    copy: Copy | None
    container: ContainerState
    source: ContainerSource
    host_path: str
    site: Site
    mode_from_host: bool = False
    """The host wrote the file itself (a stdout redirect), so its mode is the host's default."""
    consumptions: list["Consumption"] = field(default_factory=list)
    removed_on_host: bool = False


@dataclass(eq=False)
class Consumption:
    image: BuiltImage
    stage: Stage
    instruction: Instruction
    source: str
    """The COPY source word as written."""
    relation: str
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
    cleanups: list[tuple[Site, str]] = field(default_factory=list)
    """Host or docker commands that only served the old flow, with the reason to remove them."""
    uses: list[tuple[Operation, str]] = field(default_factory=list)
    """Other operations that name a builder image, container or artifact, with what they name."""
    decisions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class FlowTracer:
    def __init__(self, reading: ProjectReading) -> None:
        self.reading = reading
        self.facts = reading.facts
        self.flow = Flow(reading)
        self.tags: dict[str, BuiltImage] = {}
        self.by_name: dict[str, ContainerState] = {}
        self.host_state: dict[str, str | None] = {}
        """What the script itself did to host paths: ``dir``, ``file`` or None (removed)."""

    def refuse(self, site: Site | None, reason: str) -> Refusal:
        location = Location(site.file, site.line) if site else Location(self.reading.driver.path)
        return Refusal(location, reason)

    def run(self) -> Flow:
        for position, operation in enumerate(self.reading.driver.operations):
            handler = getattr(self, f"_on_{type(operation).__name__.lower()}")
            handler(operation, position)
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
        image = BuiltImage(op, position, context, dockerfile_path, dockerfile, stage, tuple(tag.key for tag in op.tags))
        self.flow.images.append(image)
        for candidate in dockerfile.stages:
            base = self.tags.get(_image_key(candidate.base))
            if base is not None:
                self.flow.chains.append((image, candidate, base))
        self._find_consumptions(image)
        for tag in image.tags:
            self.tags[_image_key(tag)] = image

    def _touches_flow_later(self, op: Build) -> bool:
        later = self.reading.driver.operations
        tags = {_image_key(tag.key) for tag in op.tags}
        return any(isinstance(other, Container) and _image_key(other.image.key) in tags for other in later)

    def _find_consumptions(self, image: BuiltImage) -> None:
        live = [e for e in self.flow.extractions if not e.removed_on_host]
        if not live:
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
        site = Site(image.dockerfile.path, instruction.line, None)
        relative = posixpath.normpath(source.lstrip("/")) if source.strip("/") else "."
        if "://" in source:
            return
        absolute = posixpath.normpath(posixpath.join(image.context, relative))
        for extraction in live:
            host = extraction.host_path
            if not (host == image.context or host.startswith(image.context.rstrip("/") + "/")):
                continue
            if has_glob(relative):
                if _glob_may_match(relative, posixpath.relpath(host, image.context)):
                    raise self.refuse(
                        site,
                        f"the wildcard source {source!r} may match the extracted {self.facts.relative(host)}; "
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
                raise self.refuse(site, f"{source!r} is excluded by .dockerignore, so the legacy build could not have copied it")
            if ignore is not None and _ignore_reaches_inside(ignore, host_relative):
                raise self.refuse(
                    site,
                    f".dockerignore leaves out part of the extracted {self.facts.relative(host)}, which a COPY --from cannot reproduce",
                )
            if instruction.keyword == "ADD" and _looks_like_archive(host if relation.kind != "inside" else absolute):
                raise self.refuse(site, f"ADD unpacks the archive {source!r}; dmigrate does not yet turn that into a COPY --from")
            consumption = Consumption(image, stage, instruction, source, relation.kind, relation.below, extraction)
            extraction.consumptions.append(consumption)
            self.flow.consumptions.append(consumption)

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
        if op.runs and (op.stdout is not None or op.stdout_pipe is not None or op.volumes):
            self._run_extraction(state)
        elif image is not None and op.runs and op.remove:
            self.flow.uses.append((op, f"runs the build image {op.image.shown()}"))

    def _container_key(self, op: Container, position: int) -> str | None:
        if op.name is not None:
            return op.name.key
        if op.captured_as is not None:
            return f"\x00container-id {op.captured_as} {position}\x00"
        return None

    def _run_extraction(self, state: ContainerState) -> None:
        op = state.op
        if op.volumes:
            raise self.refuse(op.site, "extraction through a bind mount is not supported yet")
        if op.stdout is not None and len(op.command) == 2 and op.command[0].key == "cat" and op.command[1].known:
            if state.image is None and state.external is None:
                return
            if op.entrypoint is not None or not self._runs_command_verbatim(state):
                raise self.refuse(op.site, f"the image's ENTRYPOINT would receive `cat {op.command[1].text}`; dmigrate cannot tell what it prints")
            destination = self._host_path(op.cwd, op.stdout)
            if destination is None:
                raise self.refuse(op.site, f"the output file {op.stdout.text} cannot be known without running the driver")
            source = container_source(op.command[1].key)
            self._record(Extraction(None, state, source, destination, op.site, mode_from_host=True))
            return
        raise self.refuse(op.site, "extraction through the output of `docker run` is supported only as `docker run IMG cat PATH > FILE`")

    def _runs_command_verbatim(self, state: ContainerState) -> bool:
        if state.image is None:
            return True
        return not any(i.keyword == "ENTRYPOINT" for i in state.image.stage.instructions)

    # -- docker cp ---------------------------------------------------------------
    def _on_copy(self, op: Copy, position: int) -> None:
        if op.site.guard:
            raise self.refuse(op.site, f"this copy is {op.site.guard}")
        state = self.by_name.get(op.container.key)
        if state is None:
            raise self.refuse(op.site, f"copies from the container {op.container.shown()}, which this driver did not create")
        if state.removed_by:
            raise self.refuse(op.site, f"the container {op.container.shown()} was already removed")
        if state.op.runs and state.op.remove:
            raise self.refuse(op.site, f"the container {op.container.shown()} was started with --rm and is gone")
        if not op.source.known:
            raise self.refuse(op.site, f"the container path {op.source.text} cannot be known without running the driver")
        source = container_source(op.source.key)
        if op.destination.key == "-":
            destination = None
            if op.stream_into is not None and all(w.known for w in op.stream_into) and op.cwd.known:
                destination = tar_extract_directory([w.key for w in op.stream_into], op.cwd.key)
            if destination is None:
                raise self.refuse(op.site, "docker cp to standard output is supported only when piped into `tar -x`")
            host = destination if source.contents_only else posixpath.join(destination, source.basename)
        else:
            destination = self._host_path(op.cwd, op.destination)
            if destination is None:
                raise self.refuse(op.site, f"the destination {op.destination.text} cannot be known without running the driver")
            prior = self._state_before(destination)
            if prior is None and destination not in self.host_state and self.facts.tracked is not None:
                self.flow.decisions.append(
                    f"{_where(op.site)}: assumed {self.facts.relative(destination)} does not exist before the driver runs (git does not track it)"
                )
            if source.contents_only and prior == "dir":
                self.flow.warnings.append(
                    f"{_where(op.site)}: {op.destination.text} already exists, so the legacy flow merged into it; "
                    "the migrated build copies only the container's files"
                )
            host = landing_path(source, destination, prior, op.destination.key.endswith("/"))
        if op.follow_links is False and state.image is not None and _creates_symlink(state.image, source.path):
            raise self.refuse(
                op.site,
                f"{source.path} is a symbolic link in the build image; docker cp copies the link while COPY --from follows it",
            )
        self._record(Extraction(op, state, source, host, op.site))

    def _record(self, extraction: Extraction) -> None:
        if extraction.container.ran and extraction.container.image is not None and not extraction.container.op.stdout:
            if extraction.copy is not None:
                raise self.refuse(
                    extraction.site,
                    "copies from a container that ran a command first; turning that run into a stage is not supported yet",
                )
        for earlier in self.flow.extractions:
            if earlier.host_path == extraction.host_path and not earlier.removed_on_host:
                self.flow.warnings.append(
                    f"{_where(extraction.site)}: {self.facts.relative(extraction.host_path)} is extracted a second time; the later copy wins"
                )
                earlier.removed_on_host = True
        self.flow.extractions.append(extraction)
        self.host_state[extraction.host_path] = "file"
        parent = posixpath.dirname(extraction.host_path)
        while parent and parent not in self.host_state and parent != "/":
            self.host_state[parent] = "dir"
            parent = posixpath.dirname(parent)

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

    # -- docker rm / rmi / others ------------------------------------------------------
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
        if op.subcommand in ("start", "container start") and (keys & self.by_name.keys()):
            for key in keys & self.by_name.keys():
                self.by_name[key].ran = True
            self.flow.uses.append((op, "starts a container"))
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
        if name == "mkdir":
            for path in paths:
                if path is not None:
                    self.host_state[path] = "dir"
                    parent = posixpath.dirname(path)
                    while parent != "/" and parent not in self.host_state:
                        self.host_state[parent] = "dir"
                        parent = posixpath.dirname(parent)
            self.flow.uses.append((op, "mkdir"))
            return
        if name == "rm":
            for path in paths:
                if path is None:
                    continue
                self.host_state[path] = None
                for extraction in self.flow.extractions:
                    if extraction.host_path == path or extraction.host_path.startswith(path + "/"):
                        extraction.removed_on_host = True
            self.flow.uses.append((op, "rm"))
            return
        self.flow.uses.append((op, name))


def _where(site: Site) -> str:
    return f"{site.file.name}:{site.line}"


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


def image_key(reference: str) -> str:
    return _image_key(reference)


def _glob_may_match(pattern: str, path: str) -> bool:
    import fnmatch

    parts = pattern.split("/")
    path_parts = path.split("/")
    # The pattern matches the path itself or one of its parent directories.
    for length in range(1, len(path_parts) + 1):
        candidate = path_parts[:length]
        if len(candidate) == len(parts) and all(fnmatch.fnmatchcase(p, q) for p, q in zip(candidate, parts)):
            return True
    return False


def _ignore_reaches_inside(ignore: DockerIgnore, host_relative: str) -> bool:
    """Whether some rule excludes only part of an extracted directory."""
    for raw in ignore.text.splitlines():
        line = raw.strip().lstrip("!").strip().lstrip("/")
        if not line or line.startswith("#"):
            continue
        if line.startswith(host_relative.rstrip("/") + "/") or line.startswith("**"):
            return True
    return False


def _looks_like_archive(path: str) -> bool:
    return path.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst"))


def _creates_symlink(image: BuiltImage, path: str) -> bool:
    """Whether a RUN of the image's stage makes ``path`` with ``ln -s``."""
    name = posixpath.basename(path)
    for instruction in image.stage.instructions:
        if instruction.keyword == "RUN" and "ln " in instruction.arguments and "-s" in instruction.arguments:
            words = instruction.arguments.replace(";", " ").replace("&&", " ").split()
            if path in words or any(word.endswith("/" + name) or word == name for word in words[words.index("ln") :] if "ln" in words):
                return True
    return False


def dockerfile_location(path: Path, instruction: Instruction) -> Location:
    return Location(path, instruction.line)
