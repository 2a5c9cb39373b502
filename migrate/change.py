"""The change step: new texts in, a git-style diff and atomic writes out."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterable
from pathlib import Path

from migrate.errors import InputError, Location, Refusal
from migrate.plan import FileChange

_NO_NEWLINE = "\\ No newline at end of file\n"


def display_path(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` in ``/`` form, with ``..`` when it lies outside."""
    absolute = os.path.abspath(path)
    start = os.path.abspath(base)
    if absolute == start:
        return "."
    prefix = start if start.endswith(os.sep) else start + os.sep
    if absolute.startswith(prefix):
        return absolute[len(prefix) :].replace(os.sep, "/")
    return os.path.relpath(absolute, start).replace(os.sep, "/")


def describe_changes(changes: Iterable[FileChange], base: Path) -> str:
    """``writes a, b; deletes c``, with paths shown relative to ``base``."""
    changes = list(changes)
    written = [display_path(c.path, base) for c in changes if c.after is not None]
    deleted = [display_path(c.path, base) for c in changes if c.after is None]
    parts = []
    if written:
        parts.append("writes " + ", ".join(written))
    if deleted:
        parts.append("deletes " + ", ".join(deleted))
    return "; ".join(parts)


def unified_diff(changes: Iterable[FileChange], base: Path) -> str:
    """A patch ``git apply`` (and ``patch -p1``) accepts from ``base``."""
    return "".join(_file_diff(change, base) for change in changes if change.before != change.after)


def _file_diff(change: FileChange, base: Path) -> str:
    name = display_path(change.path, base)
    old_name, new_name = _patch_name("a/", name), _patch_name("b/", name)
    header = [f"diff --git {old_name} {new_name}\n"]
    # As git does: a name with a space ends with a tab, so that `patch` does not stop at the space.
    end = "\t\n" if " " in name and not old_name.startswith('"') else "\n"
    mode = _git_mode(change.path)
    if change.after is None:
        header.append(f"deleted file mode {mode}\n")
        header += [f"--- {old_name}{end}", "+++ /dev/null\n"]
    elif change.before is None:
        header.append(f"new file mode {mode if change.path.exists() else '100644'}\n")
        header += ["--- /dev/null\n", f"+++ {new_name}{end}"]
    else:
        header += [f"--- {old_name}{end}", f"+++ {new_name}{end}"]
    old = _lines(change.before)
    new = _lines(change.after)
    import difflib

    body: list[str] = []
    for line in list(difflib.unified_diff(old, new, n=3, lineterm="\n"))[2:]:
        if line.startswith("@@") and change.before is None:
            line = line.replace("-1,0", "-0,0", 1)
        if line.startswith("@@") and change.after is None:
            line = line.replace("+1,0", "+0,0", 1)
        if line.endswith("\n"):
            body.append(line)
        else:
            body.append(line + "\n" + _NO_NEWLINE)
    return "".join(header + body)


_C_ESCAPES = {ord("\a"): "\\a", ord("\b"): "\\b", ord("\t"): "\\t", ord("\n"): "\\n", ord("\v"): "\\v", ord("\f"): "\\f", ord("\r"): "\\r", ord('"'): '\\"', ord("\\"): "\\\\"}


