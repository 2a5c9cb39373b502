"""Follow a driver's operations in order and link every step of the flow into an :class:`~migrate.trace.graph.ArtifactGraph`.

Which Dockerfile and context built which tag, which container came from
which image, which container path landed at which host path, and which
COPY of a later build reads it.  Each kind of operation has its handler
here; what a run prints or mounts is read by
:mod:`~migrate.trace.container_output`, host commands by
:mod:`~migrate.trace.host_steps`, the COPYs of a build by
:mod:`~migrate.trace.consumptions` and :mod:`~migrate.trace.consumption_checks`.
The checks over the whole graph run at the end.  Deciding what the merged
build looks like is :mod:`migrate.trace.assemble`'s job.
"""

from __future__ import annotations

import posixpath
import re

from migrate.read.ops import Build, Container, Copy, HostCommand, Opaque, OtherDocker, Remove, RemoveImage, build_paths, where
from migrate.trace.artifacts_on_host import check_steps_beside_artifacts
from migrate.trace.consumption_checks import check_consumptions
from migrate.trace.consumptions import find_consumptions
from migrate.trace.container_output import note_tar_extract, read_mounts, read_output, run_may_link, tar_extract
from migrate.trace.graph import ArtifactGraph, BuiltImage, ContainerState, Extraction
from migrate.trace.hidden_builders import build_output_writes, check_unplaced_mounts
from migrate.trace.host_steps import trace_host_command
from migrate.trace.image_ref import image_key
from migrate.trace.paths import container_source, landing_path
from migrate.trace.stages import earlier_stage
from migrate.trace.terminal import check_terminal_output
from migrate.trace.walk import Walk
from migrate.trace.windows import windows_build_reason


