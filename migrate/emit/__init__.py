"""The emit step: a plan in, the new texts of every file it changes out.

Emit only writes: every decision (and every refusal) was made in trace.
What an emitter cannot write faithfully stops it with an
:class:`~migrate.emit.failure.EmitFailure`.
"""

from __future__ import annotations

from migrate.emit.dockerfile import emit_dockerfile
from migrate.plan import DriverEdit, FileChange, Plan
from migrate.read.dockerignore import DockerIgnore
from migrate.read.ops import DriverReading


def emit(plan: Plan, *, keep_legacy: bool = False) -> tuple[FileChange, ...]:
    from migrate.emit.reparse import check_reads_again

    final = plan.stages[-1].dockerfile
    merged = emit_dockerfile(plan)
    check_reads_again(plan.merged_dockerfile, "dockerfile", merged)
    changes = [FileChange(plan.merged_dockerfile, final.text(), merged)]
    for reading, edits in plan.edits_by_file():
        driver_text = _emit_driver(plan, reading, edits, keep_legacy)
        if driver_text != reading.text:
            check_reads_again(reading.path, reading.kind, driver_text)
            changes.append(FileChange(reading.path, reading.text, driver_text))
    for path, before, lines in plan.dockerignore:
        changes.append(FileChange(path, before, DockerIgnore(before or "").with_lines(list(lines))))
    if not keep_legacy:
        for stage in plan.stages:
            if stage.dockerfile.path in plan.deleted and all(c.path != stage.dockerfile.path for c in changes):
                changes.append(FileChange(stage.dockerfile.path, stage.dockerfile.text(), None))
        for path, text in plan.deleted_texts:
            if all(c.path != path for c in changes):
                changes.append(FileChange(path, text, None))
    return tuple(changes)


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
