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
import re
from collections.abc import Callable

from migrate.read.ops import HostCommand, Opaque, Operation
from migrate.trace.flow import Consumption, Flow, where
from migrate.trace.paths import context_relative, is_under, may_overlap

READS_ONLY = frozenset({"[", "[[", "test", "ls", "cat", "stat", "grep", "head", "tail", "wc", "file", "du", "<", "readlink", "realpath", "sha256sum", "md5sum", "cmp", "diff", "shellcheck", "hadolint"})
"""Host commands that only look at the files they name."""
CHANGES_NAMED_ONLY = frozenset(
    {
        "cp", "mv", "rm", "rmdir", "mkdir", "chmod", "chown", "chgrp", "ln", "touch", "install", "truncate", "tee", "sed",
        "tar", "gtar", "bsdtar", "zip", "unzip", "gzip", "gunzip", "bzip2", "xz", "zstd", "strip", "upx", "umask",
        ">", ">>", ">|", "&>", "&>>", "<>",
    }
)  # fmt: skip
"""Host commands that change no file but those they name, so naming no artifact, they leave the artifacts alone."""
_READING_SUBCOMMANDS = {"git": frozenset({"rev-parse", "describe", "log", "show", "rev-list", "ls-files", "cat-file"})}
"""Programs that change files with some subcommands and only read with these."""


def only_reads(op: HostCommand) -> bool:
    """Whether a host command only looks at files: ``cat``, ``[ -f x ]``, ``git rev-parse HEAD``."""
    name = posixpath.basename(op.argv[0].key) if op.argv[0].known else ""
    if name in READS_ONLY:
        return True
    subcommand = next((word.key for word in op.argv[1:] if not word.key.startswith("-")), None)
    return name in _READING_SUBCOMMANDS and subcommand in _READING_SUBCOMMANDS[name] and all(word.known for word in op.argv)


def check_steps_beside_artifacts(flow: Flow) -> None:
    """Refuse a step that may change an artifact on the host in a way the migrated build cannot repeat."""
    if not flow.consumptions:
        return
    operations = flow.reading.driver.operations
    judged = {site for extraction in flow.extractions for site in extraction.host_changes}
    _check_unreadable_steps(flow, operations, judged)
    _check_writes_into_dropped_directories(flow, operations, judged)


def _check_unreadable_steps(flow: Flow, operations: tuple[Operation, ...], judged: set) -> None:

    on_host = [e for e in flow.extractions if e.consumptions or e.derived]
    if not on_host:
        return
    first = min(on_host, key=lambda extraction: extraction.position)
    places = [e.host_path for e in flow.extractions] + [d for c in flow.consumptions if (d := _dropped_directory(flow, c))]
    for position, op in enumerate(operations):
        if position <= first.position:
            continue
        builds = [c for c in flow.consumptions if c.image.position > position]
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
        raise flow.refusal(
            op.site,
            f"{what}; it runs while {flow.reading.facts.relative(first.host_path)} is on the host (from {where(first.site)} "
            f"until the build at {where(build.build.site)} reads it), so what it does to the artifacts cannot be known",
        )


def unknown_effect(op: HostCommand, misses: Callable[[str], bool]) -> str | None:
    """Why what ``op`` touches cannot be known: its directory, or a word only the run knows.

    A word that is unknown only for being a glob does not count when
    ``misses`` says its absolute pattern cannot name anything that matters.
    """
    if not op.cwd.known:
        return f"`{shown(op)}` runs in a directory that cannot be known without running the driver"
    for word in op.argv:
        if word.known or word.key.startswith("-"):
            continue
        if _GLOB_ONLY.fullmatch(word.text) and misses(posixpath.normpath(posixpath.join(op.cwd.key, word.text))):
            continue
        return f"`{shown(op)}` names {word.text}, which cannot be known without running the driver"
    return None


def runs_unread_program(op: HostCommand) -> bool:
    """Whether ``op`` runs a program whose effect on files its arguments do not tell (see :data:`CHANGES_NAMED_ONLY`)."""
    return (posixpath.basename(op.argv[0].key) if op.argv[0].known else "") not in CHANGES_NAMED_ONLY


_GLOB_ONLY = re.compile(r"[^$`'\"\\{}]*[*?[][^$`'\"\\{}]*")
"""A word whose only unknown is a glob: no expansion, quote, escape or brace in it."""


def _source_path(consumption: Consumption) -> str:
    return posixpath.normpath(posixpath.join(consumption.image.context, context_relative(consumption.source)))


def _check_writes_into_dropped_directories(flow: Flow, operations: tuple[Operation, ...], judged: set) -> None:

    facts = flow.reading.facts
    dropped = [(c, d) for c in flow.consumptions if (d := _dropped_directory(flow, c)) is not None]
    if not dropped:
        return
    artifacts = [e.host_path for e in flow.extractions]
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
                raise flow.refusal(
                    op.site,
                    f"`{shown(op)}` puts {facts.relative(path)} into {facts.relative(directory)}, which "
                    f"{consumption.instruction.keyword} {consumption.source} at {build.dockerfile.path.name}:{consumption.instruction.line} "
                    f"copies; git tracks nothing there, so the migrated build copies only the artifacts in it from their stage "
                    f"and {facts.relative(path)} would be left out",
                )


def _dropped_directory(flow: Flow, consumption: Consumption) -> str | None:
    """The COPY source directory that holds an artifact and nothing git tracks: the migrated build no longer copies it."""
    if consumption.relation != "directory":
        return None
    directory = _source_path(consumption)
    return directory if flow.reading.facts.existed_before_run(directory) is None else None


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


def shown(op: HostCommand) -> str:
    return " ".join(word.text for word in op.argv)
