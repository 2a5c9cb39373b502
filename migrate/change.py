"""The change step: new texts in, a git-style diff and atomic writes out."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from migrate.display import display_path
from migrate.errors import InputError, Location, Refusal
from migrate.plan import FileChange

_NO_NEWLINE = "\\ No newline at end of file\n"


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
    from migrate.gitcommand import GitProblem, git_complaint, run_git

    for directory, paths in by_directory.items():
        _check_ignore_files(directory)
        try:
            result = run_git(
                ["--literal-pathspecs", "status", "--porcelain", "--ignored", "--", *[p.name for p in paths]], str(directory), hashes_content=True
            )
        except GitProblem as problem:
            advice = "; pass --allow-dirty to change files outside git" if "not installed" in str(problem) else ""
            raise Refusal(Location(paths[0]), f"cannot tell whether it is committed: {problem}{advice}") from None
        if result.returncode != 0:
            said = git_complaint(result.stderr)
            if "not a git repository" in said:
                raise Refusal(Location(paths[0]), "not inside a git work tree; pass --allow-dirty to change it anyway")
            # Anything else (a repository git does not trust, a broken index) is not "outside git": say what git said.
            if "dubious ownership" in said:
                said += " (another user owns it: git trusts it only where your git config's safe.directory names it)"
            raise Refusal(Location(paths[0]), f"cannot tell whether it is committed: git says: {said}")
        for line in result.stdout.decode("utf-8", "surrogateescape").splitlines():
            state, name = line[:2], line[3:]
            what = "is not committed" if state in ("??", "!!") else "has uncommitted changes"
            raise Refusal(Location(directory / name.rsplit("/", 1)[-1]), f"{what}; commit or stash it, or pass --allow-dirty")


def _check_ignore_files(directory: Path) -> None:
    """The ignore files ``git status --ignored`` reads have to be small regular files first.

    git reads ``info/exclude`` whatever it is (``/dev/zero`` would never end)
    and opens a ``.gitignore`` FIFO, which waits for a writer forever.
    """
    from migrate.gitignore import read_ignore_file
    from migrate.read.gitindex import Unsupported, find_work_tree

    try:
        found = find_work_tree(str(directory))
    except Unsupported:
        return
    if found is None:
        return
    work_tree, git_dir = found
    read_ignore_file(os.path.join(git_dir, "info", "exclude"), in_tree=False)
    current = os.path.realpath(directory)
    while True:
        read_ignore_file(os.path.join(current, ".gitignore"))
        if current == work_tree or os.path.dirname(current) == current:
            break
        current = os.path.dirname(current)


def check_targets(changes: Iterable[FileChange], root: str, cwd: Path | None = None) -> None:
    """Refuse a change to a file that leads out of the project root, or that is a symlink.

    Writing replaces a file by renaming a new one over it: a symlink would
    become a file, and what it points to would not change (nor would a patch
    for the link apply: git keeps a link as the text of its target).
    """
    from migrate.read.boundary import outside_refusal, resolves_inside

    for change in changes:
        path = os.path.abspath(change.path)
        if not resolves_inside(path, root):
            raise outside_refusal(path, root, "the file to change " + display_path(Path(path), cwd or Path(os.getcwd())))
        if os.path.islink(path):
            target = display_path(Path(os.path.realpath(path)), cwd or Path(os.getcwd()))
            reason = f"it is a symlink to {target}: the migration would replace the link, not change {target}; have the driver name the file itself"
            raise Refusal(Location(Path(path)), reason)


def apply_changes(changes: Iterable[FileChange], root: str, *, allow_dirty: bool, driver: Path | None = None) -> None:
    """The one way dmigrate changes files: check every target, then cleanliness, then write all or nothing under a journal."""
    changes = [c for c in changes if c.before != c.after]
    check_targets(changes, root)
    if not allow_dirty:
        check_clean(changes)
    write_changes(changes, root, driver=driver)


def write_changes(changes: Iterable[FileChange], root: str | None = None, *, driver: Path | None = None) -> None:
    """Write every change or none, recoverably (:mod:`migrate.journal`).

    Each file must still hold the text the migration was made from. New
    texts go to temporary files first, and every file that is there gets a
    second name that keeps its old text; the journal names them all. Only
    then are the files changed. Ctrl-C and termination are held off until
    the last one is done, so that a failure puts each one back as it was,
    and a kill (which cannot be held off) leaves a journal that the next run
    settles. A file keeps its mode.
    """
    from migrate import journal

    changes = [c for c in changes if c.before != c.after]
    if not changes:
        return
    for change in changes:
        _check_unchanged(change)
    if root is None:
        from migrate.read.boundary import project_root

        root = project_root(Path(changes[0].path))
    entries = [
        journal.Entry(
            target=os.path.abspath(change.path),
            new=_temporary_name(Path(change.path)) if change.after is not None else None,
            old=_aside_name(Path(change.path)) if change.before is not None else None,
            before=journal.digest(_encoded(change.before)),
            after=journal.digest(_encoded(change.after)),
        )
        for change in changes
    ]
    record = journal.Journal(journal.journal_directory(root), str(driver or changes[0].path), entries)
    with _interruptions_held():
        try:
            record.write(journal.STAGING)
        except OSError as error:
            record.remove()
            raise InputError(Location(Path(error.filename or record.path)), f"cannot write the journal: {error.strerror}") from None
        journal.reached("journal")
        try:
            for change, entry in zip(changes, entries):
                if entry.new is not None:
                    _stage(change, entry.new)
                if entry.old is not None:
                    _keep_aside(Path(change.path), entry.old)
            journal.reached("staged")
            record.write(journal.COMMITTING)
        except BaseException as error:
            for entry in entries:
                _unlink_quietly(entry.new)
                _unlink_quietly(entry.old)
            record.remove()
            if isinstance(error, OSError):
                raise InputError(Location(Path(error.filename or ".")), f"cannot write: {error.strerror}") from None
            raise
        journal.reached("committing")
        _commit(entries, record)


def _encoded(text: str | None) -> bytes | None:
    return None if text is None else text.encode("utf-8", "surrogateescape")


def _temporary_name(target: Path) -> str:
    import secrets

    return str(target.parent / f".{target.name}.{secrets.token_hex(4)}.dmigrate")


def _stage(change: FileChange, temporary: str) -> None:
    """The temporary file ``temporary`` beside the target holds the new text, with the target's mode and owner."""
    target = Path(change.path)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
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


