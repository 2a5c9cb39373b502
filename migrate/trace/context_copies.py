"""A build stage that copies the build context into an artifact.

The migration rewrites the runtime Dockerfile and the driver and deletes the
build Dockerfile, and the merged build's stages copy the context as it is
after that.  When a build stage's ``COPY . .`` (or a bind mount of the
project, which becomes a COPY) puts one of those files into a path the
runtime image takes as an artifact, the migrated image would hold its new
text, or lack it, so the migration is refused at that COPY.

A build step that only reads the copied tree (a listing, a checksum, an
archive of the sources) changes its output just the same, and cannot be seen
from the Dockerfile.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace

from migrate.read.dockerfile import Stage
from migrate.read.dockerignore import DockerIgnore
from migrate.read.ops import Site
from migrate.trace.contexts import context_sources, ignore_of, selects
from migrate.trace.flow import BuiltImage, Consumption, ContainerState, Extraction, Flow, where
from migrate.trace.paths import context_relative, is_directory_target, is_pattern, is_under
from migrate.trace.stages import joined, workdir_before


@dataclass(frozen=True)
class _Landing:
    file: str
    """The host file the migration changes."""
    path: str | None
    """Where it lands in the stage; None when that cannot be known."""
    exact: bool
    """False: somewhere at or below ``path`` (a wildcard copied it)."""
    site: Site
    """The context COPY, or the bind mount, that brought it from the host."""
    what: str
    remedy: str = "keep them out of the build with .dockerignore, or copy only what the build needs"


def check_context_copies(flow: Flow, changed: dict[str, str] | None = None, cause: str = "the migration") -> None:
    """Refuse when a file the migration changes reaches an artifact the runtime image reads.

    ``changed`` (host path: what happens to it) names other files that the
    stages see changed, and ``cause`` says what changes them.
    """
    if not flow.consumptions:
        return
    if changed is None:
        changed = _changed_files(flow)
    memo: dict[tuple[int, int], list[_Landing]] = {}
    for consumption in flow.consumptions:
        extraction = consumption.extraction
        consumed = extraction.source.path
        if consumption.relation == "inside":
            consumed = posixpath.join(consumed, consumption.below)
        state = extraction.container
        landings = _mount_landings(state, changed)
        if state.image is not None and extraction.via != "bind mount":
            landings += _landings(flow, state.image, state.image.stage, changed, memo)
        reaching = [landing for landing in landings if _reaches(landing, consumed) and not _is_itself(landing, extraction)]
        if reaching:
            _refuse(flow, consumption, consumed, reaching, changed, cause)


def _changed_files(flow: Flow) -> dict[str, str]:
    """The host files the migration rewrites or deletes, with what it does to each."""
    changed: dict[str, str] = {}
    facts = flow.reading.facts
    finals = {id(c.image): c.image for c in flow.consumptions}
    builders: dict[int, BuiltImage] = {}
    for consumption in flow.consumptions:
        image = consumption.extraction.container.image
        if image is not None:
            for built, _stage in flow.lineage(image, image.stage):
                builders[id(built)] = built
    for image in builders.values():
        if id(image) not in finals:
            changed[image.dockerfile_path] = "deletes"
        changed[posixpath.normpath(str(image.build.site.file))] = "rewrites"
    for consumption in flow.consumptions:
        extraction = consumption.extraction
        for site in (extraction.site, extraction.container.op.site):
            changed[posixpath.normpath(str(site.file))] = "rewrites"
    for image in finals.values():
        changed[image.dockerfile_path] = "rewrites"
        ignore_path = ignore_of(image, facts)[1]
        if _may_get_ignore_lines(flow, image):
            changed.setdefault(ignore_path, "may add lines to")
    return changed


def _may_get_ignore_lines(flow: Flow, final: BuiltImage) -> bool:
    """Whether the runtime build's ``.dockerignore`` may be given lines: for a kept ``COPY . .``, or another build's context or rules."""
    facts = flow.reading.facts
    for consumption in flow.consumptions:
        if consumption.image is final and consumption.relation == "directory":
            return True
        image = consumption.extraction.container.image
        if image is not None and (image.context != final.context or ignore_of(image, facts)[0] != ignore_of(final, facts)[0]):
            return True
    return False


def _mount_landings(state: ContainerState, changed: dict[str, str]) -> list[_Landing]:
    """A bind mount of project files showed the run them as they were; its stage copies them as they are after the migration."""
    found = []
    for mount in state.mounts:
        if not mount.seeded:
            continue
        for path in changed:
            if is_under(path, mount.host_path):
                target = posixpath.normpath(posixpath.join(mount.target, posixpath.relpath(path, mount.host_path)))
                what = "this bind mount, a COPY of the project in the migrated stage,"
                found.append(_Landing(path, target, True, mount.site, what, "mount only what the command needs"))
    return found


def _landings(flow: Flow, image: BuiltImage, stage: Stage, changed: dict[str, str], memo) -> list[_Landing]:
    """Where the changed files land in a stage: by its own context COPYs, its base's, and COPY --from of other stages."""
    key = (id(image), stage.index)
    if key in memo:
        return memo[key]
    memo[key] = []
    found: list[_Landing] = []
    base = flow.base_of(image, stage)
    if base is not None:
        found += _landings(flow, base[0], base[1], changed, memo)
    start = flow.base_defaults(image, stage).workdir
    text = ignore_of(image, flow.reading.facts)[0]
    ignore = DockerIgnore(text) if text is not None else None
    for instruction in stage.instructions:
        if instruction.keyword not in ("COPY", "ADD") or len(instruction.words()) < 2:
            continue
        written = instruction.words()[-1]
        destination = None if "$" in written else joined(workdir_before(stage, instruction.line, start), written)
        into = is_directory_target(written, len(instruction.words()) - 1)
        site = Site(image.dockerfile.path, instruction.line, None)
        shown = f"`{instruction.text.splitlines()[0].strip()}`"
        origin = instruction.flag("from")
        if origin is None:
            for source in context_sources(instruction):
                for path in changed:
                    if not selects(image.context, source, path):
                        continue
                    if ignore is not None and ignore.excludes(posixpath.relpath(path, image.context)):
                        continue
                    copied = posixpath.normpath(posixpath.join(image.context, context_relative(source)))
                    found += _placed(_Landing(path, path, not is_pattern(source), site, shown), copied, destination, into)
            continue
        other = flow.copied_from(image, instruction, origin)
        if other is None:
            continue
        for landing in _landings(flow, other[0], other[1], changed, memo):
            for source in instruction.words()[:-1]:
                copied = posixpath.normpath(posixpath.join("/", source))
                if is_pattern(source) or not landing.exact or landing.path is None:
                    if landing.path is None or is_under(landing.path, copied) or is_under(copied, landing.path):
                        found.append(replace(landing, path=destination, exact=False))
                elif is_under(landing.path, copied):
                    found += _placed(landing, copied, destination, into)
    memo[key] = found
    return found


