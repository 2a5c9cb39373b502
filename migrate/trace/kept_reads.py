"""What stays of a driver must not read a file the migration deletes.

``sha256sum Dockerfile.build > stamp`` after the builds, a ``lint`` rule that
runs ``hadolint Dockerfile.build``, a Python helper that opens it: once the
file is gone, that code fails or does something else.  The steps the driver
keeps are judged by the paths they name; the text the reader kept beside the
steps (recipes of rules the goal does not run, Python strings) by the words in
it.  The same check holds for every kind of driver.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from pathlib import Path

from migrate.errors import Location, Refusal
from migrate.plan import DriverEdit, Plan, RemoveStep
from migrate.read.ops import Build, Container, DriverReading, HostCommand, Mention, Operation, Site, build_paths

_TOKEN = re.compile(r"[^\s'\"`=;,:()<>|&]+")
"""A word of driver text that may be a path: what a shell, make or Python separates paths with stops it."""


def check_kept_reads(plan: Plan) -> None:
    """Refuse where a step or text that stays names a file in ``plan.deleted``."""
    if not plan.deleted:
        return
    deleted = {posixpath.normpath(str(path)) for path in plan.deleted}
    removed = removed_steps(plan.driver, plan.driver_edits)
    for operation in plan.driver.operations:
        if id(operation) in removed:
            continue
        # A kept build that is retargeted reads the merged Dockerfile, but its own is never deleted.
        for path in step_paths(operation):
            if path in deleted:
                raise _still_reads(operation.site, path)
    removed_sites = {operation.site for operation in plan.driver.operations if id(operation) in removed}
    for reading in (plan.driver, *plan.driver.parts):
        if not reading.mentions:
            continue
        base = str(reading.path.resolve().parent)
        for mention in reading.mentions:
            if mention_goes(mention, removed_sites):
                continue
            path = named_path(mention.text, base, deleted, whole=reading.kind == "python")
            if path is not None:
                raise _still_reads(mention.site, path)


def _still_reads(site: Site, path: str) -> Refusal:
    name = Path(path).name
    return Refusal(
        Location(site.file, site.line),
        f"this line still reads {name}, which the migration deletes; change it, or pass --keep-legacy to keep {name}",
    )


def removed_steps(driver: DriverReading, edits: tuple[DriverEdit, ...] | list[DriverEdit]) -> set[int]:
    """The ``id`` of every step a remove edit takes away; several steps of one site (a ``trap`` handler's) by their place."""
    sharing: dict[Site, list[Operation]] = defaultdict(list)
    for operation in driver.operations:
        sharing[operation.site].append(operation)
    removed: set[int] = set()
    for edit in edits:
        if not isinstance(edit, RemoveStep):
            continue
        steps = sharing.get(edit.site, [])
        chosen = [steps[edit.position]] if edit.position is not None and edit.position < len(steps) else steps
        removed.update(id(step) for step in chosen)
    return removed


def mention_goes(mention: Mention, removed_sites: set[Site]) -> bool:
    """Whether the driver text leaves with the steps that go."""
    return any(sites and sites <= removed_sites for sites in mention.goes_with)


def named_path(text: str, base: str, paths: set[str], *, whole: bool = False) -> str | None:
    """The first of ``paths`` (absolute, normalised) that ``text`` names from the directory ``base``.

    Shell or make text names it by one of its words; a Python string (``whole``) only by all of it, which
    may be the end of a path joined to a directory the reader cannot see (``f"{HERE}/Dockerfile.build"``),
    while a message that mentions the file names nothing.
    """
    words = [text] if whole else [match.group(0) for match in _TOKEN.finditer(text)]
    for word in words:
        joined = posixpath.normpath(posixpath.join(base, word)) if word else ""
        if joined in paths:
            return joined
        if whole:
            for path in paths:
                if word.endswith("/" + posixpath.relpath(path, base)):
                    return path
    return None


def step_paths(operation: Operation) -> list[str]:
    """The host paths a step names: a host command's arguments (and ``--flag=PATH`` values), a build's Dockerfile, a bind mount's source."""
    if isinstance(operation, HostCommand):
        if not operation.cwd.known:
            return []
        out = []
        for word in operation.argv[1:]:
            if not word.known:
                continue
            value = word.key.split("=", 1)[1] if word.key.startswith("-") and "=" in word.key else word.key
            if value and not value.startswith("-"):
                out.append(posixpath.normpath(posixpath.join(operation.cwd.key, value)))
        return out
    if isinstance(operation, Build):
        _, path = build_paths(operation)
        return [path] if path is not None else []
    if isinstance(operation, Container) and operation.cwd.known:
        return [
            posixpath.normpath(posixpath.join(operation.cwd.key, volume.host.key))
            for volume in operation.volumes
            if volume.host.known and volume.host.key.startswith(("/", "."))
        ]
    return []
