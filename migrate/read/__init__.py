"""The read step: drivers and Dockerfiles in, operations and stages out."""

from __future__ import annotations

from pathlib import Path


def read_source_text(path: Path) -> str:
    """A source file's text exactly as it is on disk: UTF-8, with its own line endings.

    Reading with newline translation would turn a CRLF file's unchanged lines
    into LF on rewrite, and its diff would no longer apply.  A file outside
    the project root is refused, unread (:mod:`migrate.read.boundary`).
    """
    from migrate.read.boundary import check_readable

    check_readable(path)
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def file_mentions_docker(path: Path | str) -> bool:
    """Whether the file's first MiB says ``docker``; one that cannot be read (or lies outside the project root) does not."""
    from migrate.read.boundary import may_read

    if not may_read(path):
        return False
    try:
        with open(path, "rb") as handle:
            return b"docker" in handle.read(1 << 20)
    except OSError:
        return False
