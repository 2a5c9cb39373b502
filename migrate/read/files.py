"""The one way dmigrate opens a project's files: regular files only, and small ones.

A repository is input like any other: a Dockerfile, driver or ignore file may
be a symlink to ``/dev/zero`` (read whole, it never ends), a FIFO (opening it
waits for a writer forever), a device whose opening does something, or
simply huge.  Every reader goes through :func:`read_project_bytes`, which
looks at what the path is before opening it, opens without blocking, checks
the open file again, and reads at most :data:`MAX_FILE_BYTES`.  Whatever goes
wrong is an :class:`UnreadableFile` naming the file: that project's error.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from migrate.errors import InputError, Location

MAX_FILE_BYTES = 1 << 20
"""The largest driver, Dockerfile or ignore file dmigrate reads (1 MiB); a larger one is the project's error."""


class UnreadableFile(InputError):
    """A project file that cannot be read: missing, not a regular file, too large, unreadable."""

    def __init__(self, path: Path | str, reason: str, *, missing: bool = False, line: int | None = None) -> None:
        super().__init__(Location(Path(path), line), reason)
        self.missing = missing


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size(count: int) -> str:
    return f"{count / (1 << 20):.1f} MiB" if count >= 1 << 20 else f"{count} bytes"


def read_project_bytes(path: Path | str, *, limit: int | None = MAX_FILE_BYTES, follow_symlinks: bool = True, what: str = "file") -> bytes:
    """The bytes of the regular file ``path`` (a symlink to one, unless ``follow_symlinks`` is false).

    ``what`` names the file in messages ("Dockerfile", "driver").  ``limit``
    None reads any size (git's index, which git itself wrote).
    """
    descriptor, size = _open_regular(path, follow_symlinks, what)
    try:
        if limit is not None and size > limit:
            raise UnreadableFile(path, f"the {what} is {_size(size)}; dmigrate reads files of at most {_size(limit)}")
        data = _read_up_to(descriptor, None if limit is None else limit + 1, path, what)
    finally:
        os.close(descriptor)
    if limit is not None and len(data) > limit:
        raise UnreadableFile(path, f"the {what} is larger than {_size(limit)}; dmigrate reads files of at most {_size(limit)}")
    return data


def read_project_head(path: Path | str, size: int, *, what: str = "file") -> bytes:
    """The first ``size`` bytes of the regular file ``path``; raises :class:`UnreadableFile` as :func:`read_project_bytes` does."""
    descriptor, _ = _open_regular(path, True, what)
    try:
        return _read_up_to(descriptor, size, path, what)
    finally:
        os.close(descriptor)


def head_or_none(path: Path | str, size: int) -> bytes | None:
    """The first ``size`` bytes of a regular file; None when it is anything else or cannot be read."""
    try:
        return read_project_head(path, size)
    except UnreadableFile:
        return None


def _open_regular(path: Path | str, follow_symlinks: bool, what: str) -> tuple[int, int]:
    """A descriptor of ``path`` and its size, once it is sure to be a regular file."""
    try:
        before = os.stat(path) if follow_symlinks else os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        if os.path.islink(path):
            raise UnreadableFile(path, f"the {what} is a symlink to {os.readlink(path)}, which does not exist", missing=True) from None
        raise UnreadableFile(path, f"the {what} does not exist", missing=True) from None
    except OSError as error:
        raise UnreadableFile(path, _open_problem(what, error)) from None
    except ValueError:
        raise UnreadableFile(path, f"the {what}'s path holds a NUL byte") from None
    if stat.S_ISLNK(before.st_mode):
        raise UnreadableFile(path, f"the {what} is a symlink, which is not followed here")
    if not stat.S_ISREG(before.st_mode):
        # Never opened: opening a FIFO waits for a writer, and opening some devices acts.
        raise UnreadableFile(path, f"the {what} is {_kind(before.st_mode)}, not a regular file; dmigrate reads only regular files")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
    try:
        descriptor = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        raise UnreadableFile(path, f"the {what} does not exist", missing=True) from None
    except OSError as error:
        raise UnreadableFile(path, _open_problem(what, error)) from None
    try:
        opened = os.fstat(descriptor)
    except OSError as error:
        os.close(descriptor)
        raise UnreadableFile(path, _open_problem(what, error)) from None
    if not stat.S_ISREG(opened.st_mode):  # replaced between the look and the open
        os.close(descriptor)
        raise UnreadableFile(path, f"the {what} is {_kind(opened.st_mode)}, not a regular file; dmigrate reads only regular files")
    return descriptor, opened.st_size


def _read_up_to(descriptor: int, cap: int | None, path: Path | str, what: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    try:
        while cap is None or total < cap:
            chunk = os.read(descriptor, 1 << 16 if cap is None else min(1 << 16, cap - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as error:
        raise UnreadableFile(path, _open_problem(what, error)) from None
    return b"".join(chunks)


def _open_problem(what: str, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return f"the {what} is a symlink loop (or a symlink where none is followed)"
    if error.errno == errno.EISDIR:
        return f"the {what} is a directory, not a file"
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"cannot read the {what}: permission denied"
    if error.errno == errno.ENOTDIR:
        return f"the {what} does not exist (a part of its path is not a directory)"
    if error.errno == errno.ENAMETOOLONG:
        return f"the {what}'s path is too long"
    return f"cannot read the {what}: {error.strerror or error}"


def read_project_text(path: Path | str, *, limit: int | None = MAX_FILE_BYTES, what: str = "file") -> str:
    """The text of a project file as it is on disk (UTF-8, its own line endings); bad UTF-8 is an error at its line."""
    raw = read_project_bytes(path, limit=limit, what=what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise UnreadableFile(path, f"the {what} is not valid UTF-8", line=line) from None
