"""The words of host commands, read as pure functions: ``chmod`` modes, ``umask``, ``mkdir``, ``mv``/``cp``, ``tar -c`` and ``tar -x``.

Only the forms whose effect is certain are read; everything else gives None
and the tracer refuses to depend on it.  Nothing here looks at the flow: the
tracer (``migrate.trace.host_steps``) decides what each command does to the
artifacts.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

HOST_UMASK = 0o022
_SYMBOLIC = re.compile(r"^([ugoa]*)([-+=])([rwxXst]*|[ugo])$")


def chmod_mode(spec: str, current: int | None, is_directory: bool = False, umask: int | None = HOST_UMASK) -> int | None:
    """The mode ``chmod SPEC`` leaves on a file that had ``current`` (None: unknown), or None when unknown.

    ``umask`` is the one in force (None: unknown); a clause without u, g, o or a depends on it.
    """
    if re.fullmatch(r"0*[0-7]{1,4}", spec):
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
        if not who and umask is None:
            return None
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
            bits &= ~umask
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
class UmaskCommand:
    value: int | None
    """The new umask; None when it is not a plain octal number (symbolic, or a value only the run knows)."""


def read_umask(words: list[str]) -> UmaskCommand | None:
    """``umask 027`` and the like; None for a ``umask`` that only prints the current one."""
    operands = [word for word in words[1:] if word not in ("-S", "-p", "--")]
    if not operands:
        return None
    if len(operands) == 1 and re.fullmatch(r"[0-7]{1,4}", operands[0]):
        return UmaskCommand(int(operands[0], 8) & 0o777)
    return UmaskCommand(None)


@dataclass(frozen=True)
class MkdirCommand:
    mode: str | None
    """``-m MODE``: the mode of the directories it names (not of the parents ``-p`` makes)."""
    parents: bool
    paths: tuple[str, ...]


def read_mkdir(words: list[str]) -> MkdirCommand | None:
    """``mkdir`` with ``-p``, ``-m MODE`` and ``-v`` in any of their spellings; None for other options."""
    mode = None
    parents = False
    paths: list[str] = []
    index = 1
    while index < len(words):
        word = words[index]
        if word == "--":
            paths.extend(words[index + 1 :])
            break
        if word.startswith("--mode="):
            mode = word.split("=", 1)[1]
        elif word == "--mode":
            index += 1
            if index >= len(words):
                return None
            mode = words[index]
        elif word in ("--parents", "--verbose"):
            parents = parents or word == "--parents"
        elif word.startswith("-") and len(word) > 1 and not word.startswith("--"):
            letters = word[1:]
            for position, letter in enumerate(letters):
                if letter == "p":
                    parents = True
                elif letter == "m":
                    value = letters[position + 1 :]
                    if not value:
                        index += 1
                        if index >= len(words):
                            return None
                        value = words[index]
                    mode = value
                    break
                elif letter != "v":
                    return None
        elif word.startswith("-") and word != "-":
            return None
        else:
            paths.append(word)
        index += 1
    return MkdirCommand(mode, parents, tuple(paths))


def made_directory_modes(command: MkdirCommand, umask: int | None) -> tuple[int | None, int | None]:
    """The modes ``mkdir`` gives the directories it names and the parents ``-p`` makes; None where unknown."""
    base = None if umask is None else 0o777 & ~umask
    # GNU mkdir -p gives the parents it makes u+wx whatever the umask, so that it can go on below them.
    parent = base | 0o300 if base is not None else None
    if command.mode is None:
        return base, parent
    # -m starts from a=rwx, as its documentation says.
    return chmod_mode(command.mode, 0o777, is_directory=True, umask=umask), parent


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


@dataclass(frozen=True)
class _TarWords:
    """A tar command's words sorted out, before deciding what the command does."""

    letters: frozenset[str]
    """Short options, from bundles such as ``-czf`` and the traditional first word ``xvf``."""
    long_options: tuple[str, ...]
    archive: str | None
    directories: tuple[tuple[str, int], ...]
    """Each ``-C DIR`` with how many operands came before it."""
    operands: tuple[str, ...]