def _placed(landing: _Landing, copied: str, destination: str | None, into: bool) -> list[_Landing]:
    """The landing of ``landing.path`` (at or below ``copied``, the COPY source) once copied to ``destination``."""
    if destination is None:
        return [replace(landing, path=None, exact=False)]
    if not landing.exact:
        return [replace(landing, path=destination)]
    if landing.path == copied:
        # A file copied by its own name: into the destination when it is (or already was) a directory.
        inside = posixpath.join(destination, posixpath.basename(copied))
        return [replace(landing, path=inside)] if into else [replace(landing, path=destination), replace(landing, path=inside)]
    return [replace(landing, path=posixpath.normpath(posixpath.join(destination, posixpath.relpath(landing.path, copied))))]


def _is_itself(landing: _Landing, extraction: Extraction) -> bool:
    """Whether the artifact holds the changed file at its own host path (a bind mount of the project).

    The runtime COPY then read that very file in the legacy flow, and gets its new text whatever the
    migration does, as a COPY of it from the context would; assemble warns about those.
    """
    if not landing.exact or landing.path is None or extraction.member is not None or not is_under(landing.path, extraction.source.path):
        return False
    host = posixpath.normpath(posixpath.join(extraction.host_path, posixpath.relpath(landing.path, extraction.source.path)))
    return host == landing.file


def _reaches(landing: _Landing, consumed: str) -> bool:
    if landing.path is None:
        return True
    if landing.exact:
        return is_under(landing.path, consumed)
    return is_under(landing.path, consumed) or is_under(consumed, landing.path)


def _refuse(flow: Flow, consumption: Consumption, consumed: str, reaching: list[_Landing], changed: dict[str, str], cause: str) -> None:
    facts = flow.reading.facts
    first = reaching[0]
    files = sorted({facts.relative(landing.file) for landing in reaching if landing.site == first.site})
    by_change: dict[str, list[str]] = {}
    for landing in reaching:
        if landing.site == first.site:
            by_change.setdefault(changed[landing.file], []).append(facts.relative(landing.file))
    changes = " and ".join(f"{how} {', '.join(sorted(set(names)))}" for how, names in by_change.items())
    extraction = consumption.extraction
    reader = f"{consumption.image.dockerfile.path.name}:{consumption.instruction.line}"
    end = "ends" if len(files) == 1 else "end"
    raise flow.refusal(
        first.site,
        f"{first.what} copies {', '.join(files)}, which {end} up in {consumed}, the artifact {where(extraction.site)} extracts and {reader} "
        f"copies into the image; {cause} {changes}, so the image would change: {first.remedy}",
    )
