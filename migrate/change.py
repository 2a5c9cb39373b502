"""The change step: new texts in, a git-style diff and atomic writes out."""

from __future__ import annotations

import functools
import os
import re
import stat
import subprocess
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from migrate.errors import InputError, Location, Refusal
from migrate.plan import FileChange

_NO_NEWLINE = "\\ No newline at end of file\n"


def display_path(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` in ``/`` form, with ``..`` when it lies outside."""
    absolute = os.path.abspath(path)
    start = os.fspath(base)
    start = _normalised(start) if os.path.isabs(start) else os.path.abspath(start)
    if absolute == start:
        return "."
    prefix = start if start.endswith(os.sep) else start + os.sep
    if absolute.startswith(prefix):
        return absolute[len(prefix) :].replace(os.sep, "/")
    return os.path.relpath(absolute, start).replace(os.sep, "/")


@functools.lru_cache(maxsize=64)
def _normalised(path: str) -> str:
    """An absolute base directory normalised, once: every path a run shows is shown from one or a few."""
    return os.path.normpath(path)


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
    if not old or not new:
        # A whole file added or removed is one hunk; difflib would only find that out slowly.
        lines, sign = (new, "+") if new else (old, "-")
        count = "" if len(lines) == 1 else f",{len(lines)}"
        hunk = f"@@ -0,0 +1{count} @@\n" if sign == "+" else f"@@ -1{count} +0,0 @@\n"
        body = [hunk, *(sign + line for line in lines)] if lines else []
    else:
        import difflib

        body = list(difflib.unified_diff(old, new, n=3, lineterm="\n"))[2:]
    return "".join(header + [line if line.endswith("\n") else line + "\n" + _NO_NEWLINE for line in body])


_NEEDS_QUOTES = re.compile('["\\\\\x00-\x1f\x7f]')
_C_ESCAPES = {ord("\a"): "\\a", ord("\b"): "\\b", ord("\t"): "\\t", ord("\n"): "\\n", ord("\v"): "\\v", ord("\f"): "\\f", ord("\r"): "\\r", ord('"'): '\\"', ord("\\"): "\\\\"}


def _patch_name(prefix: str, name: str) -> str:
    """``prefix`` + ``name`` as git writes it in a patch: in C quotes when it holds a quote, a backslash or a control character."""
    if _NEEDS_QUOTES.search(name) is None:
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
    texts go to temporary files first. Only then are the files changed, with
    Ctrl-C and termination held off until the last one is done, and every file
    kept aside until then so that a failure puts each one back as it was.
    A file keeps its mode.
    """
    changes = [c for c in changes if c.before != c.after]
    for change in changes:
        _check_unchanged(change)
    staged: list[tuple[str, Path]] = []
    try:
        for change in changes:
            if change.after is not None:
                staged.append((_stage(change), Path(change.path)))
    except OSError as error:
        for temporary, _ in staged:
            _unlink_quietly(temporary)
        raise InputError(Location(Path(error.filename or ".")), f"cannot write: {error.strerror}") from None
    doomed = [Path(change.path) for change in changes if change.after is None]
    with _interruptions_held():
        _commit(staged, doomed)


def _stage(change: FileChange) -> str:
    """A temporary file beside the target that holds the new text, with the target's mode and owner."""
    import tempfile

    target = Path(change.path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".dmigrate", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(change.after or "")
            handle.flush()
            os.fsync(handle.fileno())
        if change.before is None:
            os.chmod(temporary, 0o666 & ~_umask())
        else:
            _keep_mode_and_owner(temporary, os.stat(target))
    except OSError:
        _unlink_quietly(temporary)
        raise
    return temporary


def _commit(staged: list[tuple[str, Path]], doomed: list[Path]) -> None:
    """Delete ``doomed`` and put each staged text in place; on any failure undo all of it."""
    done: list[tuple[Path, str | None]] = []  # each changed target, and where its old file waits
    try:
        for target in doomed:
            aside = _aside_name(target)
            os.replace(target, aside)
            done.append((target, aside))
        for temporary, target in staged:
            kept = _keep_aside(target)
            try:
                os.replace(temporary, target)
            except OSError:
                if kept is not None:
                    _unlink_quietly(kept)
                raise
            done.append((target, kept))
    except OSError as error:
        for temporary, _ in staged:
            _unlink_quietly(temporary)
        stranded = _undo(done)
        message = f"cannot write: {error.strerror}; nothing was changed"
        if stranded:
            message = f"cannot write: {error.strerror}; could not put back " + ", ".join(stranded)
        raise InputError(Location(Path(error.filename or ".")), message) from None
    for _, aside in done:
        if aside is not None:
            _unlink_quietly(aside)


def _keep_aside(target: Path) -> str | None:
    """A second name for the file about to be replaced (None when there is none), so that it can come back."""
    aside = _aside_name(target)
    try:
        os.link(target, aside)
    except FileNotFoundError:
        return None
    except OSError:  # a file system without hard links: a copy does, though it is a new file
        import shutil

        shutil.copy2(target, aside)
        _keep_mode_and_owner(aside, os.stat(target))
    return aside


def _aside_name(target: Path) -> str:
    import secrets

    return str(target.parent / f".{target.name}.{secrets.token_hex(4)}.dmigrate-old")


def _undo(done: list[tuple[Path, str | None]]) -> list[str]:
    """Put back every changed file, newest first; the ones that could not be put back, with where they wait."""
    stranded = []
    for target, aside in reversed(done):
        try:
            if aside is None:
                os.unlink(target)
            else:
                os.replace(aside, target)
        except OSError:
            stranded.append(f"{target} (its old text is in {aside})" if aside else str(target))
    return stranded


@contextmanager
def _interruptions_held():
    """Hold Ctrl-C, SIGTERM and SIGHUP until the block ends, so that they cannot stop a commit half way."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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
