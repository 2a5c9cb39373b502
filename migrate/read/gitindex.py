"""Which files git tracks, read from the index file instead of spawning ``git``.

Two ``git`` processes per project (``rev-parse`` and ``ls-files``) cost more
than the rest of a dry run, so the work tree is found by looking for ``.git``
upwards and the index is parsed here (versions 2, 3 and 4).  Whenever the
repository is anything but plain — ``GIT_*`` variables that move it, a split
or sparse index, SHA-256 objects, ``core.worktree``, another owner that git
would not trust — :func:`tracked_files` answers None and the caller asks git.
"""

from __future__ import annotations

import os
import struct

from migrate.read.files import UnreadableFile, read_project_bytes

_SIGNATURE = b"DIRC"
_SHA1_SIZE = 20
_ENTRY_FIXED = 40 + _SHA1_SIZE + 2
"""ctime, mtime, dev, ino, mode, uid, gid, size (40 bytes), the object name, the flags."""
_EXTENDED = 0x4000
_NAME_MASK = 0x0FFF
_DIRECTORY_MODE = 0o040000
_UNSUPPORTED_EXTENSIONS = (b"link", b"sdir")
"""A split index keeps entries elsewhere; a sparse index has directory entries."""
_ENVIRONMENT = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CEILING_DIRECTORIES", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY")

_cache: dict[str, tuple[tuple[int, int], frozenset[str]]] = {}


class Unsupported(Exception):
    """The repository needs git itself to be read correctly."""


def find_work_tree(start: str) -> tuple[str, str] | None:
    """The work tree holding ``start`` and its git directory, or None outside git.

    Raises :class:`Unsupported` where git's own discovery could answer differently.
    """
    if any(name in os.environ for name in _ENVIRONMENT):
        raise Unsupported("GIT_* variables choose the repository")
    directory = os.path.realpath(start)
    while True:
        candidate = os.path.join(directory, ".git")
        if os.path.isdir(candidate):
            return directory, candidate
        if os.path.isfile(candidate):
            return directory, _linked_git_dir(directory, candidate)
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _linked_git_dir(work_tree: str, dot_git: str) -> str:
    """``.git`` as a file (a linked work tree or a submodule) says ``gitdir: PATH``."""
    try:
        first = read_project_bytes(dot_git, what=".git file").decode("utf-8").split("\n", 1)[0]
    except (UnreadableFile, UnicodeDecodeError):
        raise Unsupported("unreadable .git file") from None
    if not first.startswith("gitdir:"):
        raise Unsupported(".git file without gitdir")
    target = first[len("gitdir:") :].strip()
    return os.path.normpath(os.path.join(work_tree, target))


def tracked_files(start: str) -> tuple[str, frozenset[str] | None] | None:
    """``(work tree, tracked paths)`` for the repository holding ``start``.

    ``(start, None)`` outside git; None when only git itself can tell.
    Raises :class:`migrate.read.files.UnreadableFile` for a git config that
    git itself could not read (a FIFO, a device, a huge file).
    """
    try:
        found = find_work_tree(start)
        if found is None:
            return start, None
        work_tree, git_dir = found
        _check_trusted(work_tree, git_dir)
        return work_tree, _read_index_cached(git_dir)
    except Unsupported:
        return None


def _check_trusted(work_tree: str, git_dir: str) -> None:
    try:
        owner = os.stat(work_tree).st_uid
        config = read_project_bytes(os.path.join(_common_dir(git_dir), "config"), what="git config").lower()
    except OSError:
        raise Unsupported("no readable config") from None
    except UnreadableFile as problem:
        if problem.missing:
            raise Unsupported("no config") from None
        raise  # a FIFO or device would hold git itself forever: the project's error
    if owner != os.geteuid():
        raise Unsupported("owned by someone else: safe.directory decides")
    if b"objectformat" in config or b"worktree" in config or b"bare = true" in config:
        raise Unsupported("a repository format this reader does not follow")


