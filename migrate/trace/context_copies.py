"""Files the migration changes must not reach the final image.

The migration rewrites the runtime Dockerfile, the driver and sometimes a
``.dockerignore``, and deletes the build Dockerfile; the merged build's
stages copy the context as it is after that.  Such a file reaches the final
image in two ways, and both are refused at the COPY (or bind mount) that
brings it from the host, since the image would hold its new text, lack it,
or gain it:

- a COPY or ADD of the context in the final image's own stages (``COPY .
  /app`` in the runtime Dockerfile, or in a stage it is built on or copies
  from);
- a build stage's ``COPY . .`` (or a bind mount of the project, which becomes
  a COPY) that puts it into a path the runtime image takes as an artifact.

A build step that only reads the copied tree (a listing, a checksum, an
archive of the sources) changes its output just the same, and cannot be seen
from the Dockerfile.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from migrate.read.dockerfile import Stage
from migrate.read.dockerignore import DockerIgnore
from migrate.read.ops import Site
from migrate.read.ops import where
from migrate.trace.contexts import ignore_of, selects
from migrate.trace.graph import ArtifactGraph, BuiltImage, Consumption, ContainerState, Extraction
from migrate.trace.paths import context_relative, is_directory_target, is_pattern, is_under, joined


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


# A file seen by a COPY: (image, host path) -> whether the COPY takes it, .dockerignore aside.
Visible = Callable[[BuiltImage, str], bool]


@dataclass(frozen=True)
class _Pass:
    """One side of the comparison: the files a build saw, and which of them its ``.dockerignore`` let through."""

    changed: dict[str, str]
    visible: Visible
    mounted: Callable[[str], bool]
    """Whether the copy of a bind mount's files (a stage's COPY of the project) takes the file."""


def check_changed_files(
    graph: ArtifactGraph, final: BuiltImage, driver_files: Iterable[str], deleted: Iterable[str], dockerignore: Iterable[tuple]
) -> dict[str, str]:
    """Refuse when a file the migration changes would reach the final image; the changed files (path: what happens to it).

    ``driver_files`` are the driver files it rewrites, ``deleted`` the files
    it deletes (none when the legacy Dockerfiles are kept), ``dockerignore``
    the plan's ``(path, text before, added lines)``.  The legacy builds saw
    the files as they were, under their own ``.dockerignore``; the merged
    build sees them as they will be, under the merged one: a file either
    side copies makes another image.
    """
    changed = {posixpath.normpath(str(path)): "rewrites" for path in driver_files}
    changed[final.dockerfile_path] = "rewrites"
    changed.update({posixpath.normpath(str(path)): "deletes" for path in deleted})
    merged_text = ignore_of(final, graph.reading.facts)[0]
    for path, before, lines in dockerignore:
        changed[posixpath.normpath(str(path))] = "creates" if before is None else "rewrites"
        merged_text = DockerIgnore(before or "").with_lines(list(lines))
    merged = DockerIgnore(merged_text) if merged_text is not None else None

    def merged_visible(_image: BuiltImage, path: str) -> bool:
        return merged is None or not merged.excludes(posixpath.relpath(path, final.context))

    passes = (
        _Pass({p: how for p, how in changed.items() if how != "creates"}, _own_ignores(graph), lambda _path: True),
        _Pass({p: how for p, how in changed.items() if how != "deletes"}, merged_visible, lambda path: merged_visible(final, path)),
    )
    memos: tuple[dict, dict] = ({}, {})
    for consumption in graph.consumptions:
        reaching = [landing for run, memo in zip(passes, memos) for landing in _artifact_landings(graph, consumption, run, memo)]
        if reaching:
            _refuse(graph, consumption, reaching, changed, "the migration")
    held = [landing for run, memo in zip(passes, memos) for landing in _landings(graph, final, final.stage, run.changed, memo, run.visible)]
    if held:
        _refuse_in_image(graph, held, changed)
    return changed


def check_context_copies(graph: ArtifactGraph, changed: dict[str, str], cause: str) -> None:
    """Refuse when a file ``cause`` changes (host path: what happens to it) reaches an artifact the runtime image reads.

    The stages see the files changed, under the legacy builds' own ``.dockerignore``.
    """
    run = _Pass(changed, _own_ignores(graph), lambda _path: True)
    memo: dict = {}
    for consumption in graph.consumptions:
        reaching = _artifact_landings(graph, consumption, run, memo)
        if reaching:
            _refuse(graph, consumption, reaching, changed, cause)


def _own_ignores(graph: ArtifactGraph) -> Visible:
    """Visibility under each legacy build's own ``.dockerignore``."""
    facts = graph.reading.facts

    def visible(image: BuiltImage, path: str) -> bool:
        text = ignore_of(image, facts)[0]
        return text is None or not DockerIgnore(text).excludes(posixpath.relpath(path, image.context))

    return visible


def _artifact_landings(graph: ArtifactGraph, consumption: Consumption, run: _Pass, memo) -> list[_Landing]:
    extraction = consumption.extraction
    consumed = _consumed(consumption)
    state = extraction.container
    landings = _mount_landings(state, {p: how for p, how in run.changed.items() if run.mounted(p)})
    if state.image is not None and extraction.via != "bind mount":
        landings += _landings(graph, state.image, state.image.stage, run.changed, memo, run.visible)
    return [landing for landing in landings if _reaches(landing, consumed) and not _is_itself(landing, extraction)]


