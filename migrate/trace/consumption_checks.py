"""What the host did to the artifacts a build reads, which the migrated build must do too, checked as each build is traced.

A host ``chmod`` or a host-written file's mode becomes ``COPY --chmod`` (where
the mode has no bit COPY drops and the umask is known); a directory ``mkdir``
made between the COPY source and the artifact keeps its mode only on the host;
an artifact renamed on the host lands under another name when the COPY target
may be a directory.
"""

from __future__ import annotations

import posixpath

from migrate.read.ops import where
from migrate.trace.graph import BuiltImage, Consumption, instruction_site
from migrate.trace.image_ref import ImageRef
from migrate.trace.paths import STANDARD_DIRECTORIES, context_relative, is_directory_target, is_under, joined
from migrate.trace.stage_state import StageState
from migrate.trace.umask import DEFAULT_UMASK
from migrate.trace.walk import Walk


def check_consumptions(walk: Walk, image: BuiltImage) -> None:
    """What the host did to the artifacts this build reads that the migrated build must do too."""
    for consumption in walk.graph.consumptions:
        if consumption.image is not image:
            continue
        if consumption.instruction.flag("chmod") is None:
            # A --chmod of the COPY itself decides the mode in both builds.
            _check_chmod(walk, consumption)
            _check_host_written_mode(walk, consumption)
        _check_made_directories(walk, consumption)
        _check_renamed_target(walk, consumption)


def _check_chmod(walk: Walk, consumption: Consumption) -> None:
    extraction = consumption.extraction
    if extraction.chmod is not None and extraction.chmod & ~0o777:
        # Measured on Docker 20.10's BuildKit: --chmod=4755 gives 0755, 2750 gives 0750, 1777 gives 0777.
        raise walk.refuse(
            extraction.chmod_site,
            f"this chmod gives {walk.facts.relative(extraction.host_path)} the mode {extraction.chmod:04o}, with a setuid, setgid "
            "or sticky bit, which COPY --chmod drops; set that mode in the build image (a RUN chmod there) and remove this chmod",
        )


def _check_host_written_mode(walk: Walk, consumption: Consumption) -> None:
    extraction = consumption.extraction
    if not extraction.mode_from_host or extraction.chmod is not None:
        return
    umask = extraction.umask
    shown = walk.facts.relative(extraction.host_path)
    if umask.value is None:
        raise walk.refuse(
            umask.site,
            f"{umask.why}, and the mode the host writes {shown} with ({where(extraction.site)}) comes from it; "
            f"set a plain octal umask before, or `chmod` {shown} to an octal mode after it is written",
        )
    if umask.site is not None and umask.value != DEFAULT_UMASK.value:
        walk.graph.decisions.append(
            f"{where(extraction.site)}: {shown}: the host wrote it under the umask {umask.value:03o} set at {where(umask.site)}, "
            f"so it had mode {extraction.known_mode:04o}"
        )


def _check_made_directories(walk: Walk, consumption: Consumption) -> None:
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
        made = walk.made_directories.get(path)
        path_shown = walk.facts.relative(path)
        path = posixpath.dirname(path)
        if made is None or made[1] == 0o755:
            continue
        site, mode, umask, shown = made
        if mode is None and umask.value is None:
            raise walk.refuse(
                umask.site, f"{umask.why}, and `{shown}` ({where(site)}) makes {path_shown} with the mode it leaves, which {copied_by} copies into the image"
            )
        what = f"with mode {mode:04o}" if mode is not None else "with a mode dmigrate cannot tell"
        raise walk.refuse(
            site,
            f"`{shown}` makes {path_shown} {what}, and {copied_by} copies it into the image, where the migrated build makes it "
            "with mode 0755; make it with `mkdir -m 755`",
        )


def _check_renamed_target(walk: Walk, consumption: Consumption) -> None:
    """An artifact renamed on the host, copied to a target without ``/``: a directory there gets it under the host name.

    The COPY --from names it after the container path instead, so the target must be shown to be a
    directory (the COPY --from then names the file), a file, or absent, or to carry the host name itself.
    """
    extraction = consumption.extraction
    source = extraction.source
    host_name = posixpath.basename(extraction.host_path)
    if consumption.relation != "itself" or source.contents_only or extraction.member is not None or host_name == source.basename:
        return
    instruction = consumption.instruction
    words = instruction.words()
    destination = words[-1]
    if is_directory_target(destination, len(words) - 1) or "$" in destination:
        return
    kind = extraction.kind
    built = extraction.container.image
    if kind is None and built is not None and not extraction.from_run:
        kind = walk.graph.kind_in_image(built, source.path)
    if kind == "dir":
        return  # a directory's contents land in the target either way
    state = walk.graph.stage_state(consumption.image, consumption.stage)
    target = joined(state.workdir_at(instruction.line), destination)
    if target is not None and _target_shown(state, instruction.line, target):
        return
    base = list(state.lineage())[-1].stage.base
    shown = target or destination
    site = instruction_site(consumption.image.dockerfile.path, instruction)
    if posixpath.basename(shown) == host_name:
        walk.graph.decisions.append(
            f"{where(site)}: assumed {shown} is not a directory in the base image {base} (if it were, the artifact would land "
            f"in it as {source.basename}, not {host_name})"
        )
        return
    raise walk.refuse(
        site,
        f"{walk.facts.relative(extraction.host_path)} is {source.path} renamed on the host, and dmigrate cannot tell whether {shown} "
        f"is a directory of the base image {base}: if it is, the legacy COPY made {shown}/{host_name} and a COPY --from would make "
        f"{shown}/{source.basename}; write `{destination}/` if it is a directory, or the full path of the file",
    )


def _target_shown(state: StageState, line: int, target: str) -> bool:
    """Whether the stage (above ``line``) or a stage below it shows what ``target`` is: a directory, a file, or nothing at all."""
    if target in STANDARD_DIRECTORIES:
        return True
    lineage = list(state.lineage())
    before: int | None = line
    for below in lineage:
        if below.kind_of(target, before) is not None:
            return True
        before = None
    root = lineage[-1].base
    if not isinstance(root, ImageRef) or root.name != "scratch":
        return False
    # FROM scratch starts empty: the target is absent unless a stage puts something there.
    before = line
    for below in lineage:
        if below.writes_below(target, before_line=before):
            return False
        before = None
    return True
