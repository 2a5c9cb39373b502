"""What leaves a container other than by ``docker cp``: its standard output (``cat FILE``, a ``tar -c`` stream) and its bind mounts.

A run's output redirected to a file is that file, with the host's mode; a
``tar -c`` stream piped into ``tar -x`` unpacks the container's paths on the
host; a writable bind mount hands the container's files at its target to the
host directory.  Whatever else a run prints is a host write dmigrate cannot
follow, refused where a build reads it.
"""

from __future__ import annotations

import posixpath

from migrate.read.host_args import TarExtract, member_name, read_tar_create, read_tar_extract
from migrate.read.ops import UNKNOWN_MARK, Site, Word, where
from migrate.trace.graph import ArtifactGraph, ContainerState, Extraction, Mount, shown_volume
from migrate.trace.hidden_builders import check_piped_into_docker
from migrate.trace.paths import ContainerSource, container_source, is_under
from migrate.trace.stage_state import command_may_link
from migrate.trace.walk import Walk


def read_output(walk: Walk, state: ContainerState) -> bool:
    """``docker run IMG cat S > H``, ``docker run IMG tar -c … | tar -x`` and ``… > x.tar``; True when it extracts."""
    op = state.op
    check_piped_into_docker(walk.graph, op)
    if op.stdout is not None and op.stdout.known and op.stdout.key == "/dev/null":
        return False

    argv, why = walk.graph.command_of(state)
    written = walk.host_path(op.cwd, op.stdout) if op.stdout is not None else None
    if op.stdout_appends and written is not None:
        walk.graph.unknown_writes.append(
            (written, op.site, f"the driver appends the output of `docker run` to {op.stdout.text}, after what the file already held")
        )
        return False
    if argv is not None and len(argv) == 2 and posixpath.basename(argv[0]) == "cat" and op.stdout is not None:
        if written is None:
            raise walk.refuse(op.site, f"the output file {op.stdout.text} cannot be known without running the driver")
        source = container_path(walk, state, argv[1])
        umask = walk.umasks.at(op.site)
        walk.record(Extraction(None, state, source, written, op.site, via="stdout", kind="file", mode_from_host=True, umask=umask))
        return True
    tar = read_tar_create(list(argv)) if argv is not None else None
    if tar is not None and tar.archive == "-":
        members = [(container_path(walk, state, posixpath.join(tar.directory or ".", m)), member_name(m)) for m in tar.members]
        for source, name in members:
            if name != "." and state.image is not None and walk.graph.image_state(state.image).may_link(source.path):
                raise walk.refuse(
                    op.site, f"{source.path} is a symbolic link in the build image; tar packs the link while COPY --from follows it"
                )
        if op.stdout_pipe is not None:
            extract = tar_extract(op.stdout_pipe, op.cwd)
            if extract is None:
                raise walk.refuse(op.site, "the tar stream of `docker run` is piped into a command other than a plain `tar -x`")
            note_tar_extract(walk, op.site, extract)
            destination = extract.directory
            for source, name in members:
                host = posixpath.normpath(posixpath.join(destination, name))
                source = ContainerSource(source.path, name == ".")
                walk.record(Extraction(None, state, source, host, op.site, via="tar", kind="dir" if name == "." else None))
            return True
        if written is not None:
            for source, name in members:
                source = ContainerSource(source.path, name == ".")
                walk.record(
                    Extraction(None, state, source, written, op.site, via="stdout", member=name, owners_kept=not tar.root_owner)
                )
            walk.host_state[written] = "file"
            return True
    if written is not None:
        shown = " ".join(w.text for w in op.command) or "its command"
        walk.graph.unknown_writes.append(
            (written, op.site, f"the driver writes the output of `docker run … {shown}` to {op.stdout.text}, "
             f"which dmigrate reads only from `cat FILE` or `tar -c` ({why or 'it cannot tell what this prints'})")
        )
    return False


def container_path(walk: Walk, state: ContainerState, path: str) -> ContainerSource:
    """A path a command in the container names: relative ones start at the container's working directory."""
    if not path.startswith("/"):
        workdir = walk.graph.workdir_of(state)
        if workdir is None:
            raise walk.refuse(state.op.site, f"the working directory of {state.reference} cannot be known, so neither can {path}")
        path = posixpath.join(workdir, path)
    return container_source(path)


def tar_extract(words: tuple[Word, ...] | None, cwd: Word) -> TarExtract | None:
    """A plain ``tar -x`` that the output of a command is piped into, or None."""
    if words is None or not cwd.known or not all(w.known for w in words):
        return None
    return read_tar_extract([w.key for w in words], cwd.key)


def note_tar_extract(walk: Walk, site: Site, extract: TarExtract) -> None:
    if not extract.preserves_permissions:
        walk.graph.decisions.append(
            f"{where(site)}: assumed the driver runs as root: for another user, `tar -x` applies the umask to the modes it unpacks"
        )


def read_mounts(walk: Walk, state: ContainerState, site: Site) -> bool:
    """Bind mounts of a run (at ``site``): each writable one hands the container's files at its target to the host."""
    op = state.op
    extracts = False
    for volume in op.volumes:
        if volume.options == "volume" or not (volume.host.key.startswith(("/", ".")) or not volume.host.known):
            name = volume.host.shown() or "an anonymous volume"
            state.problems.append(f"it mounts {name} at {volume.container}, a volume whose content outlives the container")
            continue
        host = walk.host_path(op.cwd, volume.host)
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
        prior = walk.state_before(host)
        if not walk.facts.inside_root(host) and not any(is_under(host, removed) for removed in walk.removed):
            state.problems.append(f"it mounts {host}, outside the project, whose files before the run cannot be known")
            if not read_only and is_under(walk.facts.root, host):
                state.unplaced.append((volume, site, f"it is {host}, which holds the whole project"))
            continue
        artifacts = [
            e for e in walk.live() if (is_under(e.host_path, host) or is_under(host, e.host_path)) and e.member is None
        ]
        if artifacts:
            shown, earlier = walk.facts.relative(host), artifacts[0]
            state.problems.append(f"{shown} holds {walk.facts.relative(earlier.host_path)}, extracted by an earlier step")
            if not read_only:
                # What the command writes there joins the earlier artifact on the host, where no stage has it.
                walk.graph.unknown_writes.append(
                    (host, site, f"this run writes into {shown} through its bind mount, after {where(earlier.site)} put "
                     f"{walk.facts.relative(earlier.host_path)} there")
                )
            continue
        tracked = walk.tracked_kind(host)
        if tracked == "file" or prior == "file":
            if not read_only:
                state.problems.append(f"it mounts the file {walk.facts.relative(host)} writable")
                continue
        if tracked is None and host not in walk.host_state and walk.facts.tracked is not None:
            if read_only:
                state.problems.append(
                    f"it mounts {walk.facts.relative(host)}, which git does not track, so what the command reads there cannot be known"
                )
                continue
            walk.graph.decisions.append(
                f"{where(site)}: assumed {walk.facts.relative(host)} does not exist before the driver runs (git does not track it)"
            )
        state.mounts.append(Mount(host, target, read_only, seeded=tracked is not None, site=site))
        if read_only:
            continue
        walk.record(Extraction(None, state, ContainerSource(target, True), host, site, via="bind mount", from_run=True, kind="dir"))
        extracts = True
    return extracts


def run_may_link(graph: ArtifactGraph, state: ContainerState, path: str) -> bool:
    """Whether the command a container ran may make ``path`` a symbolic link."""
    argv, _ = graph.command_of(state)
    return argv is not None and command_may_link(" ".join(argv), path)