def _consumed(consumption: Consumption) -> str:
    """The container path the runtime COPY reads."""
    consumed = consumption.extraction.source.path
    if consumption.relation == "inside":
        consumed = posixpath.join(consumed, consumption.below)
    return consumed


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


def _landings(graph: ArtifactGraph, image: BuiltImage, stage: Stage, changed: dict[str, str], memo, visible: Visible) -> list[_Landing]:
    """Where the changed files land in a stage: by its own context COPYs, its base's, and COPY --from of other stages."""
    key = (id(image), stage.index)
    if key in memo:
        return memo[key]
    memo[key] = []
    found: list[_Landing] = []
    base = graph.base_of(image, stage)
    if base is not None:
        found += _landings(graph, base[0], base[1], changed, memo, visible)
    state = graph.stage_state(image, stage)
    sources = {id(instruction): named for instruction, named in state.context_reads}
    for instruction in stage.instructions:
        if instruction.keyword not in ("COPY", "ADD") or len(instruction.words()) < 2:
            continue
        written = instruction.words()[-1]
        destination = None if "$" in written else joined(state.workdir_at(instruction.line), written)
        into = is_directory_target(written, len(instruction.words()) - 1)
        site = Site(image.dockerfile.path, instruction.line, None)
        shown = f"`{instruction.text.splitlines()[0].strip()}`"
        origin = instruction.flag("from")
        if origin is None:
            for source in sources[id(instruction)]:
                for path in changed:
                    if not selects(image.context, source, path):
                        continue
                    if not visible(image, path):
                        continue
                    copied = posixpath.normpath(posixpath.join(image.context, context_relative(source)))
                    found += _placed(_Landing(path, path, not is_pattern(source), site, shown), copied, destination, into)
            continue
        other = graph.copied_from(image, instruction, origin)
        if other is None:
            continue
        for landing in _landings(graph, other[0], other[1], changed, memo, visible):
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

    The runtime COPY then read that very file from the context in the legacy flow, so the check of
    the final image's own copies refuses it there, at that COPY.
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


def _refuse(graph: ArtifactGraph, consumption: Consumption, reaching: list[_Landing], changed: dict[str, str], cause: str) -> None:
    facts = graph.reading.facts
    first = reaching[0]
    files, changes, consequence = _described([landing for landing in reaching if landing.site == first.site], changed, facts)
    extraction = consumption.extraction
    reader = f"{consumption.image.dockerfile.path.name}:{consumption.instruction.line}"
    end = "ends" if len(files) == 1 else "end"
    raise graph.refusal(
        first.site,
        f"{first.what} copies {', '.join(files)}, which {end} up in {_consumed(consumption)}, the artifact {where(extraction.site)} "
        f"extracts and {reader} copies into the image; {cause} {changes}, so the image would {consequence}: {first.remedy}",
    )


def _refuse_in_image(graph: ArtifactGraph, held: list[_Landing], changed: dict[str, str]) -> None:
    facts = graph.reading.facts
    first = held[0]
    at_site = [landing for landing in held if landing.site == first.site]
    files, changes, consequence = _described(at_site, changed, facts)
    deleted = sorted({facts.relative(landing.file) for landing in at_site if changed[landing.file] == "deletes"})
    keep = f", or pass --keep-legacy to keep {', '.join(deleted)}" if deleted else ""
    them = "it" if len(files) == 1 else "them"
    raise graph.refusal(
        first.site,
        f"{first.what} copies {', '.join(files)} into the image, and the migration {changes}, so the image would {consequence}: "
        f"add {them} to .dockerignore first (the legacy image then leaves {them} out too), or copy only what the image needs{keep}",
    )


# What each change the migration makes does to a copy of the file in the image, for named files and for "them".
_CONSEQUENCES = {"rewrites": ("hold the new text of {}", "hold {their} new text"), "deletes": ("lose {}", "lose {them}"), "creates": ("gain {}", "gain {them}")}
_ORDER = ("deletes", "rewrites", "creates")


def _described(landings: list[_Landing], changed: dict[str, str], facts) -> tuple[list[str], str, str]:
    """The files; what happens to them (``deletes c and rewrites a, b``); what the image would do (``lose c and hold the new text of a, b``).

    When one change is made to all of them, the last two name them no more: ``rewrites them``, ``hold their new text``.
    """
    files = sorted({facts.relative(landing.file) for landing in landings})
    by_change: dict[str, set[str]] = {}
    for landing in landings:
        by_change.setdefault(changed[landing.file], set()).add(facts.relative(landing.file))
    order = sorted(by_change.items(), key=lambda item: _ORDER.index(item[0]) if item[0] in _ORDER else len(_ORDER))
    if len(order) == 1 and order[0][0] in _CONSEQUENCES:
        how = order[0][0]
        them, their = ("it", "its") if len(files) == 1 else ("them", "their")
        return files, f"{how} {them}", _CONSEQUENCES[how][1].format(them=them, their=their)
    changes = " and ".join(f"{how} {', '.join(sorted(names))}" for how, names in order)
    if not set(by_change) <= set(_CONSEQUENCES):
        return files, changes, "change"
    return files, changes, " and ".join(_CONSEQUENCES[how][0].format(", ".join(sorted(names))) for how, names in order)
