"""Many projects at once: walk the roots, migrate every driver, in parallel.

The parent process walks the roots (``.gitignore`` rules, skipped
directories, never a symlink) and streams the directories that hold files
which may be drivers, with those names from its listing, in walk order to a
pool of forked workers.  A worker finds the drivers among them with
:func:`migrate.discover.drivers_among`, migrates them without writing (reading
each file once: the migration takes what discovery read) and sends back only
a report entry (see :func:`migrate.report.project_entry`) with the diff
already made.  Only the parent writes, after checking that no two projects
change the same file, so that parallel runs cannot race and a combined patch
always applies.

A worker that dies (a crash in a parser, the kernel's OOM killer) takes down
only what it held: those directories are run again one at a time in a fresh
worker, and the project that still kills it is reported as an error.
"""

from __future__ import annotations

import os
import stat
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from migrate.gitignore import IgnoreFile, IgnoreRules, is_ignored, read_ignore_file, repository_rules, rules_above
from migrate.read.files import UnreadableFile

NO_DRIVER = "no driver that calls docker here"
PLAIN_JOURNAL_DIRECTORY = ".dmigrate"
"""Where a project outside git keeps the journal of an interrupted write (:mod:`migrate.journal`)."""
SKIPPED_DIRECTORIES = frozenset({".git", "node_modules", "vendor", PLAIN_JOURNAL_DIRECTORY})
_SERIAL_LIMIT = 48
"""Fewer directories than this are done in this process: starting workers would cost more."""
_CHUNK = 48
"""Directories per task: enough to hide the cost of a round trip to a worker."""


# -- the walk --------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A directory to look for drivers in, under the root it was reached from."""

    index: int
    directory: str
    root: int
    """Index of the root in the job's roots."""
    names: tuple[str, ...]
    """Its regular files that may be drivers (:func:`migrate.discover.may_be_driver`), as the walk listed them."""
    ignored: frozenset[str] = frozenset()
    """Those of ``names`` that git ignores: they still count in finding the others, but are not migrated."""
    problem: Unwalked | None = None
    """Why the walk could not search this directory (and what lies under it)."""


@dataclass(frozen=True)
class Unwalked:
    """A directory the walk could not search: the search is incomplete, so it is an error, never a silent skip."""

    path: str
    """The file or directory at fault."""
    reason: str


def walk(root: str, on_root: Callable[[str], None] | None = None) -> Iterator[tuple[str, IgnoreRules, list[str], Unwalked | None]]:
    """Every directory under ``root`` (itself first), the ignore rules that apply in it, its files that may be drivers, and why it could not be searched.

    Sorted, depth first.  Directories named in :data:`SKIPPED_DIRECTORIES`,
    ignored by git, or reached through a symlink are left out.  A directory
    that cannot be listed, or whose ignore rules cannot be read, comes with an
    :class:`Unwalked`, and nothing under it is searched.  ``on_root`` hears of
    each directory that may be a project root with a journal (one that holds
    ``.git`` or ``.dmigrate``) before that directory is yielded.
    """
    from migrate.discover import may_be_driver

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
            if name == ".git" or name == PLAIN_JOURNAL_DIRECTORY:
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


def _places(roots: Iterable[str], tally: _Tally | None = None, on_root: Callable[[str], None] | None = None) -> Iterator[Place]:
    """The directories under ``roots`` that hold files which may be drivers (or could not be searched), numbered in walk order; only these go to the workers."""
    tally = tally or _Tally()
    index = 0
    for root_index, root in enumerate(roots):
        for directory, rules, names, problem in walk(root, on_root):
            tally.walked += 1
            if not names and problem is None:
                tally.skipped += 1
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


def inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


# -- one directory, in a worker ----------------------------------------------------


@dataclass(frozen=True)
class Job:
    roots: tuple[str, ...]
    """Absolute roots as given (for paths shown) — the walk happens under these."""
    real_roots: tuple[str, ...]
    keep_legacy: bool
    target_rule: str | None
    keep_changes: bool
    """Send the file changes back (to write them); a dry run needs only the diff."""
    with_diff: bool
    """Make each project's diff: a text report shows it only for a dry run."""
    cwd: str
    explain: bool = False
    """Also send back each project's explanation."""


