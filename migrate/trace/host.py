"""What host commands do to files, as pure functions: ``chmod`` modes, ``tar -c`` members and ``tar -x`` targets, ``cp`` options.

Only the forms whose effect is certain are read; everything else gives None
and the tracer refuses to depend on it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

HOST_UMASK = 0o022
_SYMBOLIC = re.compile(r"^([ugoa]*)([-+=])([rwxXst]*|[ugo])$")


def chmod_mode(spec: str, current: int | None, is_directory: bool = False) -> int | None:
    """The mode ``chmod SPEC`` leaves on a file that had ``current`` (None: unknown), or None when unknown."""
    if re.fullmatch(r"[0-7]{1,4}", spec):
        return int(spec, 8)
    mode = current
    for clause in spec.split(","):
        match = _SYMBOLIC.match(clause)
        if match is None or mode is None:
            return None
        who, operator, perms = match.groups()
        if perms in ("u", "g", "o"):
            return None
        mask = 0
        for person in who or "a":
            mask |= {"u": 0o4700, "g": 0o2070, "o": 0o1007, "a": 0o7777}[person]
        bits = 0
        for perm in perms:
            if perm == "r":
                bits |= 0o444
            elif perm == "w":
                bits |= 0o222
            elif perm == "x" or (perm == "X" and (is_directory or mode & 0o111)):
                bits |= 0o111
            elif perm == "s":
                bits |= 0o6000
            elif perm == "t":
                bits |= 0o1000
        bits &= mask
        if not who:
            # Without u/g/o/a, chmod leaves out what the umask would.
            bits &= ~HOST_UMASK
        if operator == "+":
            mode |= bits
        elif operator == "-":
            mode &= ~bits
        else:
            mode = (mode & ~mask) | bits
    return mode


@dataclass(frozen=True)
class ChmodCommand:
    mode: str
    recursive: bool
    paths: tuple[str, ...]


def read_chmod(words: list[str]) -> ChmodCommand | None:
    recursive = False
    rest = words[1:]
    while rest and rest[0].startswith("-") and not re.fullmatch(r"-[rwxXst]+", rest[0]):
        flag = rest.pop(0)
        if flag in ("-R", "--recursive"):
            recursive = True
        elif flag in ("-v", "-c", "-f", "--verbose", "--changes", "--silent", "--quiet"):
            continue
        elif flag == "--":
            break
        else:
            return None
    if len(rest) < 2:
        return None
    return ChmodCommand(rest[0], recursive, tuple(rest[1:]))


@dataclass(frozen=True)
class MoveCommand:
    """``mv SRC... DEST`` or ``cp -a SRC... DEST``."""

    sources: tuple[str, ...]
    destination: str
    keeps_source: bool
    """``cp`` leaves the source where it was."""
    into_directory: bool
    """``-t DIR`` or a trailing ``/``: DEST is a directory."""
    no_clobber: bool = False
    """``-n``: a path that already exists where a source would land is kept, and that source is not moved."""


def read_move(words: list[str]) -> MoveCommand | None:
    """``mv`` with any of its usual flags, or a ``cp`` that keeps modes (``-a``, ``-p``, ``-rp``)."""
    name = posixpath.basename(words[0])
    if name not in ("mv", "cp"):
        return None
    preserves = False
    recursive = False
    no_clobber = False
    target = None
    positional: list[str] = []
    index = 1
    while index < len(words):
        word = words[index]
        if word == "--":
            positional.extend(words[index + 1 :])
            break
        if word in ("-t", "--target-directory"):
            if index + 1 >= len(words):
                return None
            target = words[index + 1]
            index += 2
            continue
        if word.startswith("--"):
            if word in ("--archive",):
                preserves = recursive = True
            elif word in ("--preserve", "--preserve=mode", "--preserve=all", "--preserve=mode,ownership,timestamps"):
                preserves = True
            elif word in ("--recursive",):
                recursive = True
            elif word in ("--force", "--no-clobber"):
                no_clobber = word == "--no-clobber"
            elif word != "--verbose":
                return None
        elif word.startswith("-") and word != "-":
            letters = set(word[1:])
            allowed = set("fvn") | (set("aprRdP") if name == "cp" else set())
            if not letters <= allowed:
                return None
            for letter in word[1:]:
                if letter in "fn":
                    no_clobber = letter == "n"  # the last of -f and -n counts
            preserves = preserves or bool(letters & {"a", "p"})
            recursive = recursive or bool(letters & {"a", "r", "R"})
        else:
            positional.append(word)
        index += 1
    if name == "cp" and not preserves:
        return None
    if target is not None:
        if not positional:
            return None
        return MoveCommand(tuple(positional), target, name == "cp", True, no_clobber)
    if len(positional) < 2:
        return None
    destination = positional[-1]
    return MoveCommand(tuple(positional[:-1]), destination, name == "cp", destination.endswith("/") or len(positional) > 2, no_clobber)


@dataclass(frozen=True)
class TarCreate:
    archive: str
    """``-`` for standard output."""
    directory: str | None
    """``-C DIR``, or None for the current directory."""
    members: tuple[str, ...]
    root_owner: bool
    """``--owner=0``/``root`` and ``--group=0``/``root``: every entry is recorded as owned by root."""


def read_tar_create(words: list[str]) -> TarCreate | None:
    """A plain ``tar -c`` of paths (one ``-C`` before them), or None for anything else."""
    if not words or posixpath.basename(words[0]) not in ("tar", "gtar", "bsdtar"):
        return None
    archive = None
    directory = None
    creating = False
    members: list[str] = []
    owner = group = None
    index = 1
    while index < len(words):
        word = words[index]
        bundle = index == 1 and not word.startswith("-")
        if word in ("-C", "--directory"):
            if members or index + 1 >= len(words):
                return None
            directory = words[index + 1]
            index += 2
            continue
        if word.startswith("--directory="):
            if members:
                return None
            directory = word.split("=", 1)[1]
        elif word in ("-f", "--file"):
            if index + 1 >= len(words):
                return None
            archive = words[index + 1]
            index += 2
            continue
        elif word.startswith("--file="):
            archive = word.split("=", 1)[1]
        elif word.startswith("--owner="):
            owner = word.split("=", 1)[1]
        elif word.startswith("--group="):
            group = word.split("=", 1)[1]
        elif word in ("--create",):
            creating = True
        elif word in ("--gzip", "--bzip2", "--xz", "--zstd", "--verbose", "--numeric-owner", "--sort=name"):
            pass
        elif bundle or (word.startswith("-") and not word.startswith("--") and len(word) > 1):
            letters = word.lstrip("-")
            if not set(letters) <= set("cvfzjJp"):
                return None
            creating = creating or "c" in letters
            if "f" in letters:
                if not letters.endswith("f") or index + 1 >= len(words):
                    return None
                archive = words[index + 1]
                index += 2
                continue
        elif word.startswith("-") and word != "-":
            return None
        else:
            members.append(word)
        index += 1
    if not creating or not members:
        return None
    root_owner = owner in ("0", "root", ":0") and group in ("0", "root", ":0")
    return TarCreate(archive if archive is not None else "-", directory, tuple(members), root_owner)


@dataclass(frozen=True)
class TarExtract:
    directory: str
    """The absolute directory it unpacks into."""
    preserves_permissions: bool
    """``-p``: the modes in the archive, not masked by the umask (what root gets anyway)."""


def read_tar_extract(words: list[str], cwd: str) -> TarExtract | None:
    """A plain ``tar -x`` from standard input, run in ``cwd``; None for anything else."""
    if not words or posixpath.basename(words[0]) not in ("tar", "bsdtar", "gtar"):
        return None
    directory = cwd
    archive = "-"
    extracting = False
    preserves = False
    index = 1
    while index < len(words):
        word = words[index]
        if word in ("-C", "--directory"):
            if index + 1 >= len(words):
                return None
            directory = posixpath.normpath(posixpath.join(cwd, words[index + 1]))
            index += 2
            continue
        if word.startswith("--directory="):
            directory = posixpath.normpath(posixpath.join(cwd, word.split("=", 1)[1]))
        elif word in ("-f", "--file"):
            if index + 1 >= len(words):
                return None
            archive = words[index + 1]
            index += 2
            continue
        elif word in ("--extract", "--get"):
            extracting = True
        elif word in ("--preserve-permissions", "--same-permissions"):
            preserves = True
        elif word.startswith("-") and not word.startswith("--") or (index == 1 and not word.startswith("-")):
            letters = word.lstrip("-")
            if "x" in letters:
                extracting = True
            if "p" in letters:
                preserves = True
            if "f" in letters:
                # ``-xf -``: the archive name follows the bundle.
                if index + 1 < len(words):
                    archive = words[index + 1]
                    index += 2
                    continue
            if set(letters) - set("xvfpoz"):
                return None
        elif word.startswith("--") and word not in ("--verbose", "--no-same-owner", "--same-owner"):
            return None
        else:
            return None
        index += 1
    if not extracting or archive != "-":
        return None
    return TarExtract(directory, preserves)


def member_name(member: str) -> str:
    """The name a ``tar -c`` member gets in the archive: leading ``/`` and ``./`` stripped, normalised."""
    name = posixpath.normpath(member.lstrip("/"))
    return "." if name in ("", ".") else name
