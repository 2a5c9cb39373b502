"""The project root, and the one rule about files: dmigrate reads, writes and deletes only files inside it.

The root is the git work tree that holds the directory the driver runs from
(with symlinks resolved); outside git it is the directory a run was given to
search, or else the driver's own directory.  A path is inside when it
resolves there with every symlink followed, so that neither ``..``, an
absolute path nor a link can lead a migration into another repository, and
no file outside (``/etc/passwd``, another checkout) is ever opened.

While :func:`confined_to` is active, :func:`migrate.read.read_source_text`
refuses a path outside the root, and readers ask :func:`may_read` before
they look into a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from migrate.errors import Location, Refusal

_root: str | None = None


def project_root(driver: Path, fallback: str | None = None) -> str:
    """The root of ``driver``'s project, as a real path (see the module's docstring).

    ``fallback`` is the directory a run searched, used outside git when it holds the driver.
    """
    return directory_root(os.path.dirname(os.path.abspath(driver)), fallback)


def directory_root(directory: str, fallback: str | None = None) -> str:
    """The root of the projects whose drivers lie in ``directory`` (see :func:`project_root`)."""
    start = os.path.realpath(directory)
    work_tree = _work_tree(start)
    if work_tree is not None:
        return work_tree
    if fallback is not None:
        real = os.path.realpath(fallback)
        if is_inside(start, real):
            return real
    return start


def _work_tree(start: str) -> str | None:
    from migrate.read.gitindex import Unsupported, find_work_tree

    try:
        found = find_work_tree(start)
        return os.path.realpath(found[0]) if found is not None else None
    except Unsupported:
        pass
    from migrate.gitcommand import GitProblem, run_git

    try:
        done = run_git(["rev-parse", "--show-toplevel"], start)
    except GitProblem:
        return None
    top = done.stdout.decode("utf-8", "surrogateescape").strip()
    return os.path.realpath(top) if done.returncode == 0 and top else None


def is_inside(path: str, root: str) -> bool:
    """Whether ``path`` (already real) is ``root`` or lies below it."""
    return path == root or path.startswith(root.rstrip("/") + "/")


def resolves_inside(path: str | Path, root: str) -> bool:
    """Whether ``path`` resolves inside ``root``, every symlink followed (a path that does not exist yet: by its parents)."""
    return is_inside(os.path.realpath(os.path.abspath(path)), root)


def outside_reason(path: str | Path, root: str, what: str = "it") -> str:
    """Why a path outside ``root`` is refused, naming where it leads."""
    absolute = os.path.abspath(path)
    real = os.path.realpath(absolute)
    through = f" (through a symlink, to {real})" if is_inside(os.path.normpath(absolute), root) else ""
    return (
        f"{what} lies outside the project root {root}{through}; dmigrate reads, writes and deletes only files inside "
        "the project's git work tree (or, outside git, the directory it was given): move the file into the project, "
        "or name a directory that holds both"
    )


def outside_refusal(path: str | Path, root: str, what: str | None = None) -> Refusal:
    return Refusal(Location(Path(path)), outside_reason(path, root, what or str(path)))


@contextmanager
def confined_to(root: str) -> Iterator[None]:
    """While the block runs, reading a file outside ``root`` is refused."""
    global _root
    previous, _root = _root, root
    try:
        yield
    finally:
        _root = previous


def active_root() -> str | None:
    return _root


def may_read(path: str | Path) -> bool:
    """Whether a reader may open ``path`` now: always, unless a root is active and the path leads out of it."""
    return _root is None or resolves_inside(path, _root)


def check_readable(path: str | Path) -> None:
    """Refuse to read ``path`` when it leads out of the active root."""
    if _root is not None and not resolves_inside(path, _root):
        raise outside_refusal(path, _root)