def _patch_name(prefix: str, name: str) -> str:
    """``prefix`` + ``name`` as git writes it in a patch: in C quotes when it holds a quote, a backslash or a control character."""
    if not any(char in '"\\' or ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        return prefix + name
    quoted = []
    for byte in (prefix + name).encode("utf-8", "surrogateescape"):
        if byte in _C_ESCAPES:
            quoted.append(_C_ESCAPES[byte])
        elif byte < 0x20 or byte >= 0x7F:
            quoted.append(f"\\{byte:03o}")
        else:
            quoted.append(chr(byte))
    return '"' + "".join(quoted) + '"'


def _lines(text: str | None) -> list[str]:
    """Lines as git counts them: only ``\\n`` ends one (``str.splitlines`` would also split at ``\\r``, ``\\f``, U+2028…)."""
    if not text:
        return []
    lines = [line + "\n" for line in text.split("\n")]
    if text.endswith("\n"):
        lines.pop()
    else:
        lines[-1] = lines[-1][:-1]
    return lines


def _git_mode(path: Path) -> str:
    try:
        executable = os.stat(path).st_mode & stat.S_IXUSR
    except OSError:
        executable = 0
    return "100755" if executable else "100644"


def check_clean(changes: Iterable[FileChange]) -> None:
    """Refuse when a file to change has uncommitted work or is not under git at all."""
    changes = list(changes)
    by_directory: dict[Path, list[Path]] = {}
    for change in changes:
        path = Path(os.path.abspath(change.path))
        if change.before is None and not path.exists():
            continue
        by_directory.setdefault(path.parent, []).append(path)
    for directory, paths in by_directory.items():
        try:
            result = subprocess.run(
                ["git", "--literal-pathspecs", "-C", str(directory), "status", "--porcelain", "--ignored", "--", *[p.name for p in paths]],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
        except OSError:
            raise Refusal(Location(paths[0]), "git is not installed; pass --allow-dirty to change files outside git") from None
        if result.returncode != 0:
            raise Refusal(Location(paths[0]), "not inside a git work tree; pass --allow-dirty to change it anyway")
        for line in result.stdout.splitlines():
            state, name = line[:2], line[3:]
            what = "is not committed" if state in ("??", "!!") else "has uncommitted changes"
            raise Refusal(Location(directory / name.rsplit("/", 1)[-1]), f"{what}; commit or stash it, or pass --allow-dirty")


def write_changes(changes: Iterable[FileChange]) -> None:
    """Write every change or none.

    Each file must still hold the text the migration was made from. New
    texts go to temporary files and files to delete are moved aside first;
    only when all of that worked do the new texts replace the originals.
    A file keeps its mode.
    """
    import tempfile

    changes = [c for c in changes if c.before != c.after]
    for change in changes:
        _check_unchanged(change)
    staged: list[tuple[str, Path]] = []
    set_aside: list[tuple[str, Path]] = []
    try:
        for change in changes:
            target = Path(change.path)
            descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".dmigrate", dir=target.parent)
            if change.after is None:
                os.close(descriptor)
                try:
                    os.replace(target, temporary)
                except OSError:
                    _unlink_quietly(temporary)
                    raise
                set_aside.append((temporary, target))
                continue
            staged.append((temporary, target))
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
                handle.write(change.after)
                handle.flush()
                os.fsync(handle.fileno())
            if change.before is None:
                os.chmod(temporary, 0o666 & ~_umask())
            else:
                _keep_mode_and_owner(temporary, os.stat(target))
    except OSError as error:
        _undo(staged, set_aside)
        raise InputError(Location(Path(error.filename or ".")), f"cannot write: {error.strerror}") from None
    for index, (temporary, target) in enumerate(staged):
        try:
            os.replace(temporary, target)
        except OSError as error:
            _undo(staged[index:], set_aside)
            written = ", ".join(str(path) for _, path in staged[:index])
            raise InputError(Location(target), f"cannot write: {error.strerror}" + (f" (written already: {written})" if written else "")) from None
    for temporary, _ in set_aside:
        _unlink_quietly(temporary)


def _undo(staged: list[tuple[str, Path]], set_aside: list[tuple[str, Path]]) -> None:
    """Drop the new texts not in place yet, and put back the files moved aside."""
    for temporary, _ in staged:
        _unlink_quietly(temporary)
    for temporary, target in set_aside:
        try:
            os.replace(temporary, target)
        except OSError:
            pass


def _keep_mode_and_owner(path: str, original: os.stat_result) -> None:
    """The new file keeps the mode of the one it replaces, and its owner when we may set it (run as root in a user's tree)."""
    os.chmod(path, stat.S_IMODE(original.st_mode))
    if (original.st_uid, original.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.chown(path, original.st_uid, original.st_gid)
        except OSError:
            pass  # a user who may not give a file away writes it as their own, as an editor does


def _check_unchanged(change: FileChange) -> None:
    """Refuse to write over a file that changed (or appeared) since the migration read it."""
    try:
        with open(change.path, "rb") as handle:
            now: bytes | None = handle.read()
    except FileNotFoundError:
        now = None
    except OSError as error:
        raise InputError(Location(Path(change.path)), f"cannot read: {error.strerror}") from None
    if now != (None if change.before is None else change.before.encode("utf-8", "surrogateescape")):
        raise Refusal(Location(Path(change.path)), "changed since dmigrate read it; run dmigrate again")


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