class ArtifactTracer(Walk):
    """Walks the driver's operations, each by its handler, and then checks the graph they make."""

    def run(self) -> ArtifactGraph:
        """The graph of the whole driver, once every check over it holds."""
        for position, operation in enumerate(self.reading.driver.operations):
            handler = getattr(self, f"_on_{type(operation).__name__.lower()}")
            count = len(self.graph.extractions)
            handler(operation, position)
            for extraction in self.graph.extractions[count:]:
                extraction.position = position
            if isinstance(operation, Build):
                self.graph.unknown_writes.extend(build_output_writes(operation))
        check_unplaced_mounts(self.graph)
        check_steps_beside_artifacts(self.graph)
        check_terminal_output(self.graph)
        return self.graph

    def _on_build(self, op: Build, position: int) -> None:
        context, dockerfile_path = build_paths(op)
        if context is None or dockerfile_path is None:
            if self._touches_flow_later(op):
                raise self.refuse(op.site, "the build context or Dockerfile cannot be known without running the driver")
            return
        dockerfile = self.reading.dockerfiles.get(dockerfile_path)
        if dockerfile is None:
            if self.graph.extractions or self._touches_flow_later(op):
                raise self.refuse(op.site, f"the Dockerfile {self.facts.relative(dockerfile_path)} does not exist")
            return
        stage = dockerfile.stages[-1]
        if op.target is not None:
            if not op.target.known or dockerfile.stage(op.target.key) is None:
                raise self.refuse(op.site, f"--target {op.target.text} names no stage of {dockerfile.path.name}")
            stage = dockerfile.stage(op.target.key)
        windows = windows_build_reason(op, dockerfile)
        if windows and (self.graph.extractions or self._touches_flow_later(op)):
            raise self.refuse(op.site, f"{windows}; dmigrate migrates Linux builds only")
        image = BuiltImage(op, position, context, dockerfile_path, dockerfile, stage, tuple(tag.key for tag in op.tags))
        self.graph.images.append(image)
        for candidate in dockerfile.stages:
            base = self.tags.get(image_key(candidate.base))
            if base is not None and earlier_stage(dockerfile, candidate) is None:
                self.graph.chains.append((image, candidate, base))
            for instruction in candidate.instructions:
                source = instruction.flag("from")
                if source and dockerfile.stage(source) is None and (built := self.tags.get(image_key(source))) is not None:
                    self.graph.copies_from.append((image, instruction, built))
        find_consumptions(self, image)
        check_consumptions(self, image)
        for tag in image.tags:
            self.tags[image_key(tag)] = image

    def _touches_flow_later(self, op: Build) -> bool:
        later = self.reading.driver.operations
        tags = {image_key(tag.key) for tag in op.tags}
        return any(isinstance(other, Container) and image_key(other.image.key) in tags for other in later)

    def _on_container(self, op: Container, position: int) -> None:
        image = self.tags.get(image_key(op.image.key))
        external = None if image is not None else op.image.key
        key = self._container_key(op, position)
        state = ContainerState(op, image, external, ran=op.runs, key=key)
        self.graph.containers.append(state)
        if key is not None:
            self.by_name[key] = state
        if not op.runs:
            return
        state.runs = 1
        state.detached = any(flag in ("-d", "--detach") or (flag.startswith("-") and not flag.startswith("--") and "d" in flag) for flag, _ in op.other_flags)
        extracts = False
        if op.volumes:
            extracts = read_mounts(self, state, op.site)
        if op.stdout is not None or op.stdout_pipe is not None:
            extracts = read_output(self, state) or extracts
        if not extracts and image is not None and op.remove:
            self.graph.uses.append((op, f"runs the build image {op.image.shown()}"))

    def _container_key(self, op: Container, position: int) -> str | None:
        if op.name is not None:
            return op.name.key
        if op.captured_as is not None:
            return f"\x00container-id {op.captured_as} {position}\x00"
        return None

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
            kind = self.graph.kind_in_image(state.image, source.path)
        if op.destination.key == "-":
            extract = tar_extract(op.stream_into, op.cwd)
            if extract is None:
                raise self.refuse(op.site, "docker cp to standard output is supported only when piped into `tar -x`")
            note_tar_extract(self, op.site, extract)
            destination = extract.directory
            host = destination if source.contents_only else posixpath.join(destination, source.basename)
        else:
            destination = self.host_path(op.cwd, op.destination)
            if destination is None:
                raise self.refuse(op.site, f"the destination {op.destination.text} cannot be known without running the driver")
            prior = self.state_before(destination)
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
                self.graph.decisions.append(
                    f"{where(op.site)}: assumed {self.facts.relative(destination)} "
                    + ("is a directory before the driver runs, as docker cp needs for a file" if exists else "does not exist before the driver runs")
                    + " (git does not track it)"
                )
        if op.follow_links is False and state.image is not None and (
            self.graph.image_state(state.image).may_link(source.path) or state.ran and run_may_link(self.graph, state, source.path)
        ):
            raise self.refuse(
                op.site,
                f"{source.path} is a symbolic link in the build {'container' if state.ran else 'image'}; "
                "docker cp copies the link while COPY --from follows it (docker cp -L would follow it too)",
            )
        self.record(Extraction(op, state, source, host, op.site, from_run=state.ran, kind=kind))

    def _on_remove(self, op: Remove, position: int) -> None:
        for word in op.containers:
            state = self.by_name.get(word.key)
            if state is not None:
                state.removed_by.append(op)

    def _on_removeimage(self, op: RemoveImage, position: int) -> None:
        self.graph.uses.append((op, "removes images"))

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
                    read_mounts(self, state, op.site)
            return
        if op.subcommand in ("wait", "container wait") and ours:
            for state in ours:
                state.detached = False
                state.controls.append(op)
            return
        if keys & self.by_name.keys() or names & self.by_name.keys() or any(image_key(k) in self.tags for k in keys):
            self.graph.uses.append((op, f"docker {op.subcommand}"))

    def _on_opaque(self, op: Opaque, position: int) -> None:
        if op.mentions_docker:
            raise self.refuse(op.site, op.reason)

    def _on_hostcommand(self, op: HostCommand, position: int) -> None:
        trace_host_command(self, op)
