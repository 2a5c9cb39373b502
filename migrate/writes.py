"""After every project of a run is planned: refuse the plans that share a file, then write the others.

Only the parent process of a batch writes, one project at a time, each all or
nothing through :func:`migrate.change.apply_changes`.
"""

from __future__ import annotations

import os
from pathlib import Path

from migrate.discover.search import RealPaths


def claim_files(entries: list[dict], changes: list[tuple], cwd: Path) -> None:
    """Refuse, in place, every pending project that would change a file another project of the run changes too.

    Each is refused, not only the later one: writing one of them would
    change what the other builds, and the result would depend on the order.
    Two patches to one file would not apply one after the other either.
    """
    from migrate.migration import PENDING, REFUSED

    real_paths = RealPaths()
    owners: dict[str, list[int]] = {}
    paths_of: dict[int, list[str]] = {}
    for index, entry in enumerate(entries):
        if entry["status"] != PENDING:
            continue
        paths_of[index] = [real_paths.of(os.path.abspath(name)) for name in _entry_paths(entry, changes[index], cwd)]
        for path in dict.fromkeys(paths_of[index]):
            owners.setdefault(path, []).append(index)
    for index, paths in paths_of.items():
        clash = next(((path, others) for path in paths if len(others := owners[path]) > 1), None)
        if clash is None:
            continue
        path, sharing = clash
        other = next(entries[i]["driver"] for i in sharing if i != index)
        shown = os.path.relpath(path, cwd)
        entries[index] = stopped(
            entries[index],
            REFUSED,
            shown,
            f"the migration of {other} changes {shown} too, so each would change what the other builds; "
            f"dmigrate changes neither: migrate them one at a time, or make each build its own Dockerfile",
        )
        changes[index] = ()


def _entry_paths(entry: dict, changes: tuple, cwd: Path) -> list[str]:
    if changes:
        return [str(change.path) for change in changes]
    return [os.path.join(cwd, name) for name in entry["changed_files"]]


def write_all(entries: list[dict], changes: list[tuple], roots: list[str | None], *, allow_dirty: bool) -> None:
    """Write every pending project's changes (each project all or nothing, through the one write path), updating its entry."""
    from migrate.change import apply_changes
    from migrate.display import display_location
    from migrate.errors import MigrationStop
    from migrate.migration import MIGRATED, PENDING

    cwd = Path(os.getcwd())
    for index, entry in enumerate(entries):
        if entry["status"] != PENDING or not changes[index]:
            continue
        root = roots[index]
        assert root is not None, "a pending project has a root"
        try:
            apply_changes(changes[index], root, allow_dirty=allow_dirty, driver=Path(cwd, entry["driver"]))
        except MigrationStop as stop:
            entries[index] = stopped(entry, stop.kind, display_location(stop.location, cwd), stop.reason)
            continue
        entries[index] = {**entry, "status": MIGRATED}


def stopped(entry: dict, status: str, location: str, reason: str) -> dict:
    """The entry of a project that ends refused or in error after all."""
    from migrate.migration import REFUSED

    return {
        **entry,
        "status": status,
        "message": reason,
        "location": location,
        "changed_files": [],
        "stages": [],
        "artifacts": [],
        "diff": "",
        "refusals": [{"location": location, "reason": reason}] if status == REFUSED else [],
    }
