"""The emit step: a plan in, the new texts of every file it changes out."""

from __future__ import annotations

from dataclasses import replace

from migrate.emit.dockerfile import emit_dockerfile
from migrate.errors import Location, Refusal
from migrate.plan import DriverEdit, FileChange, Plan
from migrate.read.dockerignore import DockerIgnore
from migrate.read.ops import Build, DriverReading


def emit(plan: Plan, *, keep_legacy: bool = False) -> tuple[FileChange, ...]:
    if not keep_legacy and plan.deleted_named_by:
        deleted, other, line = plan.deleted_named_by[0]
        others = len({str(o) for _, o, _ in plan.deleted_named_by}) - 1
        more = f" (as do {others} more files)" if others > 1 else " (as does 1 more file)" if others else ""
        raise Refusal(
            Location(other, line),
            f"this line names {deleted.name}, which migrating {plan.driver.path.name} deletes{more}, so it would break; "
            f"migrate or change it first, or pass --keep-legacy to keep {deleted.name}",
        )
    from migrate.emit.reparse import check_reads_again

    final = plan.stages[-1].dockerfile
    merged = emit_dockerfile(plan)
    check_reads_again(plan.merged_dockerfile, "dockerfile", merged)
    changes = [FileChange(plan.merged_dockerfile, final.text(), merged)]
    for reading, edits in _edits_per_file(plan):
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


def _edits_per_file(plan: Plan) -> list[tuple[DriverReading, tuple[DriverEdit, ...]]]:
    """A flow can span drivers (a Makefile running ./build.sh): each file gets the edits of its own lines."""
    readings = [plan.driver, *plan.driver.parts]
    grouped: dict[int, list[DriverEdit]] = {index: [] for index in range(len(readings))}
    for edit in plan.driver_edits:
        index = next((i for i, reading in enumerate(readings) if reading.path == edit.site.file), 0)
        grouped[index].append(edit)
    return [
        (readings[index], tuple(_carried(edit, plan.driver, readings, readings[index]) for edit in edits))
        for index, edits in grouped.items()
        if edits or index == 0
    ]


def _carried(edit: DriverEdit, driver: DriverReading, readings: list[DriverReading], destination: DriverReading) -> DriverEdit:
    """Build args moved from one driver file to another of a different kind, written in the receiving file's syntax.

    ``$(VERSION)`` means something else to a shell, and ``$VERSION`` to make:
    a value known now is written out literally; anything else is refused.
    """
    if edit.action != "add-build-args" or len(readings) == 1:
        return edit
    import re
    import shlex

    kinds = {reading.path: reading.kind for reading in readings}
    texts = []
    for text in edit.texts:
        found = None
        renamed = re.match(r"^--build-arg ([A-Za-z_][A-Za-z0-9_]*)=(.*)$", text, re.S)
        for operation in driver.operations:
            if not isinstance(operation, Build):
                continue
            for arg in operation.build_args:
                if arg.text == text:
                    found = (operation, arg, arg.name)
                elif renamed and arg.value is not None and arg.value.text == renamed.group(2):
                    found = found or (operation, arg, renamed.group(1))
        if found is None or kinds.get(found[0].site.file, destination.kind) == destination.kind:
            texts.append(text)
            continue
        operation, arg, name = found
        if arg.value is None:
            written = f"--build-arg {name}"
        elif arg.value.known:
            written = "--build-arg " + shlex.quote(f"{name}={arg.value.key}")
        else:
            raise Refusal(
                Location(operation.site.file, operation.site.line),
                f"the build arg {name} gets its value from {operation.site.file.name}, which {destination.path.name} cannot read",
            )
        texts.append(written.replace("$", "$$") if destination.kind == "make" else written)
    return replace(edit, texts=tuple(texts))


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
