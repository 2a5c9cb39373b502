"""Many projects at once: migrate every driver the walk finds, in a pool of workers.

The parent process walks the roots (:mod:`migrate.discover`) and streams
the directories that hold files which may be drivers, with those names from
its listing, in walk order to a pool of forked workers.  A worker finds the
drivers among them (:func:`migrate.discover.drivers_of`), migrates them
without writing through the one pipeline (:func:`migrate.migration.migrate_driver`,
reading each file once: the migration takes what discovery read) and sends
back only a report entry (see :func:`migrate.report.project_entry`) with the
diff already made.  Only the parent writes (:mod:`migrate.writes`), after
checking that no two projects change the same file, so that parallel runs
cannot race and a combined patch always applies.

What a worker needs to know of the run travels with each task (a
:class:`Job`), never through a module's globals.

A worker that dies (a crash in a parser, the kernel's OOM killer) takes down
only what it held: those directories are run again one at a time in a fresh
worker, and the project that still kills it is reported as an error.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.discover.search import NO_DRIVER, RealPaths, drivers_of, internal_error, named_file_problem

if TYPE_CHECKING:
    from migrate.discover.walk import Place, WalkCount
    from migrate.read.project import ReadAhead

_SERIAL_LIMIT = 48
"""Fewer directories than this are done in this process: starting workers would cost more."""
_CHUNK = 48
"""Directories per task: enough to hide the cost of a round trip to a worker."""


# -- one directory, in a worker ----------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What a worker needs to know of the run; it travels with every task."""

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


Task = Callable[[Job, "list[Place]"], "list[tuple[int, list[Found]]]"]
"""What a worker does with a chunk of places: the results by place index."""


def _start_worker() -> None:
    import signal

    # Ctrl-C is the parent's to handle; a worker just finishes its task.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _migrate_one(job: Job, driver: str, root: int | None, read_ahead: Mapping[str, ReadAhead] | None = None) -> Found:
    from migrate.errors import Location
    from migrate.migration import ERROR, PENDING, Options, migrate_driver
    from migrate.report import project_entry

    path = Path(driver)
    fallback = job.real_roots[root] if root is not None else None
    options = Options(write=False, keep_legacy=job.keep_legacy, target_rule=job.target_rule, fallback_root=fallback)
    explanation = None
    try:
        outcome = migrate_driver(path, options, read_ahead=read_ahead)
        entry = project_entry(outcome, Path(job.cwd), with_diff=job.with_diff)
        if job.explain:
            from migrate.explain import explain_outcome

            explanation = explain_outcome(outcome, Path(job.cwd))
    except Exception as error:  # noqa: BLE001 - one project's bug must not stop the others
        return _not_migrated(job, driver, ERROR, internal_error(error), Location(path))
    changes = outcome.changes if job.keep_changes and outcome.status == PENDING else ()
    return Found(driver, entry, changes, root=outcome.root, explanation=explanation)


def _not_migrated(job: Job, path: str, status: str, message: str, location=None) -> Found:
    """The result for ``path`` when there is no migration to report: an error, or nothing to do."""
    from migrate.migration import Outcome
    from migrate.report import project_entry

    outcome = Outcome(Path(path), status, message, location)
    explanation = None
    if job.explain:
        from migrate.explain import explain_outcome

        explanation = explain_outcome(outcome, Path(job.cwd))
    return Found(path, project_entry(outcome, Path(job.cwd)), explanation=explanation)


def scan(job: Job, chunk: list[Place]) -> list[tuple[int, list[Found]]]:
    """The worker's task: find and migrate the drivers of each directory, reading each file once."""
    results: list[tuple[int, list[Found]]] = []
    for place in chunk:
        if place.problem is not None:
            results.append((place.index, [_unwalked(job, place)]))
            continue
        read_ahead: dict = {}
        try:
            drivers = drivers_of(place, job.real_roots[place.root], read_ahead)
        except Exception as error:  # noqa: BLE001
            results.append((place.index, [_directory_error(job, place, error)]))
            continue
        found = [_migrate_one(job, driver, place.root, read_ahead) for driver in drivers]
        for index, driver in enumerate(drivers):
            ahead = read_ahead.get(driver)
            if ahead is not None and ahead.reading is not None and ahead.reading.parts:
                found[index] = replace(found[index], followed=tuple(os.path.realpath(part.path) for part in ahead.reading.parts))
        results.append((place.index, found))
    return results


