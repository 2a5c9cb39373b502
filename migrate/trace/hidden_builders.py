"""Builder flows dmigrate cannot read: refused, never migrated wrongly and never reported as "nothing to do".

A builder may hand its files to the runtime build in ways the tracer cannot
follow:

- a docker front end dmigrate does not read (``docker compose run``, a
  compose service as the builder, ``docker buildx bake``, ``buildctl build``);
- a build that writes its result to the host (``docker build --output``);
- a ``docker run`` whose bind mount cannot be placed
  (``-v "$(git rev-parse --show-toplevel)":/src``, ``-v $HOME/src:/src``): what
  it writes there may be anywhere, the artifacts included;
- a ``docker run`` whose output another docker command reads
  (``docker run IMG tar -c . | docker build -``).

With no extraction dmigrate would say there is nothing to do, and ``--check``
would call the project clean; with one, the migration could copy a file
before such a step changed it.
"""

from __future__ import annotations

import posixpath

from migrate.read.docker_cli import partition_known
from migrate.read.front_ends import unread_front_end
from migrate.read.ops import UNKNOWN_MARK, Build, Container, HostCommand, Operation, Site, Word, where
from migrate.trace.graph import ArtifactGraph, shown_volume

_FILE_RECEIVERS = frozenset({"build", "load", "import", "cp", "run", "create", "exec", "start", "compose", "bake"})
"""Docker subcommands that can take files (a context, an image, a tar stream, a container's input) from their standard input."""
_PLACE_IT = "mount a directory dmigrate can place: one named from the driver's directory (\"$PWD/out\", ./out, or $(CURDIR)/out in a Makefile)"


def check_unplaced_mounts(graph: ArtifactGraph) -> None:
    """A run whose writable bind mount cannot be placed is refused when a build follows it, whatever else it does.

    Its files may land in the project anywhere, an artifact or a build
    context included, and no extraction of them can be traced.
    """
    operations = graph.reading.driver.operations
    for state in graph.containers:
        for volume, site, why in state.unplaced:
            position = next((index for index, op in enumerate(operations) if op.site is site), None)
            if position is None:
                continue
            build = next((op for op in operations[position + 1 :] if isinstance(op, Build)), None)
            if build is None:
                continue
            raise graph.refusal(
                site,
                f"the bind mount {shown_volume(volume)} cannot be placed: {why}, so what this run writes through it cannot be "
                f"traced, and the build at {where(build.site)} may read it; {_PLACE_IT}",
            )


def check_piped_into_docker(graph: ArtifactGraph, op: Container) -> None:
    """``docker run IMG … | docker build -``: the output of a run carries files into another docker command, which dmigrate does not follow.

    A receiver that takes no files (``docker login --password-stdin``) is left alone.
    """
    receiver = list(op.stdout_pipe or ())
    start = next((index + 1 for index, word in enumerate(receiver[:3]) if word.known and posixpath.basename(word.key) == "docker"), None)
    if start is None:
        return
    subcommand = [word.key if word.known else UNKNOWN_MARK for word in receiver[start:] if not word.key.startswith("-")][:2]
    if subcommand[:1] in (["image"], ["container"], ["buildx"], ["builder"]):
        subcommand = subcommand[1:]
    if subcommand[:1] and subcommand[0] not in _FILE_RECEIVERS and UNKNOWN_MARK not in subcommand[0]:
        return
    shown = " ".join(word.text for word in receiver)
    raise graph.refusal(
        op.site,
        f"the output of this `docker run` is piped into `{shown}`, a builder flow dmigrate does not migrate yet: "
        "copy the files out with docker cp or a bind mount, and build from them",
    )


def build_output_writes(build: Build) -> list[tuple[str, Site, str]]:
    """The host paths a build's ``--output`` writes, as the tracer's writes it cannot follow."""
    writes = []
    for destination in _output_destinations(build):
        if destination is None or not destination.known or destination.key == "-" or not build.cwd.known:
            continue
        path = posixpath.normpath(posixpath.join(build.cwd.key, destination.key))
        writes.append((path, build.site, f"this build writes its result to {destination.text} on the host (--output), which dmigrate does not follow"))
    return writes


def check_hidden_builders(graph: ArtifactGraph) -> None:
    """Before saying there is nothing to do: a step that may be a builder dmigrate cannot read, followed by a build that copies from its context, is refused."""
    operations = graph.reading.driver.operations
    for position, op in enumerate(operations):
        what = _unread_builder(op)
        if what is None:
            continue
        build = next((later for later in operations[position + 1 :] if isinstance(later, Build) and _reads_context(graph, later)), None)
        if build is None:
            continue
        raise graph.refusal(
            op.site,
            f"{what} may be a builder dmigrate cannot read, and the build at {where(build.site)} copies files from its context "
            "after it; run the builder with `docker build` and `docker cp`, or `docker run` with a bind mount of a project "
            "directory, so that dmigrate can read the flow, or run this step after that build",
        )


def _unread_builder(op: Operation) -> str | None:
    if isinstance(op, HostCommand):
        front_end = unread_front_end(op)
        return front_end
    if isinstance(op, Build):
        unplaced = [d for d in _output_destinations(op) if d is not None and (not d.known or d.key == "-" or not op.cwd.known)]
        if unplaced:
            return f"this build, which writes its result to {unplaced[0].text} (--output),"
    return None


def _reads_context(graph: ArtifactGraph, build: Build) -> bool:
    """Whether a build copies anything from its context; one whose Dockerfile is not known may."""
    image = next((image for image in graph.images if image.build is build), None)
    if image is None:
        return True
    states = (graph.stage_state(image, stage) for stage in image.dockerfile.stages)
    return any(state.context_reads or state.mounts_context for state in states)


def _output_destinations(build: Build) -> list[Word | None]:
    """Where each ``-o``/``--output`` of a build writes on the host: a path, ``-`` for standard output, or None for no host file."""
    found: list[Word | None] = []
    for name, value in build.other_flags:
        if name not in ("-o", "--output") or value is None:
            continue
        if "=" not in value.key.replace(UNKNOWN_MARK, ""):
            found.append(value)  # a plain path is a local output; ``-`` a tar stream
            continue
        fields: dict[str, str] = {}
        rest = value.key
        while rest:
            part, _, rest = partition_known(rest, ",")
            key, _, setting = partition_known(part, "=")
            fields[key.strip()] = setting
        kind = fields.get("type", "local")
        destination = fields.get("dest")
        if UNKNOWN_MARK in kind:
            found.append(Word(value.text, UNKNOWN_MARK + value.text + UNKNOWN_MARK))
        elif kind in ("local", "tar", "oci", "docker") and destination is not None:
            found.append(Word(destination.replace(UNKNOWN_MARK, ""), destination))
        elif kind == "tar":
            found.append(Word("-", "-"))
        else:
            found.append(None)
    return found
