"""The merged build's context: its ``.dockerignore`` lines, the rebased builds, and the files the migration changes in it.

A ``COPY . .`` the runtime build keeps must not pick up a stale host copy of
an artifact (now copied from its stage), so the merged ``.dockerignore``
leaves those out; the build images' contexts are rebased onto the runtime
build's (:mod:`migrate.trace.contexts`); and no file the migration rewrites or
deletes may reach the image (:mod:`migrate.trace.context_copies`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path

from migrate.plan import InstructionEdit
from migrate.read.dockerignore import DockerIgnore
from migrate.read.ops import Site, where
from migrate.trace.context_copies import check_changed_files
from migrate.trace.contexts import ContextPlan, ContextRefused, Seed, ignore_of, plan_contexts
from migrate.trace.flow import BuiltImage, Consumption, Flow
from migrate.trace.paths import is_under
from migrate.trace.runs import RunStage

DockerignoreChange = tuple[tuple[Path, str | None, tuple[str, ...]], ...]
"""``.dockerignore`` files to extend: path, current text (None when absent), lines to add."""


def stale_copy_lines(flow: Flow, final: BuiltImage, made_by_flow: Callable[[Consumption], bool]) -> tuple[list[str], set[str]]:
    """Lines that keep stale host copies of artifacts out of a kept ``COPY . .``, and the paths they leave out."""
    lines: list[str] = []
    replaced: set[str] = set()
    for consumption in flow.consumptions:
        if consumption.image is not final or consumption.relation != "directory" or made_by_flow(consumption):
            continue
        host = consumption.extraction.host_path
        relative = posixpath.relpath(host, final.context)
        if flow.reading.facts.existed_before_run(host) == "dir":
            raise flow.refusal(
                consumption.extraction.site,
                f"{relative} holds files git tracks, and the extracted artifact is merged into them",
            )
        line = "/" + relative
        if line not in lines:
            lines.append(line)
        replaced.add(host)
    return lines, replaced


def plan_build_contexts(
    flow: Flow,
    merged: tuple[BuiltImage, ...],
    final: BuiltImage,
    runs: dict[int, RunStage],
    copy_edits: dict[tuple[int, int], list[InstructionEdit]],
    ignore_lines: list[str],
    replaced: set[str],
    decisions: list[str],
) -> ContextPlan:
    """The build images' COPYs rebased onto the runtime build's context, and what the merged ``.dockerignore`` then needs."""
    facts = flow.reading.facts
    seeds = [Seed(mount.host_path, f"the bind mount at {mount.target}") for run in runs.values() for mount in run.state.mounts if mount.seeded]
    busy = {(position, edit.instruction.line) for (position, _), edits in copy_edits.items() for edit in edits}
    try:
        plan = plan_contexts(list(merged), final, facts, seeds, busy, ignore_lines, replaced)
    except ContextRefused as refused:
        if refused.image is None:
            site = next((run.state.op.site for run in runs.values() if run.state.mounts), final.build.site)
        elif refused.line is None:
            site = refused.image.build.site
        else:
            site = Site(refused.image.dockerfile.path, refused.line, None)
        raise flow.refusal(site, refused.reason) from None
    git = posixpath.join(facts.root, ".git")
    text = DockerIgnore(ignore_of(final, facts)[0] or "").with_lines(ignore_lines + plan.ignore_lines)
    for seed in seeds:
        if is_under(git, seed.host_path) and is_under(git, final.context) and DockerIgnore(text).excludes(posixpath.relpath(git, final.context)):
            decisions.append(f"{seed.what} showed the build the project's .git, which .dockerignore keeps out of the stage's copy of the project")
    return plan


def dockerignore_change(flow: Flow, final: BuiltImage, stale: list[str], rebased: list[str], decisions: list[str]) -> DockerignoreChange:
    """The merged build's ``.dockerignore`` with the lines it needs: rebased rules first, then stale artifacts."""
    facts = flow.reading.facts
    text, path = ignore_of(final, facts)
    existing = DockerIgnore(text or "")
    missing = [line for line in stale if not existing.excludes(line)]
    if missing:
        decisions.append(f"added {', '.join(missing)} to {facts.relative(path)} so that a stale local copy cannot reach the image")
    lines = tuple(dict.fromkeys(rebased + missing))
    return ((Path(path), text, lines),) if lines else ()


def check_migrated_files(
    flow: Flow,
    final: BuiltImage,
    driver_files: set[str],
    deleted: tuple[Path, ...],
    dockerignore: DockerignoreChange,
    runs: dict[int, RunStage],
    decisions: list[str],
) -> None:
    """The files the migration changes must not reach the final image; a run stage that mounted them sees them changed."""
    facts = flow.reading.facts
    changed = check_changed_files(flow, final, driver_files, deleted, dockerignore)
    for run in runs.values():
        for mount in run.state.mounts:
            inside = sorted(facts.relative(p) for p in changed if is_under(p, mount.host_path) and mount.seeded)
            if inside:
                decisions.append(
                    f"{where(mount.site)}: the stage {run.name} sees the project as migrated at {mount.target}: "
                    f"{', '.join(inside)} changed or gone"
                )