def detect_only(job: Job, place: Place) -> list[str]:
    return drivers_of(place, job.real_roots[place.root])


def migrate_only(job: Job, item: tuple[str, int]) -> Found:
    return _migrate_one(job, *item)


def _unwalked(job: Job, place: Place) -> Found:
    from migrate.errors import Location
    from migrate.migration import ERROR

    assert place.problem is not None
    return _not_migrated(job, place.directory, ERROR, place.problem.reason, Location(Path(place.problem.path)))


def _directory_error(job: Job, place: Place, error: Exception) -> Found:
    from migrate.errors import Location, MigrationStop
    from migrate.migration import ERROR

    if isinstance(error, MigrationStop):
        return _not_migrated(job, place.directory, ERROR, error.reason, error.location)
    return _not_migrated(job, place.directory, ERROR, internal_error(error), Location(Path(place.directory)))


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
    task: Task = scan,
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
    roots: list[str] = []
    files: list[str] = []
    for path in paths:
        absolute = os.path.abspath(path)
        (roots if os.path.isdir(absolute) else files).append(absolute)
    real_roots = tuple(os.path.realpath(r) for r in roots)
    job = Job(tuple(roots), real_roots, keep_legacy, target_rule, keep_changes, with_diff, cwd, explain)
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

    by_file = {path: _named_file(job, path) for path in files}
    root_of_place: dict[int, int] = {}
    walked: list[tuple[int, list[Found]]] = []
    if roots:
        from migrate.discover.walk import WalkCount, places

        count = WalkCount()

        def walked_places() -> Iterator[Place]:
            for place in places(roots, count, on_root):
                root_of_place[place.index] = place.root
                yield place

        walked = _Runner(job, task, progress, count).run(walked_places(), jobs or default_jobs())
    by_root: dict[int, list[Found]] = {index: [] for index in range(len(roots))}
    for place_index, found in sorted(walked, key=lambda item: item[0]):
        by_root[root_of_place[place_index]] += found

    ordered: list[Found] = []
    for path in paths:
        absolute = os.path.abspath(path)
        if absolute in by_file:
            ordered.append(by_file[absolute])
        else:
            ordered.extend(by_root[roots.index(absolute)] or [_no_driver(job, absolute)])
    # A script another driver's flow runs is migrated with that flow, unless named on its own.
    real_paths = RealPaths()
    seen: set[str] = {script for found in ordered for script in found.followed} - {real_paths.of(path) for path in by_file}
    unique: list[Found] = []
    for found in ordered:
        key = os.path.realpath(found.driver) if os.path.islink(found.driver) else real_paths.of(found.driver)
        if key not in seen:
            seen.add(key)
            unique.append(found)
    return BatchResult(
        [f.entry for f in unique], [f.changes for f in unique], [f.root for f in unique], [f.explanation for f in unique], settled
    )


def _named_file(job: Job, path: str) -> Found:
    from migrate.errors import Location
    from migrate.migration import ERROR

    problem = named_file_problem(path)
    if problem is None:
        return _migrate_one(job, path, None)
    return _not_migrated(job, path, ERROR, problem, Location(Path(path)))


def _no_driver(job: Job, root: str) -> Found:
    from migrate.migration import NOTHING

    return _not_migrated(job, root, NOTHING, NO_DRIVER)


