"""The emit step: a plan in, the new texts of every file it changes out."""

from __future__ import annotations

from migrate.emit.dockerfile import emit_dockerfile
from migrate.plan import FileChange, Plan
from migrate.read.dockerignore import DockerIgnore


def emit(plan: Plan, *, keep_legacy: bool = False) -> tuple[FileChange, ...]:
    final = plan.stages[-1].dockerfile
    changes = [FileChange(plan.merged_dockerfile, final.text(), emit_dockerfile(plan))]
    driver_text = _emit_driver(plan)
    if driver_text != plan.driver.text:
        changes.append(FileChange(plan.driver.path, plan.driver.text, driver_text))
    for path, before, lines in plan.dockerignore:
        changes.append(FileChange(path, before, DockerIgnore(before or "").with_lines(list(lines))))
    if not keep_legacy:
        for stage in plan.stages:
            if stage.dockerfile.path in plan.deleted and all(c.path != stage.dockerfile.path for c in changes):
                changes.append(FileChange(stage.dockerfile.path, stage.dockerfile.text(), None))
    return tuple(changes)


def _emit_driver(plan: Plan) -> str:
    kind = plan.driver.kind
    if kind == "make":
        from migrate.emit.makefile import emit_makefile

        return emit_makefile(plan.driver, plan.driver_edits)
    if kind == "python":
        from migrate.emit.python import emit_python

        return emit_python(plan.driver, plan.driver_edits)
    from migrate.emit.shell import emit_shell

    return emit_shell(plan.driver, plan.driver_edits)