def _commit(entries, record) -> None:
    """Put each staged text in place and delete what goes; on any failure undo all of it."""
    from migrate import journal

    done = []
    try:
        for number, entry in enumerate(entries, start=1):
            if entry.new is not None:
                os.replace(entry.new, entry.target)
            else:
                os.unlink(entry.target)
            done.append(entry)
            journal.reached(f"renamed {number}")
    except OSError as error:
        for entry in entries:
            if entry not in done:
                _unlink_quietly(entry.new)
        stranded = _undo(done)
        message = f"cannot write: {error.strerror}; nothing was changed"
        if stranded:
            message = f"cannot write: {error.strerror}; could not put back " + ", ".join(stranded)
        else:
            for entry in entries:
                _unlink_quietly(entry.old)
            record.remove()
        raise InputError(Location(Path(error.filename or ".")), message) from None
    try:
        record.write(journal.COMMITTED)
    except OSError:
        pass  # every file is in place; the next run finishes what little is left
    journal.reached("committed")
    for entry in entries:
        _unlink_quietly(entry.old)
    record.remove()
    journal.reached("done")


def _keep_aside(target: Path, aside: str) -> None:
    """A second name for the file about to be changed, so that it can come back."""
    try:
        os.link(target, aside)
    except OSError as error:  # a file system without hard links: a copy does, though it is a new file
        if isinstance(error, FileNotFoundError):
            raise
        import shutil

        shutil.copy2(target, aside)
        _keep_mode_and_owner(aside, os.stat(target))


def _aside_name(target: Path) -> str:
    import secrets

    return str(target.parent / f".{target.name}.{secrets.token_hex(4)}.dmigrate-old")


def _undo(done) -> list[str]:
    """Put back every changed file, newest first; the ones that could not be put back, with where they wait."""
    stranded = []
    for entry in reversed(done):
        try:
            if entry.old is None:
                os.unlink(entry.target)
            else:
                os.replace(entry.old, entry.target)
        except OSError:
            stranded.append(f"{entry.target} (its old text is in {entry.old})" if entry.old else entry.target)
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


def _unlink_quietly(path: str | None) -> None:
    if path is None:
        return
    try:
        os.unlink(path)
    except OSError:
        pass


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
