"""One project's migration, end to end: read → trace → emit → change.

This is the only pipeline: the default command, ``--dry-run``, ``--check``,
``--explain`` and ``--verify`` all take their result from
:func:`migrate_driver`, and every write goes through
:func:`migrate.change.apply_changes`.  Every outcome, including bad input and
refusals, comes back as an :class:`Outcome` that keeps what was read and
traced up to where it stopped; nothing here prints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.errors import InputError, Location, MigrationStop
from migrate.plan import FileChange, Plan

if TYPE_CHECKING:
    from migrate.read.project import ReadAhead

MIGRATED = "migrated"
PENDING = "pending"
NOTHING = "nothing to do"
REFUSED = "refused"
ERROR = "error"


@dataclass(frozen=True)
class Options:
    write: bool = False
    """Apply the change (the default command); otherwise only compute it."""
    allow_dirty: bool = False
    keep_legacy: bool = False
    target_rule: str | None = None
    fallback_root: str | None = None
    """The directory a run searched: the project root of a driver outside git (see :mod:`migrate.read.boundary`)."""


@dataclass(frozen=True)
class Outcome:
    driver: Path
    status: str
    message: str = ""
    location: Location | None = None
    changes: tuple[FileChange, ...] = ()
    plan: Plan | None = field(default=None, compare=False)
    root: str | None = field(default=None, compare=False)
    """The project root every file read, written or deleted lies in."""
    reading: Any = field(default=None, compare=False)
    """The :class:`~migrate.read.project.ProjectReading`, when reading got that far."""
    flow: Any = field(default=None, compare=False)
    """The :class:`~migrate.trace.flow.Flow` as far as it was traced (up to a refusal)."""
    settled: tuple[str, ...] = field(default=(), compare=False)
    """What this run did about journals an interrupted write left (see :mod:`migrate.journal`)."""

    @property
    def changed_files(self) -> tuple[Path, ...]:
        return tuple(change.path for change in self.changes if change.before != change.after)


class _Progress:
    """What the pipeline had made when it stopped."""

    def __init__(self) -> None:
        self.root: str | None = None
        self.reading = None
        self.flow = None
        self.settled: tuple[str, ...] = ()

    def outcome(self, driver: Path, status: str, message: str = "", location: Location | None = None, **more) -> Outcome:
        return Outcome(
            driver, status, message, location, root=self.root, reading=self.reading, flow=self.flow, settled=self.settled, **more
        )


def migrate_driver(driver: Path, options: Options, read_ahead: Mapping[str, ReadAhead] | None = None) -> Outcome:
    """Migrate one driver; ``read_ahead`` holds what discovery already read of its directory (see :class:`~migrate.read.project.ReadAhead`)."""
    progress = _Progress()
    try:
        return _migrate(driver, options, progress, read_ahead or {})
    except MigrationStop as stop:
        status = REFUSED if stop.kind == REFUSED else ERROR
        return progress.outcome(driver, status, stop.reason, stop.location)
    except RecursionError:
        return progress.outcome(driver, ERROR, "the driver nests too deeply to read", Location(driver))


def _migrate(driver: Path, options: Options, progress: _Progress, read_ahead: Mapping[str, ReadAhead]) -> Outcome:
    from migrate.change import apply_changes, check_targets
    from migrate.emit import emit
    from migrate.read.boundary import project_root
    from migrate.read.project import read_project, reading_ahead
    from migrate.trace import trace

    if options.target_rule is not None and not driver.name.lower().endswith(("makefile", ".mk")):
        raise InputError(Location(driver), "--target-rule applies to Makefile drivers only")
    progress.root = project_root(driver, options.fallback_root)
    _settle_journals(progress, write=options.write)
    with reading_ahead(read_ahead):
        reading = read_project(driver, options.target_rule, progress.root)
    progress.reading = reading

    def traced(flow) -> None:
        progress.flow = flow

    plan = trace(reading, on_flow=traced, keep_legacy=options.keep_legacy)
    if not isinstance(plan, Plan):
        return progress.outcome(driver, NOTHING, plan.reason)
    changes = emit(plan, keep_legacy=options.keep_legacy)
    changes = tuple(change for change in changes if change.before != change.after)
    if not changes:
        return progress.outcome(driver, NOTHING, "the migration changes nothing", plan=plan)
    check_targets(changes, reading.facts.root)
    if not options.write:
        return progress.outcome(driver, PENDING, _summary(changes), changes=changes, plan=plan)
    apply_changes(changes, reading.facts.root, allow_dirty=options.allow_dirty, driver=driver)
    return progress.outcome(driver, MIGRATED, _summary(changes), changes=changes, plan=plan)


def _settle_journals(progress: _Progress, *, write: bool) -> None:
    """A journal an interrupted write left is settled first when this run writes; otherwise the project waits for it."""
    from migrate import journal

    root = progress.root
    assert root is not None
    if write:
        settled = journal.settle(root)
        progress.settled = tuple(item.message for item in settled)
        stuck = next((item for item in settled if item.done == "stuck"), None)
        if stuck is not None:
            raise InputError(Location(stuck.journal), stuck.message)
        return
    waiting = journal.pending_journals(root)
    if waiting:
        raise InputError(Location(waiting[0]), journal.WAITING)


def _summary(changes: tuple[FileChange, ...]) -> str:
    from migrate.change import describe_changes

    return describe_changes(changes, Path(os.getcwd()))