def _chunks(places: Iterator[Place], size: int) -> Iterator[list[Place]]:
    chunk: list[Place] = []
    for place in places:
        chunk.append(place)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Runner:
    """Runs the walked places through the task: here when they are few, else in a pool of forked workers."""

    def __init__(self, job: Job, task: Task, progress: Progress, count: WalkCount) -> None:
        self.job = job
        self.task = task
        self.progress = progress
        self.count = count
        self.done = 0
        """Directories looked at (those with nothing to look at are in ``count.empty``)."""
        self.results: list[tuple[int, list[Found]]] = []

    def run(self, places: Iterator[Place], jobs: int) -> list[tuple[int, list[Found]]]:
        head: list[Place] = []
        for place in places:
            head.append(place)
            if len(head) >= _SERIAL_LIMIT:
                break

        def all_places() -> Iterator[Place]:
            yield from head
            yield from places

        if jobs <= 1 or len(head) < _SERIAL_LIMIT:
            for chunk in _chunks(all_places(), _CHUNK if jobs <= 1 and len(head) >= _SERIAL_LIMIT else 1):
                self._report(self.task(self.job, chunk), chunk)
        else:
            self._in_pool(all_places(), jobs)
        return self.results

    def _report(self, done: list[tuple[int, list[Found]]], chunk: list[Place]) -> None:
        for item in done:
            self.results.append(item)
            for found in item[1]:
                self.progress.project(found)
        self.done += len(chunk)
        self.progress.directories(self.count.walked, self.count.empty + self.done)

    def _in_pool(self, places: Iterator[Place], jobs: int) -> None:
        from functools import partial

        _warm_up()
        pool = _Pool(jobs)
        task = partial(self.task, self.job)
        pending: deque = deque()
        try:
            for chunk in _chunks(places, _CHUNK):
                pending.append(pool.submit(task, chunk))
                while len(pending) >= jobs * 4:
                    self._collect(pending.popleft(), pool)
            while pending:
                self._collect(pending.popleft(), pool)
        finally:
            pool.close()

    def _collect(self, item: tuple, pool: _Pool) -> None:
        from concurrent.futures.process import BrokenProcessPool

        chunk, future, generation = item
        try:
            done = future.result()
        except BrokenProcessPool:
            pool.broken(generation)
            done = self._isolated(chunk)
        self._report(done, chunk)

    def _isolated(self, chunk: list[Place]) -> list[tuple[int, list[Found]]]:
        """Run a chunk whose worker died again, one directory and then one driver at a time."""
        from functools import partial

        job = self.job
        worker = _Solo()
        try:
            results: list[tuple[int, list[Found]]] = []
            for place in chunk:
                ok, value = worker.call(partial(self.task, job), [place])
                if ok:
                    results.extend(value)
                    continue
                ok, drivers = worker.call(partial(detect_only, job), place)
                if not ok:
                    results.append((place.index, [_crash(job, place.directory)]))
                    continue
                found: list[Found] = []
                for driver in drivers:
                    ok, value = worker.call(partial(migrate_only, job), (driver, place.root))
                    found.append(value if ok else _crash(job, driver))
                results.append((place.index, found))
            return results
        finally:
            worker.close()


class _Pool:
    """The workers, started again when one of them dies."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.generation = 0
        self.executor = self._start()

    def _start(self):
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(self.jobs, mp_context=_fork_context(), initializer=_start_worker)

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


class _Solo:
    """One worker process, replaced whenever a call kills it."""

    def __init__(self) -> None:
        self.executor = None

    def call(self, function, argument):
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        if self.executor is None:
            self.executor = ProcessPoolExecutor(1, mp_context=_fork_context(), initializer=_start_worker)
        try:
            return True, self.executor.submit(function, argument).result()
        except BrokenProcessPool:
            self.executor.shutdown(wait=False)
            self.executor = None
            return False, None

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)


def _crash(job: Job, path: str) -> Found:
    from migrate.errors import Location
    from migrate.migration import ERROR

    return _not_migrated(job, path, ERROR, "dmigrate crashed on this project (the worker process died)", Location(Path(path)))


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
    import migrate.read.host_args  # noqa: F401
    import migrate.trace.runs  # noqa: F401

    migrate.read.shell._parser()  # noqa: SLF001 - building the tree-sitter parser once, before the fork