@dataclass(frozen=True)
class Found:
    """One project's result as a worker sends it back."""

    driver: str
    entry: dict
    changes: tuple = ()
    followed: tuple[str, ...] = ()
    """Scripts of the project that this driver's flow runs (as discovery read them), real paths: not projects of their own."""
    root: str | None = None
    """The project root (:mod:`migrate.read.boundary`) the changes must stay in."""
    explanation: dict | None = None
    """With ``--explain``: what was traced (see :mod:`migrate.explain`)."""


_job: Job | None = None


def _set_job(job: Job) -> None:
    global _job
    _job = job


def _start_worker(job: Job) -> None:
    import signal

    # Ctrl-C is the parent's to handle; a worker just finishes its task.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _set_job(job)


def _migrate_one(driver: str, root: int | None) -> Found:
    from migrate.errors import Location
    from migrate.migration import ERROR, PENDING, Options, migrate_driver
    from migrate.report import project_entry

    job = _job
    assert job is not None
    path = Path(driver)
    fallback = job.real_roots[root] if root is not None else None
    options = Options(write=False, keep_legacy=job.keep_legacy, target_rule=job.target_rule, fallback_root=fallback)
    explanation = None
    try:
        outcome = migrate_driver(path, options)
        entry = project_entry(outcome, Path(job.cwd), with_diff=job.with_diff)
        if job.explain:
            from migrate.explain import explain_outcome

            explanation = explain_outcome(outcome, Path(job.cwd))
    except Exception as error:  # noqa: BLE001 - one project's bug must not stop the others
        return _not_migrated(driver, ERROR, _internal_error(error), Location(path))
    changes = outcome.changes if job.keep_changes and outcome.status == PENDING else ()
    return Found(driver, entry, changes, root=outcome.root, explanation=explanation)


def _not_migrated(path: str, status: str, message: str, location=None) -> Found:
    """The result for ``path`` when there is no migration to report: an error, or nothing to do."""
    from migrate.migration import Outcome
    from migrate.report import project_entry

    job = _job
    assert job is not None
    outcome = Outcome(Path(path), status, message, location)
    explanation = None
    if job.explain:
        from migrate.explain import explain_outcome

        explanation = explain_outcome(outcome, Path(job.cwd))
    return Found(path, project_entry(outcome, Path(job.cwd)), explanation=explanation)


def _internal_error(error: Exception) -> str:
    return f"internal error: {type(error).__name__}: {error}"


_real_directories: dict[str, str] = {}
"""Directories resolved during this run: many projects lie in the same few."""


def real_path(path: str) -> str:
    """``path`` (absolute and normalised) with its directory's symlinks resolved."""
    directory, name = os.path.split(path)
    return os.path.join(_real_directory(directory), name)


def _real_directory(directory: str) -> str:
    """``os.path.realpath(directory)``, from its parent's when it is not a link itself: one ``lstat`` per new directory."""
    real = _real_directories.get(directory)
    if real is None:
        parent, name = os.path.split(directory)
        if parent == directory or name in ("", ".", "..") or os.path.islink(directory):
            real = os.path.realpath(directory)
        else:
            real = os.path.join(_real_directory(parent), name)
        _real_directories[directory] = real
    return real


def _detect(place: Place, read_ahead: dict | None = None) -> list[str]:
    """The drivers of ``place`` to migrate; what discovery read of them goes to ``read_ahead``."""
    job = _job
    assert job is not None
    return _drivers_of(place, job.real_roots[place.root], read_ahead)


def _drivers_of(place: Place, real_root: str, read_ahead: dict | None = None) -> list[str]:
    """The drivers among the files of ``place`` but those git ignores and links out of the root."""
    from migrate.discover import drivers_among
    from migrate.read.boundary import confined_to, directory_root

    # Finding the drivers reads them, and the scripts they run: only inside the root their migration will have.
    with confined_to(directory_root(place.directory, real_root)):
        drivers = drivers_among(Path(place.directory), place.names, read_ahead)
    kept: list[str] = []
    for driver in drivers:
        path = str(driver)
        if driver.name in place.ignored:
            continue
        if os.path.islink(path) and not inside(os.path.realpath(path), real_root):
            continue
        kept.append(path)
    return kept


