"""The walk of the roots a run was given: the directories that may hold drivers, in walk order.

Sorted, depth first, with git's ignore rules (:mod:`migrate.gitignore`),
never through a symlink, and never into :data:`SKIPPED_DIRECTORIES`.  A
directory the walk cannot search is a :class:`Place` with a problem: the
search is incomplete there, which is an error, never a silent skip.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from migrate.discover.drivers import may_be_driver
from migrate.gitignore import IgnoreFile, IgnoreRules, is_ignored, read_ignore_file, repository_rules, rules_above
from migrate.journal import PLAIN_DIRECTORY
from migrate.read.files import UnreadableFile

SKIPPED_DIRECTORIES = frozenset({".git", "node_modules", "vendor", PLAIN_DIRECTORY})


@dataclass(frozen=True)
class Unwalked:
    """A directory the walk could not search: the search is incomplete, so it is an error, never a silent skip."""

    path: str
    """The file or directory at fault."""
    reason: str


@dataclass(frozen=True)
class Place:
    """A directory to look for drivers in, under the root it was reached from."""

    index: int
    directory: str
    root: int
    """Index of the root in the run's roots."""
    names: tuple[str, ...]
    """Its regular files that may be drivers (:func:`migrate.discover.drivers.may_be_driver`), as the walk listed them."""
    ignored: frozenset[str] = frozenset()
    """Those of ``names`` that git ignores: they still count in finding the others, but are not migrated."""
    problem: Unwalked | None = None
    """Why the walk could not search this directory (and what lies under it)."""


@dataclass
class WalkCount:
    """How far the walk has come, for progress."""

    walked: int = 0
    """Directories listed so far."""
    empty: int = 0
    """Of those, the ones with no file that may be a driver (and no problem): nothing to look at."""


def walk(root: str, on_root: Callable[[str], None] | None = None) -> Iterator[tuple[str, IgnoreRules, list[str], Unwalked | None]]:
    """Every directory under ``root`` (itself first), the ignore rules that apply in it, its files that may be drivers, and why it could not be searched.

    Sorted, depth first.  Directories named in :data:`SKIPPED_DIRECTORIES`,
    ignored by git, or reached through a symlink are left out.  A directory
    that cannot be listed, or whose ignore rules cannot be read, comes with an
    :class:`Unwalked`, and nothing under it is searched.  ``on_root`` hears of
    each directory that may be a project root with a journal (one that holds
    ``.git`` or ``.dmigrate``) before that directory is yielded.
    """
    try:
        above = rules_above(root)
    except UnreadableFile as problem:
        yield root, (), [], _unknown_rules(problem)
        return
    stack: list[tuple[str, IgnoreRules]] = [(root, above)]
    while stack:
        directory, rules = stack.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except (FileNotFoundError, NotADirectoryError):
            continue  # gone since its parent was listed
        except OSError as error:
            yield directory, rules, [], Unwalked(directory, f"cannot list this directory ({error.strerror}), so the projects in it were not searched")
            continue
        has_git = has_gitignore = False
        candidates: list[str] = []
        subdirectories: list[str] = []
        for entry in entries:
            name = entry.name
            if name == ".git" or name == PLAIN_DIRECTORY:
                has_git = has_git or name == ".git"
                if on_root is not None:
                    on_root(directory)
            elif name == ".gitignore":
                has_gitignore = True
            if _is_directory(entry):
                if name not in SKIPPED_DIRECTORIES:
                    subdirectories.append(name)
            elif may_be_driver(name) and _is_file(entry):
                candidates.append(name)
        try:
            if has_git:
                # A repository of its own: the rules of the directories around it stop here.
                rules = repository_rules(directory)
            if has_gitignore:
                text = read_ignore_file(os.path.join(directory, ".gitignore"))
                if text:
                    rules = rules + (IgnoreFile(directory, text),)
        except UnreadableFile as problem:
            yield directory, rules, [], _unknown_rules(problem)
            continue
        yield directory, rules, candidates, None
        below: list[tuple[str, IgnoreRules]] = []
        for name in sorted(subdirectories):
            path = directory + "/" + name if directory != "/" else "/" + name
            if rules and is_ignored(rules, path, True):
                continue
            below.append((path, rules))
        stack.extend(reversed(below))


def _unknown_rules(problem: UnreadableFile) -> Unwalked:
    return Unwalked(str(problem.location.file), f"{problem.reason}, so what git ignores here is unknown and the projects under it were not searched")


def places(roots: Iterable[str], count: WalkCount | None = None, on_root: Callable[[str], None] | None = None) -> Iterator[Place]:
    """The directories under ``roots`` that hold files which may be drivers (or could not be searched), numbered in walk order.

    ``count`` follows the walk as it goes; ``on_root`` is :func:`walk`'s.
    """
    count = count or WalkCount()
    index = 0
    for root_index, root in enumerate(roots):
        for directory, rules, names, problem in walk(root, on_root):
            count.walked += 1
            if not names and problem is None:
                count.empty += 1
                continue
            ignored = frozenset(name for name in names if rules and is_ignored(rules, os.path.join(directory, name), False))
            yield Place(index, directory, root_index, tuple(names), ignored, problem)
            index += 1


def _is_directory(entry: os.DirEntry) -> bool:
    """A directory itself, not a link to one: the walk never follows a symlink."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_file(entry: os.DirEntry) -> bool:
    """A regular file or a link to one: opening a FIFO named x.sh would block."""
    try:
        return entry.is_file()
    except OSError:
        return False
