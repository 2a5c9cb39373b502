"""Host commands between an extraction and the build that reads it: ``chmod``, ``mv``/``cp -a``, ``tar -c``, ``mkdir``, ``rm``, ``umask``.

Each changes what is at some host paths.  What one does to an artifact the
migrated build must do too, so it is followed exactly (a ``chmod`` mode
becomes ``COPY --chmod``, a ``mv`` renames the host path, a ``tar -c`` of
artifacts becomes an archive made from the stage) or refused; the argv is
read by :mod:`migrate.read.host_args`.
"""

from __future__ import annotations

import posixpath

from migrate.read.host_args import chmod_mode, made_directory_modes, member_name, read_chmod, read_mkdir, read_move, read_tar_create
from migrate.read.ops import HostCommand, where
from migrate.trace.graph import Extraction, derived_extraction
from migrate.trace.paths import ContainerSource, is_under
from migrate.trace.walk import Walk


def trace_host_command(walk: Walk, op: HostCommand) -> None:
    """What a host command does to the host paths and the artifacts on them."""
    name = posixpath.basename(op.argv[0].key) if op.argv[0].known else ""
    paths = [walk.host_path(op.cwd, word) for word in op.argv[1:] if not word.key.startswith("-")]
    if name == "umask":
        walk.umasks.record(op)
        walk.graph.uses.append((op, "umask"))
        return
    if name == "mkdir":
        _made_directories(walk, op)
        for path in paths:
            if path is not None and walk.host_state.get(path) is None:
                walk.host_state[path] = "dir"
                walk.mark_parents(path)
        walk.graph.uses.append((op, "mkdir"))
        return
    if name == "rm":
        for path in paths:
            if path is None:
                continue
            walk.host_state[path] = None
            walk.removed.add(path)
            for made in [d for d in walk.made_directories if is_under(d, path)]:
                del walk.made_directories[made]
            for extraction in walk.graph.extractions:
                if extraction.host_path == path or extraction.host_path.startswith(path + "/"):
                    extraction.removed_on_host = True
        walk.graph.uses.append((op, "rm"))
        return
    words = [w.key for w in op.argv] if all(w.known for w in op.argv) and op.cwd.known else None
    if words is not None and name == "chmod":
        _chmod(walk, op, words)
    elif words is not None and name in ("mv", "cp"):
        _move(walk, op, words)
    elif words is not None and name in ("tar", "gtar", "bsdtar"):
        _pack(walk, op, words)
    walk.graph.uses.append((op, name))


def _chmod(walk: Walk, op: HostCommand, words: list[str]) -> None:
    command = read_chmod(words)
    if command is None:
        return
    targets = [(path, walk.artifacts_at(posixpath.normpath(posixpath.join(op.cwd.key, path)))) for path in command.paths]
    if not any(found for _, found in targets):
        return
    for path, found in targets:
        absolute = posixpath.normpath(posixpath.join(op.cwd.key, path))
        exact = [e for e in found if e.host_path == absolute]
        if not exact:
            raise walk.refuse(op.site, f"`{' '.join(words)}` changes {path}, which is not an artifact by itself; split the command or chmod the artifact only")
        for extraction in exact:
            if extraction.kind != "file":
                what = "is a directory" if extraction.kind == "dir" else "may be a directory"
                raise walk.refuse(
                    op.site, f"`{' '.join(words)}`: {path} {what}; COPY --chmod would change every file in it, chmod only the directory"
                )
            umask = walk.umasks.at(op.site)
            mode = chmod_mode(command.mode, extraction.known_mode, umask=umask.value)
            if mode is None and umask.value is None and chmod_mode(command.mode, extraction.known_mode) is not None:
                raise walk.refuse(umask.site, f"{umask.why}, and `{' '.join(words)}` ({where(op.site)}) gives {path} a mode that depends on it")
            if mode is None and extraction.mode_from_host and extraction.umask.value is None:
                raise walk.refuse(
                    extraction.umask.site,
                    f"{extraction.umask.why}, and `{' '.join(words)}` ({where(op.site)}) changes the mode the host wrote {path} with",
                )
            if mode is None:
                raise walk.refuse(
                    op.site,
                    f"`{' '.join(words)}`: the mode {path} had before cannot be known, so neither can the one COPY --chmod must give it",
                )
            extraction.chmod = mode
            extraction.chmod_site = op.site
            extraction.host_changes.append(op.site)