def _common_dir(git_dir: str) -> str:
    """A linked work tree keeps its config in the main repository's git directory."""
    try:
        text = read_project_bytes(os.path.join(git_dir, "commondir"), what="commondir").decode("utf-8", "surrogateescape")
    except UnreadableFile as problem:
        if problem.missing:
            return git_dir
        raise Unsupported("unreadable commondir") from None
    return os.path.normpath(os.path.join(git_dir, text.strip()))


def _read_index_cached(git_dir: str) -> frozenset[str]:
    path = os.path.join(git_dir, "index")
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return frozenset()
    except OSError:
        raise Unsupported("unreadable index") from None
    stamp = (status.st_mtime_ns, status.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        data = read_project_bytes(path, limit=None, what="git index")
    except UnreadableFile:
        raise Unsupported("unreadable index") from None
    try:
        names = parse_index(data)
    except (ValueError, IndexError, struct.error):
        raise Unsupported("an index this reader cannot parse") from None
    _cache[path] = (stamp, names)
    return names


def parse_index(data: bytes) -> frozenset[str]:
    """The paths of a git index file (``git ls-files`` without options)."""
    if len(data) < 12 or data[:4] != _SIGNATURE:
        raise Unsupported("not an index file")
    version, count = struct.unpack_from(">II", data, 4)
    if version not in (2, 3, 4):
        raise Unsupported(f"index version {version}")
    end = len(data) - _SHA1_SIZE
    offset = 12
    names: list[str] = []
    previous = b""
    for _ in range(count):
        if offset + _ENTRY_FIXED > end:
            raise Unsupported("truncated index")
        mode = struct.unpack_from(">I", data, offset + 24)[0]
        flags = struct.unpack_from(">H", data, offset + 40 + _SHA1_SIZE)[0]
        start = offset + _ENTRY_FIXED
        if flags & _EXTENDED:
            if version < 3:
                raise Unsupported("extended flags in a version 2 index")
            start += 2
        if mode & 0o170000 == _DIRECTORY_MODE:
            raise Unsupported("sparse directory entry")
        if version == 4:
            strip, start = _varint(data, start)
            terminator = data.index(b"\0", start)
            if strip > len(previous):
                raise Unsupported("bad path compression")
            name = previous[: len(previous) - strip] + data[start:terminator]
            offset = terminator + 1
        else:
            length = flags & _NAME_MASK
            terminator = start + length if length < _NAME_MASK else data.index(b"\0", start + _NAME_MASK)
            name = data[start:terminator]
            # Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
            entry_length = terminator - offset
            offset += (entry_length + 8) & ~7
        previous = name
        names.append(name.decode("utf-8", "surrogateescape"))
    _check_extensions(data, offset, end)
    return frozenset(names)


def _check_extensions(data: bytes, offset: int, end: int) -> None:
    while offset + 8 <= end:
        signature = data[offset : offset + 4]
        (size,) = struct.unpack_from(">I", data, offset + 4)
        if signature in _UNSUPPORTED_EXTENSIONS:
            raise Unsupported(f"index extension {signature.decode('ascii', 'replace')}")
        offset += 8 + size


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    """git's offset varint (``varint.c``): each continuation adds one before shifting."""
    byte = data[offset]
    offset += 1
    value = byte & 0x7F
    while byte & 0x80:
        byte = data[offset]
        offset += 1
        value = ((value + 1) << 7) | (byte & 0x7F)
    return value, offset


def tracked_below(directory: str) -> tuple[frozenset[str] | None] | None:
    """Like ``git -C DIRECTORY ls-files -- .``: tracked paths under ``directory``, relative to it.

    ``(None,)`` outside git; None when only git itself can tell.
    """
    read = tracked_files(directory)
    if read is None:
        return None
    top, names = read
    if names is None:
        return (None,)
    prefix = os.path.relpath(os.path.realpath(directory), top)
    if prefix == ".":
        return (names,)
    prefix += "/"
    return (frozenset(name[len(prefix) :] for name in names if name.startswith(prefix)),)
