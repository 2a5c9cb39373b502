"""The emit step: a plan in, the new texts of every file it changes out."""

from __future__ import annotations

from migrate.emit.dockerfile import emit_dockerfile
from migrate.plan import DriverEdit, FileChange, Plan
from migrate.read.dockerignore import DockerIgnore
from migrate.read.ops import DriverReading


def emit(plan: Plan, *, keep_legacy: bool = False) -> tuple[FileChange, ...]:
    final = plan.stages[-1].dockerfile
    changes = [FileChange(plan.merged_dockerfile, final.text(), emit_dockerfile(plan))]
    for reading, edits in _edits_per_file(plan):
        driver_text = _emit_driver(plan, reading, edits, keep_legacy)
        if driver_text != reading.text:
            changes.append(FileChange(reading.path, reading.text, driver_text))
    for path, before, lines in plan.dockerignore:
        changes.append(FileChange(path, before, DockerIgnore(before or "").with_lines(list(lines))))
    if not keep_legacy:
        for stage in plan.stages:
            if stage.dockerfile.path in plan.deleted and all(c.path != stage.dockerfile.path for c in changes):
                changes.append(FileChange(stage.dockerfile.path, stage.dockerfile.text(), None))
    return tuple(changes)


def _edits_per_file(plan: Plan) -> list[tuple[DriverReading, tuple[DriverEdit, ...]]]:
    """A flow can span drivers (a Makefile running ./build.sh): each file gets the edits of its own lines."""
    readings = [plan.driver, *plan.driver.parts]
    grouped: dict[int, list[DriverEdit]] = {index: [] for index in range(len(readings))}
    for edit in plan.driver_edits:
        index = next((i for i, reading in enumerate(readings) if reading.path == edit.site.file), 0)
        grouped[index].append(edit)
    return [(readings[index], tuple(edits)) for index, edits in grouped.items() if edits or index == 0]


def _emit_driver(plan: Plan, driver: DriverReading, edits: tuple[DriverEdit, ...], keep_legacy: bool) -> str:
    kind = driver.kind
    if kind == "make":
        from migrate.emit.makefile import emit_makefile

        deleted = () if keep_legacy else plan.deleted
        return emit_makefile(driver, edits, deleted, plan.merged_dockerfile)
    if kind == "python":
        from migrate.emit.python import emit_python

        return emit_python(driver, edits)
    from migrate.emit.shell import emit_shell

    return emit_shell(driver, edits)
