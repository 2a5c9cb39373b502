"""Builds the migration moves: a build image, or a ``docker run`` of the project, becomes a stage of the runtime build.

The legacy flow read the build context when it built the build image; the
migrated flow reads it for that stage only where the runtime build runs.  A
step of the driver in between that changes a file the stage reads from the
context (``cp next VERSION``, ``./bump-version.py``, ``git checkout``) would
reach the stage in the migrated flow and never reached the build image, so
the artifacts would differ.  Such a step is refused, unless the migration
removes it anyway.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

from migrate.read.ops import Container, Copy, HostCommand, Opaque, Operation, Site, where
from migrate.trace.graph import ArtifactGraph, BuiltImage, ContainerState
from migrate.trace.host_commands import only_reads, runs_unread_program, shown, unknown_effect
from migrate.trace.paths import context_relative, is_pattern, is_under, may_overlap
from migrate.trace.stage_state import context_sources, mounts_context


@dataclass(frozen=True)
class MovedRead:
    """Where the legacy flow read host files for what is now a stage, and which files it read."""

    position: int
    """The operation that read them: the build of the build image, or the run."""
    site: Site
    directory: str
    """The build context, or the bind-mounted directory."""
    sources: tuple[str, ...]
    """What was read, relative to ``directory`` as COPY sources are (``.`` for all of it)."""
    reader: str
    """Who read them, for messages: ``Dockerfile.build``, ``the run's bind mount``."""
    by_run: bool = False
    """A ``docker run`` read them, not a ``docker build``."""


def moved_reads(builders: Iterable[BuiltImage], states: Iterable[ContainerState], operations: tuple[Operation, ...]) -> list[MovedRead]:
    """What each build image that becomes a stage, and each run of the project that does, read from the host."""
    reads = []
    for image in builders:
        sources = _context_sources(image)
        if sources:
            reads.append(MovedRead(image.position, image.build.site, image.context, sources, posixpath.basename(image.dockerfile_path)))
    for state in states:
        seeded = [mount for mount in state.mounts if mount.seeded]
        position = next((index for index, op in enumerate(operations) if op is state.op), None)
        if position is None:
            continue
        for mount in seeded:
            reads.append(MovedRead(position, state.op.site, mount.host_path, (".",), "the run's bind mount", by_run=True))
    return reads


def _context_sources(image: BuiltImage) -> tuple[str, ...]:
    """The context sources any stage of the image's Dockerfile copies or mounts (more than its own stages need: a safe side)."""
    sources: list[str] = []
    for stage in image.dockerfile.stages:
        for instruction in stage.instructions:
            if instruction.keyword in ("COPY", "ADD") and instruction.flag("from") is None:
                sources += context_sources(instruction)
            elif mounts_context(instruction):
                sources.append(".")
    return tuple(dict.fromkeys(sources))


def check_steps_before_moved_builds(graph: ArtifactGraph, reads: list[MovedRead], final: BuiltImage, removed: set[Site]) -> list[str]:
    """Refuse a step that stays in the driver and changes what a moved build read, between that read and the runtime build.

    A step that only adds files the context did not hold is judged as the
    migration's own changes are: refused where a stage copies one of them into
    an artifact (see :mod:`migrate.trace.context_copies`), and otherwise
    warned about, since a build step that reads the whole copied tree would
    see them.  The warnings are returned.
    """
    from migrate.trace.context_copies import check_context_copies

    operations = graph.reading.driver.operations
    facts = graph.reading.facts
    created: dict[str, str] = {}
    for read in reads:
        for op in operations[read.position + 1 : final.position]:
            if op.site in removed:
                continue
            what = _change(op, read, facts, created)
            if what is None:
                continue
            raise graph.refusal(
                op.site,
                f"{what}; it runs after {where(read.site)} and before the build at {where(final.build.site)}, where the migrated "
                f"build now builds that stage, so the stage would see a change the legacy {'run' if read.by_run else 'build image'} "
                "never saw; move the step before or after both",
            )
    if not created:
        return []
    check_context_copies(graph, {path: f"{step} adds" for path, step in created.items()}, "the stage is now built after")
    return [
        f"{where(read.site)}: {read.reader} now also sees {facts.relative(path)}, which {step} adds before the runtime build; "
        "no COPY puts it in an artifact, but a build step that reads the whole copied tree would see it"
        for read in reads
        for path, step in created.items()
        if _reads(read, path)
    ]


