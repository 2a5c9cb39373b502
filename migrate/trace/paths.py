"""Path rules of ``docker cp`` and ``COPY``, as pure functions.

See docs/docker-semantics.md §1–2.  Host paths here are absolute and
normalised; container paths are absolute.
"""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass

# Directories every image of the kinds dmigrate migrates to has.  A COPY target
# naming one of them without a trailing slash still copies *into* it.
STANDARD_DIRECTORIES = frozenset(
    {
        "/", "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/usr/lib",
        "/usr/local/lib", "/usr/share", "/etc", "/opt", "/srv", "/tmp", "/var", "/root", "/home", "/usr",
        "/usr/local", "/lib",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ContainerSource:
    path: str
    """Absolute and normalised, without a trailing ``/.``."""
    contents_only: bool
    """The source ended in ``/.``: the contents of the directory, not the directory."""

    @property
    def basename(self) -> str:
        return posixpath.basename(self.path)


def container_source(raw: str) -> ContainerSource:
    """Normalise a ``docker cp`` source: relative paths start at ``/``, not the WORKDIR."""
    contents = raw == "." or raw.endswith("/.")
    return ContainerSource(posixpath.normpath("/" + raw.lstrip("/")), contents)


def landing_path(
    source: ContainerSource, destination: str, destination_state: str | None, trailing_slash: bool, source_kind: str | None
) -> str | None:
    """Where ``docker cp`` puts ``source`` given an absolute ``destination``; None when only the source's kind would tell.

    ``destination_state`` is ``dir``, ``file`` or None (absent) before the copy; ``source_kind`` is ``file``,
    ``dir`` or None (unknown).  An absent destination written with a trailing ``/`` is created for a
    directory, which lands there, while a file fails to copy (moby's ``PrepareArchiveCopy``): a flow that
    works with a file had the directory already.
    """
    if source.contents_only:
        return destination
    if destination_state == "dir":
        return posixpath.join(destination, source.basename)
    if trailing_slash and destination_state is None:
        return {"dir": destination, "file": posixpath.join(destination, source.basename)}.get(source_kind or "")
    return destination


@functools.lru_cache(maxsize=1024)
def joined(workdir: str | None, path: str) -> str | None:
    """``path`` as an absolute path seen from ``workdir``; None when it is relative and the working directory is unknown."""
    if path.startswith("/"):
        return posixpath.normpath(path)
    return posixpath.normpath(posixpath.join(workdir, path)) if workdir is not None else None


def is_under(path: str, directory: str) -> bool:
    """Whether ``path`` is ``directory`` or inside it (both absolute and normalised, or both relative)."""
    return path == directory or directory == "/" or path.startswith(directory.rstrip("/") + "/")


@dataclass(frozen=True)
class Relation:
    kind: str
    """``itself``, ``inside`` (the COPY source is under the host path) or ``directory`` (the COPY source holds it)."""
    below: str
    """The path from the host path to the COPY source (``inside``), or from the COPY source to the host path (``directory``)."""


def relate(copy_source: str, host_path: str) -> Relation | None:
    """How a COPY source (absolute host path) relates to an extracted host path."""
    if copy_source == host_path:
        return Relation("itself", "")
    if is_under(copy_source, host_path):
        return Relation("inside", posixpath.relpath(copy_source, host_path))
    if is_under(host_path, copy_source):
        return Relation("directory", posixpath.relpath(host_path, copy_source))
    return None


def is_directory_target(destination: str, source_count: int) -> bool:
    """Whether a COPY destination explicitly names a directory."""
    return destination.endswith("/") or destination in (".", "..") or destination.endswith("/.") or source_count > 1


@functools.lru_cache(maxsize=1024)
def context_relative(source: str) -> str:
    """A COPY source as the builder reads it, relative to the context: a leading ``/`` or ``..`` cannot leave it."""
    return posixpath.normpath("/" + source).lstrip("/") or "."


def is_pattern(source: str) -> bool:
    """Whether what a COPY source names cannot be told from its text: it has a wildcard or a variable."""
    return any(char in source for char in "*?[$")


def may_overlap(pattern: str, path: str) -> bool:
    """Whether a wildcard or variable COPY source may name ``path``, a directory that holds it, or something inside it.

    Both are relative to the context.
    """
    import fnmatch

    for part, name in zip(pattern.split("/"), path.split("/")):
        if "$" in part:
            return True  # a variable may hold anything, slashes included
        if not fnmatch.fnmatchcase(name, part):
            return False
    return True
