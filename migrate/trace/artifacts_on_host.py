"""What the driver does on the host while an artifact sits there, between its extraction and the build that reads it.

The migrated build reads the artifact from its stage, so anything the legacy
driver did to it on the host in that time must be known.  Host commands that
name an artifact are judged as they are traced (``chmod``, ``mv``, ``tar``)
and when the driver is edited; these checks cover what that cannot see:

- a step whose effect cannot be read at all (``eval``, ``source``, ``sh -c``
  without docker in it, a Makefile recipe dmigrate does not follow);
- a host command that names a path only the run knows (``cp x "$DEST"``);
- a program whose effect on files its arguments do not tell (``./gen.py``,
  ``make assets``, ``npm run build``, ``git clean -fdx``, ``$TOOL``): it may
  write into an artifact, and the migrated build would not see that;
- a file written into a directory that a runtime COPY reads and that holds
  nothing git tracks: the migrated build copies only the artifacts there from
  their stage, so the other files would be left out.
"""

from __future__ import annotations

import posixpath

from migrate.read.ops import HostCommand, Opaque, Operation, where
from migrate.trace.graph import ArtifactGraph, Consumption
from migrate.trace.host_commands import READS_ONLY, only_reads, runs_unread_program, shown, unknown_effect
from migrate.trace.paths import context_relative, is_under, may_overlap


def check_steps_beside_artifacts(graph: ArtifactGraph) -> None:
    """Refuse a step that may change an artifact on the host in a way the migrated build cannot repeat."""
    if not graph.consumptions:
        return
    operations = graph.reading.driver.operations
    judged = {site for extraction in graph.extractions for site in extraction.host_changes}
    _check_unreadable_steps(graph, operations, judged)
    _check_writes_into_dropped_directories(graph, operations, judged)


def _check_unreadable_steps(graph: ArtifactGraph, operations: tuple[Operation, ...], judged: set) -> None:

    on_host = [e for e in graph.extractions if e.consumptions or e.derived]
    if not on_host:
        return
    first = min(on_host, key=lambda extraction: extraction.position)
    places = [e.host_path for e in graph.extractions] + [d for c in graph.consumptions if (d := _dropped_directory(graph, c))]
    for position, op in enumerate(operations):
        if position <= first.position:
            continue
        builds = [c for c in graph.consumptions if c.image.position > position]
        if not builds:
            return
        if isinstance(op, Opaque):
            what = op.reason
        elif isinstance(op, HostCommand) and op.site not in judged and not only_reads(op):
            # A glob names files that exist; one that cannot match these places leaves them alone.
            what = unknown_effect(op, lambda pattern: not any(may_overlap(pattern.lstrip("/"), place.lstrip("/")) for place in places))
            if what is None and runs_unread_program(op):
                what = f"`{shown(op)}` runs a program whose effect on files dmigrate cannot read (move it before the extraction or after that build)"
            if what is None:
                continue
        else:
            continue
        build = min(builds, key=lambda consumption: consumption.image.position).image
        raise graph.refusal(
            op.site,
            f"{what}; it runs while {graph.reading.facts.relative(first.host_path)} is on the host (from {where(first.site)} "
            f"until the build at {where(build.build.site)} reads it), so what it does to the artifacts cannot be known",
        )


def _source_path(consumption: Consumption) -> str:
    return posixpath.normpath(posixpath.join(consumption.image.context, context_relative(consumption.source)))


def _check_writes_into_dropped_directories(graph: ArtifactGraph, operations: tuple[Operation, ...], judged: set) -> None:

    facts = graph.reading.facts
    dropped = [(c, d) for c in graph.consumptions if (d := _dropped_directory(graph, c)) is not None]
    if not dropped:
        return
    artifacts = [e.host_path for e in graph.extractions]
    for position, op in enumerate(operations):
        if not isinstance(op, HostCommand) or op.site in judged or not op.cwd.known or not op.argv[0].known:
            continue
        name = posixpath.basename(op.argv[0].key)
        if name in READS_ONLY or name == "rm":
            continue
        for word in op.argv[1:]:
            if not word.known or word.key.startswith("-"):
                continue
            path = posixpath.normpath(posixpath.join(op.cwd.key, word.key))
            if any(is_under(path, a) or is_under(a, path) for a in artifacts):
                continue  # a step on the artifact itself, judged where the driver is edited
            for consumption, directory in dropped:
                build = consumption.image
                if position >= build.position or path == directory or not is_under(path, directory):
                    continue
                if _removed_between(operations, position, build.position, path):
                    continue
                raise graph.refusal(
                    op.site,
                    f"`{shown(op)}` puts {facts.relative(path)} into {facts.relative(directory)}, which "
                    f"{consumption.instruction.keyword} {consumption.source} at {build.dockerfile.path.name}:{consumption.instruction.line} "
                    f"copies; git tracks nothing there, so the migrated build copies only the artifacts in it from their stage "
                    f"and {facts.relative(path)} would be left out",
                )


def _dropped_directory(graph: ArtifactGraph, consumption: Consumption) -> str | None:
    """The COPY source directory that holds an artifact and nothing git tracks: the migrated build no longer copies it."""
    if consumption.relation != "directory":
        return None
    directory = _source_path(consumption)
    return directory if graph.reading.facts.existed_before_run(directory) is None else None


def _removed_between(operations: tuple[Operation, ...], start: int, end: int, path: str) -> bool:
    """Whether an ``rm`` after ``start`` and before ``end`` removes ``path`` or a directory holding it."""
    for op in operations[start + 1 : end]:
        if not isinstance(op, HostCommand) or op.site.guard or not op.cwd.known or not op.argv[0].known:
            continue
        if posixpath.basename(op.argv[0].key) != "rm":
            continue
        for word in op.argv[1:]:
            if word.known and not word.key.startswith("-") and is_under(path, posixpath.normpath(posixpath.join(op.cwd.key, word.key))):
                return True
    return False