def scan(places: list[Place]) -> list[tuple[int, list[Found]]]:
    """The worker's task: find and migrate the drivers of each directory, reading each file once."""
    from migrate.read.project import reading_ahead

    results: list[tuple[int, list[Found]]] = []
    for place in places:
        if place.problem is not None:
            results.append((place.index, [_unwalked(place)]))
            continue
        read_ahead: dict = {}
        try:
            drivers = _detect(place, read_ahead)
        except Exception as error:  # noqa: BLE001
            results.append((place.index, [_directory_error(place, error)]))
            continue
        with reading_ahead(read_ahead):
            found = [_migrate_one(driver, place.root) for driver in drivers]
        for index, driver in enumerate(drivers):
            ahead = read_ahead.get(driver)
            if ahead is not None and ahead.reading is not None and ahead.reading.parts:
                found[index] = replace(found[index], followed=tuple(os.path.realpath(part.path) for part in ahead.reading.parts))
        results.append((place.index, found))
    return results


def detect_only(place: Place) -> list[str]:
    return _detect(place)


def migrate_only(item: tuple[str, int]) -> Found:
    return _migrate_one(*item)


def _unwalked(place: Place) -> Found:
    from migrate.errors import Location
    from migrate.migration import ERROR

    assert place.problem is not None
    return _not_migrated(place.directory, ERROR, place.problem.reason, Location(Path(place.problem.path)))


def _directory_error(place: Place, error: Exception) -> Found:
    from migrate.errors import Location, MigrationStop
    from migrate.migration import ERROR

    if isinstance(error, MigrationStop):
        return _not_migrated(place.directory, ERROR, error.reason, error.location)
    return _not_migrated(place.directory, ERROR, _internal_error(error), Location(Path(place.directory)))


def find_drivers(paths: Iterable[Path]) -> Iterator[tuple[Path, str | None]]:
    """Every driver under ``paths``, found as a batch finds them but in this process: ``(driver, None)``, or ``(path, problem)``."""
    for path in paths:
        absolute = os.path.abspath(path)
        if not os.path.isdir(absolute):
            yield path, named_file_problem(absolute)
            continue
        real_root = os.path.realpath(absolute)
        found = False
        for place in _places([absolute]):
            if place.problem is not None:
                found = True
                yield Path(place.problem.path), place.problem.reason
                continue
            try:
                drivers = _drivers_of(place, real_root)
            except Exception as error:  # noqa: BLE001 - as in a batch, one directory's failure is its own
                yield Path(place.directory), getattr(error, "reason", None) or _internal_error(error)
                continue
            for driver in drivers:
                found = True
                yield Path(driver), None
        if not found:
            yield path, NO_DRIVER


# -- running it all ------------------------------------------------------------------


class Progress:
    """What the caller wants to hear while the batch runs."""

    def directories(self, walked: int, done: int) -> None:
        """``walked`` directories found so far, ``done`` of them looked at."""

    def project(self, found: Found) -> None:
        """A project's result, in walk order."""