def _change(op: Operation, read: MovedRead, facts, created: dict[str, str]) -> str | None:
    """What ``op`` may change of the files ``read`` took from the host, or None; files it only adds go to ``created``."""
    if isinstance(op, Opaque):
        return op.reason
    if isinstance(op, HostCommand):
        return _host_change(op, read, facts, created)
    if isinstance(op, Container):
        for volume in op.volumes:
            if volume.options == "volume" or {"ro", "readonly"} & set(volume.options.split(",")):
                continue  # a named volume is no host directory; a read-only mount changes nothing
            if volume.host.known and not volume.host.key.startswith(("/", ".")):
                continue
            if not volume.host.known or not op.cwd.known:
                return f"this run mounts {volume.host.text}, which cannot be known without running the driver"
            host = _path(op.cwd.key, volume.host.key)
            if _reads(read, host):
                return f"this run may write into {facts.relative(host)} through its bind mount, and {read.reader} reads it"
        return None
    if isinstance(op, Copy):
        if not op.destination.known or not op.cwd.known:
            return f"this `docker cp` writes to {op.destination.text}, which cannot be known without running the driver"
        destination = _path(op.cwd.key, op.destination.key)
        if not _reads(read, destination):
            return None
        if facts.existed_before_run(destination) is None:
            created.setdefault(destination, f"the `docker cp` at {where(op.site)}")
            return None
        return f"this `docker cp` writes {facts.relative(destination)}, and {read.reader} reads it"
    return None


def _host_change(op: HostCommand, read: MovedRead, facts, created: dict[str, str]) -> str | None:
    if only_reads(op):
        return None
    unknown = unknown_effect(op, lambda pattern: _misses(pattern, read))
    if unknown is not None:
        return unknown
    if runs_unread_program(op):
        return f"`{shown(op)}` runs a program whose effect on files dmigrate cannot read, and {read.reader} reads files of {facts.relative(read.directory)}"
    name = posixpath.basename(op.argv[0].key)
    for word in op.argv[1:]:
        if word.key.startswith("-"):
            continue
        path = _path(op.cwd.key, word.key)
        if not _reads(read, path):
            continue
        if facts.existed_before_run(path) is None:
            # Not there on a clean checkout: removing it changes nothing, and what adds it is judged where a stage copies it.
            if name not in ("rm", "rmdir"):
                created.setdefault(path, f"`{shown(op)}` at {where(op.site)}")
            continue
        return f"`{shown(op)}` changes {facts.relative(path)}, and {read.reader} reads it"
    return None


def _misses(pattern: str, read: MovedRead) -> bool:
    """Whether a glob (absolute) cannot name anything ``read`` took (``./*.md`` beside ``COPY main.go``)."""
    if not is_under(pattern, read.directory):
        return not is_under(read.directory, posixpath.dirname(pattern))
    relative = posixpath.relpath(pattern, read.directory)
    for source in read.sources:
        taken = context_relative(source)
        if taken == "." or is_pattern(source) or may_overlap(relative, taken):
            return False
    return True


def _path(cwd: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(cwd, path))


def _reads(read: MovedRead, path: str) -> bool:
    """Whether ``path`` is, holds or lies in a file ``read`` took."""
    if not is_under(path, read.directory) and not is_under(read.directory, path):
        return False
    for source in read.sources:
        relative = context_relative(source)
        if relative == ".":
            return True
        if is_pattern(source):
            if not is_under(path, read.directory) or may_overlap(relative, posixpath.relpath(path, read.directory)):
                return True
            continue
        taken = posixpath.join(read.directory, relative)
        if is_under(path, taken) or is_under(taken, path):
            return True
    return False
