"""One project's migration, end to end: read → trace → emit → change.

Every outcome, including bad input and refusals, comes back as an
:class:`Outcome`; nothing here prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from migrate.errors import InputError, Location, MigrationStop
from migrate.plan import FileChange, Plan

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


@dataclass(frozen=True)
class Outcome:
    driver: Path
    status: str
    message: str = ""
    location: Location | None = None
    changes: tuple[FileChange, ...] = ()
    plan: Plan | None = field(default=None, compare=False)

    @property
    def changed_files(self) -> tuple[Path, ...]:
        return tuple(change.path for change in self.changes if change.before != change.after)


def migrate_driver(driver: Path, options: Options) -> Outcome:
    try:
        return _migrate(driver, options)
    except MigrationStop as stop:
        status = REFUSED if stop.kind == REFUSED else ERROR
        return Outcome(driver, status, stop.reason, stop.location)
    except RecursionError:
        return Outcome(driver, ERROR, "the driver nests too deeply to read", Location(driver))


def _migrate(driver: Path, options: Options) -> Outcome:
    from migrate.emit import emit
    from migrate.read.project import read_project
    from migrate.trace import trace

    if options.target_rule is not None and not driver.name.lower().endswith(("makefile", ".mk")):
        raise InputError(Location(driver), "--target-rule applies to Makefile drivers only")
    reading = read_project(driver, options.target_rule)
    plan = trace(reading)
    if not isinstance(plan, Plan):
        return Outcome(driver, NOTHING, plan.reason)
    changes = emit(plan, keep_legacy=options.keep_legacy)
    changes = tuple(change for change in changes if change.before != change.after)
    if not changes:
        return Outcome(driver, NOTHING, "the migration changes nothing", plan=plan)
    if not options.write:
        return Outcome(driver, PENDING, _summary(changes), changes=changes, plan=plan)
    from migrate.change import check_clean, write_changes

    if not options.allow_dirty:
        check_clean(changes)
    write_changes(changes)
    return Outcome(driver, MIGRATED, _summary(changes), changes=changes, plan=plan)


def _summary(changes: tuple[FileChange, ...]) -> str:
    from migrate.change import describe_changes

    return describe_changes(changes, Path(os.getcwd()))
