"""The read step: drivers and Dockerfiles in, operations and stages out."""

from __future__ import annotations

from pathlib import Path


def read_source_text(path: Path, what: str = "file") -> str:
    """A source file's text exactly as it is on disk: UTF-8, with its own line endings.

    Reading with newline translation would turn a CRLF file's unchanged lines
    into LF on rewrite, and its diff would no longer apply.  A file outside
    the project root is refused, unread (:mod:`migrate.read.boundary`).  Only
    a regular file of at most :data:`migrate.read.files.MAX_FILE_BYTES` is
    read; anything else raises :class:`migrate.read.files.UnreadableFile`.
    """
    from migrate.read.boundary import check_readable
    from migrate.read.files import read_project_text

    check_readable(path)
    return read_project_text(path, what=what)


def file_mentions_docker(path: Path | str) -> bool:
    """Whether the file's first MiB says ``docker``; one that cannot be read, is no regular file or lies outside the project root does not."""
    from migrate.read.boundary import may_read
    from migrate.read.files import head_or_none

    if not may_read(path):
        return False
    head = head_or_none(path, 1 << 20)
    return head is not None and b"docker" in head