@dataclass
class BatchResult:
    entries: list[dict]
    """Report entries in walk order (see :func:`migrate.report.project_entry`)."""
    changes: list[tuple]
    """Per entry, the file changes to write (empty unless the job keeps them)."""
    roots: list[str | None] = field(default_factory=list)
    """Per entry, its project root: every change must stay in it."""
    explanations: list[dict | None] = field(default_factory=list)
    """Per entry, with ``explain``: what was traced."""
    settled: list = field(default_factory=list)
    """What the run did about journals interrupted writes had left (:class:`migrate.journal.Settled`; only a run that writes settles them)."""


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def run(
    paths: Iterable[Path],
    *,
    keep_legacy: bool = False,
    target_rule: str | None = None,
    keep_changes: bool = False,
    with_diff: bool = True,
    jobs: int | None = None,
    progress: Progress | None = None,
    task: Callable[[list[Place]], list[tuple[int, list[Found]]]] = scan,
    explain: bool = False,
    settle_journals: bool = False,
) -> BatchResult:
    """Find every project under ``paths`` and plan each without writing.

    A path that is a file is a driver by itself; a directory is walked.
    Results come in the order of ``paths``, each root's in walk order, and a
    driver reached twice is reported once.  With ``settle_journals`` (a run
    that will write), the journals interrupted writes left are settled first,
    each before any project of its root is planned (see :mod:`migrate.journal`).
    """
    cwd = os.getcwd()
    progress = progress or Progress()
    _real_directories.clear()
    roots: list[str] = []
    files: list[str] = []
    for path in paths:
        absolute = os.path.abspath(path)
        (roots if os.path.isdir(absolute) else files).append(absolute)
    real_roots = tuple(os.path.realpath(r) for r in roots)
    _set_job(Job(tuple(roots), real_roots, keep_legacy, target_rule, keep_changes, with_diff, cwd, explain))
    settled: list = []
    on_root = None
    if settle_journals:
        from migrate.journal import SettlesOnce

        journals = SettlesOnce(settled)
        for path in files:
            if named_file_problem(path) is None:
                journals.settle_project_of(path, None)
        for root in roots:
            journals.settle_project_of(os.path.join(root, "."), root)
        on_root = journals.settle_root

    by_file = {path: _named_file(path) for path in files}
    root_of_place: dict[int, int] = {}
    tally = _Tally()

    def places() -> Iterator[Place]:
        for place in _places(roots, tally, on_root):
            root_of_place[place.index] = place.root
            yield place

    walked: list[tuple[int, list[Found]]] = []
    _run_places(places(), jobs or default_jobs(), task, walked, progress, tally)
    by_root: dict[int, list[Found]] = {index: [] for index in range(len(roots))}
    for place_index, found in sorted(walked, key=lambda item: item[0]):
        by_root[root_of_place[place_index]] += found

    ordered: list[Found] = []
    for path in paths:
        absolute = os.path.abspath(path)
        if absolute in by_file:
            ordered.append(by_file[absolute])
        else:
            ordered.extend(by_root[roots.index(absolute)] or [_no_driver(absolute)])
    # A script another driver's flow runs is migrated with that flow, unless named on its own.
    seen: set[str] = {script for found in ordered for script in found.followed} - {real_path(path) for path in by_file}
    unique: list[Found] = []
    for found in ordered:
        key = os.path.realpath(found.driver) if os.path.islink(found.driver) else real_path(found.driver)
        if key not in seen:
            seen.add(key)
            unique.append(found)
    return BatchResult(
        [f.entry for f in unique], [f.changes for f in unique], [f.root for f in unique], [f.explanation for f in unique], settled
    )


def named_file_problem(path: str) -> str | None:
    """Why a PATH that is not a directory cannot be read as a driver; None when it can.

    Only a regular file (or a link to one) is read: a FIFO named on the command
    line would block the read forever, and ``/dev/zero`` never ends.
    """
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "no such file or directory"
    except OSError as error:
        return f"cannot read it: {error.strerror}"
    if not stat.S_ISREG(mode):
        return "not a regular file: name a driver file, or a directory to search"
    return None


def _named_file(path: str) -> Found:
    from migrate.errors import Location
    from migrate.migration import ERROR

    problem = named_file_problem(path)
    if problem is None:
        return _migrate_one(path, None)
    return _not_migrated(path, ERROR, problem, Location(Path(path)))


def _no_driver(root: str) -> Found:
    from migrate.migration import NOTHING

    return _not_migrated(root, NOTHING, NO_DRIVER)


def _chunks(places: Iterator[Place], size: int) -> Iterator[list[Place]]:
    chunk: list[Place] = []
    for place in places:
        chunk.append(place)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Tally:
    """Directories the walk listed so far, those of them with nothing to look at, and those looked at."""

    def __init__(self) -> None:
        self.walked = 0
        self.skipped = 0
        self.done = 0

    def report(self, progress: Progress) -> None:
        progress.directories(self.walked, self.skipped + self.done)


def _run_places(places: Iterator[Place], jobs: int, task, results: list, progress: Progress, tally: _Tally) -> None:
    head: list[Place] = []
    for place in places:
        head.append(place)
        if len(head) >= _SERIAL_LIMIT:
            break
    if jobs <= 1 or len(head) < _SERIAL_LIMIT:

        def rest() -> Iterator[Place]:
            yield from head
            yield from places

        for chunk in _chunks(rest(), _CHUNK if jobs <= 1 and len(head) >= _SERIAL_LIMIT else 1):
            for item in task(chunk):
                _report(item, results, progress)
            tally.done += len(chunk)
            tally.report(progress)
        return
    _run_pool(head, places, jobs, task, results, progress, tally)