def _tar_words(words: list[str]) -> _TarWords | None:
    """Split a ``tar`` command into options, the archive, ``-C`` directories and operands; None when it cannot be read."""
    if not words or posixpath.basename(words[0]) not in ("tar", "gtar", "bsdtar"):
        return None
    letters: set[str] = set()
    long_options: list[str] = []
    archive = None
    directories: list[tuple[str, int]] = []
    operands: list[str] = []
    index = 1
    while index < len(words):
        word = words[index]
        takes_value = word in ("-C", "--directory", "-f", "--file")
        if takes_value:
            if index + 1 >= len(words):
                return None
            value = words[index + 1]
            if word in ("-C", "--directory"):
                directories.append((value, len(operands)))
            else:
                archive = value
            index += 2
            continue
        if word.startswith("--directory="):
            directories.append((word.split("=", 1)[1], len(operands)))
        elif word.startswith("--file="):
            archive = word.split("=", 1)[1]
        elif word.startswith("--"):
            long_options.append(word)
        elif (word.startswith("-") and len(word) > 1) or (index == 1 and not word.startswith("-")):
            bundle = word.lstrip("-")
            letters.update(bundle)
            if "f" in bundle:
                # The archive name follows the bundle, so ``f`` must end it.
                if not bundle.endswith("f") or index + 1 >= len(words):
                    return None
                archive = words[index + 1]
                index += 2
                continue
        else:
            operands.append(word)
        index += 1
    return _TarWords(frozenset(letters), tuple(long_options), archive, tuple(directories), tuple(operands))


def read_tar_create(words: list[str]) -> TarCreate | None:
    """A plain ``tar -c`` of paths (``-C`` only before them), or None for anything else."""
    tar = _tar_words(words)
    if tar is None or not tar.operands or not tar.letters <= set("cvfzjJp"):
        return None
    owner = group = None
    for option in tar.long_options:
        if option.startswith("--owner="):
            owner = option.split("=", 1)[1]
        elif option.startswith("--group="):
            group = option.split("=", 1)[1]
        elif option not in ("--create", "--gzip", "--bzip2", "--xz", "--zstd", "--verbose", "--numeric-owner", "--sort=name"):
            return None
    if "c" not in tar.letters and "--create" not in tar.long_options:
        return None
    if any(operands_before for _, operands_before in tar.directories):
        return None
    directory = tar.directories[-1][0] if tar.directories else None
    root_owner = owner in ("0", "root", ":0") and group in ("0", "root", ":0")
    return TarCreate(tar.archive if tar.archive is not None else "-", directory, tar.operands, root_owner)


@dataclass(frozen=True)
class TarExtract:
    directory: str
    """The absolute directory it unpacks into."""
    preserves_permissions: bool
    """``-p``: the modes in the archive, not masked by the umask (what root gets anyway)."""


def read_tar_extract(words: list[str], cwd: str) -> TarExtract | None:
    """A plain ``tar -x`` from standard input, run in ``cwd``; None for anything else."""
    tar = _tar_words(words)
    allowed = ("--extract", "--get", "--preserve-permissions", "--same-permissions", "--verbose", "--no-same-owner", "--same-owner")
    if tar is None or tar.operands or not tar.letters <= set("xvfpoz") or not set(tar.long_options) <= set(allowed):
        return None
    if "x" not in tar.letters and not {"--extract", "--get"} & set(tar.long_options):
        return None
    if tar.archive not in (None, "-"):
        return None
    directory = cwd
    for relative, _ in tar.directories:
        # Each -C is taken from the directory the one before it changed to.
        directory = posixpath.normpath(posixpath.join(directory, relative))
    preserves = "p" in tar.letters or bool({"--preserve-permissions", "--same-permissions"} & set(tar.long_options))
    return TarExtract(directory, preserves)


def member_name(member: str) -> str:
    """The name a ``tar -c`` member gets in the archive: leading ``/`` and ``./`` stripped, normalised."""
    name = posixpath.normpath(member.lstrip("/"))
    return "." if name in ("", ".") else name
