"""Which COPY or ADD of a build reads which artifact on the host: the artifact itself, a path inside it, or a directory that holds it.

Docker's rules for what a COPY source takes (the context, ``.dockerignore``,
ADD unpacking archives) decide whether a ``COPY --from`` of a stage can take
the same files; where they cannot be shown to, the source is refused.
"""

from __future__ import annotations

import posixpath

from migrate.read.dockerignore import DockerIgnore
from migrate.read.ops import Site, where
from migrate.trace.graph import BuiltImage, Consumption, Extraction
from migrate.trace.paths import Relation, context_relative, is_pattern, is_under, may_overlap, relate
from migrate.trace.walk import Walk


def find_consumptions(walk: Walk, image: BuiltImage) -> None:
    """Every COPY or ADD of the build's context that reads an artifact on the host, as a :class:`Consumption` of it.

    A source that may read a host path written in a way dmigrate cannot follow is refused.
    """
    live = walk.live()
    if not live and not walk.graph.unknown_writes:
        return
    ignore = _dockerignore(walk, image)
    for stage in image.dockerfile.stages:
        for instruction, sources in walk.graph.stage_state(image, stage).context_reads:
            for source in sources:
                _relate_source(walk, image, stage, instruction, source, live, ignore)


def _relate_source(walk: Walk, image, stage, instruction, source, live, ignore) -> None:
    site = Site(image.dockerfile.path, instruction.line, None)
    relative = context_relative(source)
    absolute = posixpath.normpath(posixpath.join(image.context, relative))
    pattern = is_pattern(relative)
    for path, write_site, reason in walk.graph.unknown_writes:
        if not is_under(path, image.context):
            continue
        path_relative = posixpath.relpath(path, image.context)
        if may_overlap(relative, path_relative) if pattern else relate(absolute, path) is not None:
            if ignore is None or not ignore.excludes(path_relative):
                raise walk.refuse(write_site, f"{reason}, and {image.dockerfile.path.name}:{instruction.line} reads it")
    if not pattern:
        _check_one_origin(walk, site, source, absolute, live)
    for extraction in live:
        host = extraction.host_path
        if not is_under(host, image.context):
            continue
        if pattern:
            if may_overlap(relative, posixpath.relpath(host, image.context)):
                raise walk.refuse(
                    site,
                    f"the source {source!r} has a wildcard or a variable and may match the extracted {walk.facts.relative(host)}; "
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
            if not (extraction.kind == "file" and relation.kind == "itself") and _ignore_lets_back_inside(
                ignore, posixpath.relpath(absolute, image.context)
            ):
                # Docker still walks an excluded directory when a `!` rule may take back something in it.
                raise walk.refuse(
                    site,
                    f".dockerignore leaves out part of the extracted {walk.facts.relative(host)}, which a COPY --from cannot reproduce",
                )
            raise walk.refuse(site, f"{source!r} is excluded by .dockerignore, so the legacy build could not have copied it")
        kind = relation.kind
        if extraction.member is not None:
            if instruction.keyword != "ADD" or kind != "itself":
                raise walk.refuse(
                    site,
                    f"{instruction.keyword} reads the archive {walk.facts.relative(host)}, which the driver packs from artifacts on the host; "
                    "only an ADD that unpacks it can read the artifacts from a stage instead",
                )
            kind = "unpacked"
        elif (
            ignore is not None
            and not (extraction.kind == "file" and relation.kind != "inside")
            and _ignore_reaches_inside(ignore, posixpath.relpath(absolute if relation.kind == "inside" else host, image.context))
        ):
            shown = "build context" if host == image.context else walk.facts.relative(host)
            raise walk.refuse(
                site,
                f".dockerignore leaves out part of the extracted {shown}, which a COPY --from cannot reproduce",
            )
        if kind in ("itself", "inside") and instruction.keyword == "ADD":
            _check_add_source(walk, site, source, absolute, extraction, relation)
        consumption = Consumption(image, stage, instruction, source, kind, relation.below, extraction)
        extraction.consumptions.append(consumption)
        walk.graph.consumptions.append(consumption)


def _check_one_origin(walk: Walk, site: Site, source: str, absolute: str, live: list[Extraction]) -> None:
    """Refuse a source that lies in a directory a run wrote into through a bind mount and that another container's files land in too.

    What the run left there cannot be known, so neither can which of the two
    the legacy build read, nor whether a stage of the run would hold it.
    """
    covering = [e for e in live if e.member is None and is_under(absolute, e.host_path)]
    mounted = next((e for e in covering if e.via == "bind mount"), None)
    if mounted is None:
        return
    other = next((e for e in covering if e.container is not mounted.container), None)
    if other is None:
        return
    raise walk.refuse(
        site,
        f"{source!r} lies in {walk.facts.relative(mounted.host_path)}, which the run at {where(mounted.site)} writes into through its "
        f"bind mount, and {where(other.site)} extracts {walk.facts.relative(other.host_path)} too; dmigrate cannot tell which of "
        "them the build reads",
    )


def _check_add_source(walk: Walk, site: Site, source: str, absolute: str, extraction: Extraction, relation: Relation) -> None:
    """Refuse an ADD that may read an artifact FILE: ADD unpacks a local file whose content is a tar archive.

    Docker looks at the content, not the name, and a COPY --from never unpacks, so only a source known
    to be a directory (ADD copies a directory as COPY does, unpacking nothing in it) can become one.
    """
    kind = _add_source_kind(walk, extraction, relation)
    if kind == "dir":
        return
    if _looks_like_archive(absolute):
        raise walk.refuse(site, f"ADD unpacks the archive {source!r}; dmigrate does not yet turn that into a COPY --from")
    path = posixpath.join(extraction.source.path, relation.below) if relation.kind == "inside" else extraction.source.path
    named = f"{source} ({path} in the build {'container' if extraction.from_run else 'image'})"
    if kind == "file":
        raise walk.refuse(
            site,
            f"ADD unpacks a local file whose content is a tar archive, and dmigrate cannot see whether {named} is one; "
            "if it is not, change ADD to COPY here (what ADD does with any other file) and run dmigrate again",
        )
    raise walk.refuse(
        site,
        f"ADD unpacks a local file whose content is a tar archive, and dmigrate cannot see whether {named} "
        "is a directory (which ADD copies as COPY does) or a file, nor what such a file holds; "
        "if it is not a tar archive, change ADD to COPY here and run dmigrate again",
    )


def _add_source_kind(walk: Walk, extraction: Extraction, relation: Relation) -> str | None:
    """``file`` or ``dir`` when it is known what an ADD source at or inside an extracted host path is."""
    if relation.kind == "itself":
        return extraction.kind
    image = extraction.container.image
    if extraction.kind == "file" or extraction.from_run or image is None:
        # A run's command may have made anything below its paths; the Dockerfile shows only the image.
        return None
    return walk.graph.kind_in_image(image, posixpath.join(extraction.source.path, relation.below))


def _dockerignore(walk: Walk, image: BuiltImage) -> DockerIgnore | None:
    own = walk.facts.texts.get(image.dockerfile_path + ".dockerignore")
    if own is not None:
        return DockerIgnore(own)
    text = walk.facts.texts.get(posixpath.join(image.context, ".dockerignore"))
    return DockerIgnore(text) if text is not None else None


def _ignore_reaches_inside(ignore: DockerIgnore, copied: str) -> bool:
    """Whether some rule may leave out (or let back in) part of what a COPY of ``copied`` (relative to the context) takes."""
    depth = 0 if copied in (".", "") else copied.count("/") + 1
    for raw in ignore.text.splitlines():
        line = raw.strip().lstrip("!").strip()
        if not line or line.startswith("#"):
            continue
        pattern = posixpath.normpath(line).lstrip("/")
        # A pattern longer than ``copied`` whose first parts may match it names something inside it.
        if "**" in pattern or depth == 0 or pattern.count("/") + 1 > depth and may_overlap(pattern, copied):
            return True
    return False


def _ignore_lets_back_inside(ignore: DockerIgnore, copied: str) -> bool:
    """Whether a ``!`` rule may take back a path below ``copied`` (relative to the context)."""
    depth = copied.count("/") + 1
    for raw in ignore.text.splitlines():
        line = raw.strip()
        if not line.startswith("!"):
            continue
        pattern = posixpath.normpath(line[1:].strip()).lstrip("/")
        if pattern in ("", "."):
            continue
        if "**" in pattern or pattern.count("/") + 1 > depth and may_overlap(pattern, copied):
            return True
    return False


def _looks_like_archive(path: str) -> bool:
    return path.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst"))