def _report(item: tuple[int, list[Found]], results: list, progress: Progress) -> None:
    results.append(item)
    for found in item[1]:
        progress.project(found)


def _run_pool(head: list[Place], places: Iterator[Place], jobs: int, task, results: list, progress: Progress, tally: _Tally) -> None:
    _warm_up()

    def all_places() -> Iterator[Place]:
        yield from head
        yield from places

    pool = _Pool(jobs)
    pending: deque = deque()
    try:
        for chunk in _chunks(all_places(), _CHUNK):
            pending.append(pool.submit(task, chunk))
            while len(pending) >= jobs * 4:
                _collect(pending.popleft(), pool, task, results, progress, tally)
        while pending:
            _collect(pending.popleft(), pool, task, results, progress, tally)
    finally:
        pool.close()


class _Pool:
    """The workers, started again when one of them dies."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.generation = 0
        self.executor = self._start()

    def _start(self):
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(self.jobs, mp_context=_fork_context(), initializer=_start_worker, initargs=(_job,))

    def submit(self, task, chunk: list[Place]) -> tuple:
        return chunk, self.executor.submit(task, chunk), self.generation

    def broken(self, generation: int) -> None:
        """A future of ``generation`` failed because its pool died: start a new one, once per death."""
        if generation == self.generation:
            self.executor.shutdown(wait=False)
            self.executor = self._start()
            self.generation += 1

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _collect(item: tuple, pool: _Pool, task, results: list, progress: Progress, tally: _Tally) -> None:
    from concurrent.futures.process import BrokenProcessPool

    chunk, future, generation = item
    try:
        done = future.result()
    except BrokenProcessPool:
        pool.broken(generation)
        done = _isolated(chunk, task)
    for entry in done:
        _report(entry, results, progress)
    tally.done += len(chunk)
    tally.report(progress)


def _isolated(chunk: list[Place], task) -> list[tuple[int, list[Found]]]:
    """Run a chunk whose worker died again, one directory and then one driver at a time."""
    worker = _Solo()
    try:
        results: list[tuple[int, list[Found]]] = []
        for place in chunk:
            ok, value = worker.call(task, [place])
            if ok:
                results.extend(value)
                continue
            ok, drivers = worker.call(detect_only, place)
            if not ok:
                results.append((place.index, [_crash(place.directory)]))
                continue
            found: list[Found] = []
            for driver in drivers:
                ok, value = worker.call(migrate_only, (driver, place.root))
                found.append(value if ok else _crash(driver))
            results.append((place.index, found))
        return results
    finally:
        worker.close()


class _Solo:
    """One worker process, replaced whenever a call kills it."""

    def __init__(self) -> None:
        self.executor = None

    def call(self, function, argument):
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        if self.executor is None:
            self.executor = ProcessPoolExecutor(1, mp_context=_fork_context(), initializer=_start_worker, initargs=(_job,))
        try:
            return True, self.executor.submit(function, argument).result()
        except BrokenProcessPool:
            self.executor.shutdown(wait=False)
            self.executor = None
            return False, None

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)


def _crash(path: str) -> Found:
    from migrate.errors import Location
    from migrate.migration import ERROR

    return _not_migrated(path, ERROR, "dmigrate crashed on this project (the worker process died)", Location(Path(path)))


def _fork_context():
    import multiprocessing

    if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _warm_up() -> None:
    """Import what every worker needs before forking, so that each does not import it again.

    That includes what a single run imports only when a project needs it: in
    a batch, some project will.
    """
    import difflib  # noqa: F401
    import dockerfile_parse.util  # noqa: F401
    import migrate.discover  # noqa: F401
    import migrate.emit  # noqa: F401
    import migrate.emit.makefile  # noqa: F401
    import migrate.emit.shell  # noqa: F401
    import migrate.migration  # noqa: F401
    import migrate.read.gitindex  # noqa: F401
    import migrate.read.makefile  # noqa: F401
    import migrate.read.project  # noqa: F401
    import migrate.read.shell
    import migrate.report  # noqa: F401
    import migrate.trace  # noqa: F401
    import migrate.trace.config  # noqa: F401
    import migrate.trace.context_copies  # noqa: F401
    import migrate.trace.host  # noqa: F401
    import migrate.trace.runs  # noqa: F401

    migrate.read.shell._parser()  # noqa: SLF001 - building the tree-sitter parser once, before the fork