def _move(walk: Walk, op: HostCommand, words: list[str]) -> None:
    command = read_move(words)
    cwd = op.cwd.key
    sources = [posixpath.normpath(posixpath.join(cwd, s)) for s in (command.sources if command else ())]
    affected = {source: walk.artifacts_at(source) for source in sources}
    if command is None or not any(affected.values()):
        return
    destination = posixpath.normpath(posixpath.join(cwd, command.destination))
    prior = walk.state_before(destination)
    if prior == "unknown":
        raise walk.refuse(op.site, f"{command.destination} is an artifact whose kind cannot be known, so where `{words[0]}` puts things cannot either")
    for source, found in affected.items():
        if not found or walk.tracked_kind(source) is not None:
            raise walk.refuse(op.site, f"`{' '.join(words)}` moves {walk.facts.relative(source)} along with the artifacts; split the command")
        landing = posixpath.join(destination, posixpath.basename(source)) if prior == "dir" or command.into_directory else destination
        if command.no_clobber and walk.state_before(landing) is not None:
            raise walk.refuse(op.site, f"`{' '.join(words)}` leaves {walk.facts.relative(landing)} as it was, as it already exists")
        for extraction in found:
            moved = landing + extraction.host_path[len(source) :]
            if command.keeps_source:
                clone = derived_extraction(extraction, host_path=moved, site=op.site)
                walk.record(clone)
            else:
                walk.host_state[extraction.host_path] = None
                extraction.host_path = moved
                extraction.host_changes.append(op.site)
                walk.host_state[moved] = extraction.kind or "unknown"
                walk.mark_parents(moved)


def _pack(walk: Walk, op: HostCommand, words: list[str]) -> None:
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
        for extraction in walk.live():
            if extraction.member is not None:
                continue
            if is_under(extraction.host_path, path):
                found.append((extraction, posixpath.normpath(posixpath.join(name, posixpath.relpath(extraction.host_path, path))), ""))
            elif is_under(path, extraction.host_path):
                found.append((extraction, name, posixpath.relpath(path, extraction.host_path)))
        if found and walk.tracked_kind(path) is not None and not any(e.host_path == path for e, _, _ in found):
            raise walk.refuse(op.site, f"the archive packs {member}, which holds files besides the artifacts")
        if not found and entries:
            raise walk.refuse(op.site, f"the archive packs {member} along with the artifacts; dmigrate can rebuild it only from artifacts")
        entries.extend(found)
    if not entries:
        return
    archive = posixpath.normpath(posixpath.join(cwd, tar.archive))
    for extraction, name, below in entries:
        source = extraction.source
        if below:
            source = ContainerSource(posixpath.join(source.path, below), False)
        clone = derived_extraction(extraction, host_path=archive, site=op.site, source=source, member=name, owners_kept=False)
        if below:
            clone.kind = None
        walk.graph.extractions.append(clone)
    walk.host_state[archive] = "file"
    if not tar.root_owner:
        walk.graph.decisions.append(
            f"{where(op.site)}: assumed the driver runs as root: `tar -c` records the owner of every file it packs, and ADD keeps it"
        )


def _made_directories(walk: Walk, op: HostCommand) -> None:
    """The mode of every directory a host ``mkdir`` makes, for when one is copied into the image."""
    if not op.cwd.known:
        return
    command = read_mkdir([w.key for w in op.argv]) if all(w.known for w in op.argv) else None
    umask = walk.umasks.at(op.site)
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
        while parents and parent not in ("", "/") and walk.state_before(parent) is None:
            made.append((parent, parent_mode))
            parent = posixpath.dirname(parent)
        for directory, directory_mode in made:
            if walk.state_before(directory) is None:
                walk.made_directories[directory] = (op.site, directory_mode, umask, shown)
