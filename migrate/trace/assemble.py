"""Turn a traced :class:`~migrate.trace.flow.Flow` into a :class:`~migrate.plan.Plan`.

The orchestrator of the plan's parts, each decided by its own module:

- :mod:`~migrate.trace.participants`: which containers and builds the migrated flow replaces, and the runtime build;
- :mod:`~migrate.trace.stage_names`: what the merged stages are called;
- :mod:`~migrate.trace.run_stages`: the stages that replace ``docker run``\\s;
- :mod:`~migrate.trace.copy_edits`: how each consuming COPY reads its artifact from a stage;
- :mod:`~migrate.trace.ignore_plan`: the merged context and its ``.dockerignore``;
- :mod:`~migrate.trace.stage_plans` and :mod:`~migrate.trace.args`: the stages in order, and how the builds' args share one ``docker build``;
- :mod:`~migrate.trace.driver_edits`: which driver steps go, and what the runtime build passes now;
- :mod:`~migrate.trace.notes`: the decisions the plan shows.

Every case it cannot prove equivalent is a :class:`~migrate.errors.Refusal`.
"""

from __future__ import annotations

from pathlib import Path

from migrate.plan import NothingToDo, Plan, RemoveStep
from migrate.trace.args import ArgMerge, taken_arg_names
from migrate.trace.copy_edits import CopyEdits
from migrate.trace.driver_edits import DriverEdits, tag_users
from migrate.trace.flow import Flow
from migrate.trace.ignore_plan import check_migrated_files, dockerignore_change, plan_build_contexts, stale_copy_lines
from migrate.trace.make_goals import check_other_goals
from migrate.trace.moved_builds import check_steps_before_moved_builds, moved_reads
from migrate.trace.notes import notes_once
from migrate.trace.participants import check_build_flags, check_guards, check_unread_extractions, find_participants, nothing_to_do
from migrate.trace.run_stages import plan_runs
from migrate.trace.stage_names import name_stages
from migrate.trace.stage_plans import directives, plan_stages


class Assembler:
    def __init__(self, flow: Flow, *, keep_legacy: bool = False) -> None:
        self.flow = flow
        self.keep_legacy = keep_legacy
        """``--keep-legacy``: the build Dockerfiles the merged one replaces stay."""
        self.reading = flow.reading
        self.decisions = list(flow.decisions)
        self.warnings = list(flow.warnings)

    def assemble(self) -> Plan | NothingToDo:
        flow, facts, driver = self.flow, self.reading.facts, self.reading.driver
        nothing = nothing_to_do(flow)
        if nothing is not None:
            return nothing
        check_unread_extractions(flow, self.decisions)
        participants = find_participants(flow)
        builders, final, merged = participants.builders, participants.final, participants.merged
        check_guards(flow, participants)
        check_build_flags(flow, participants)
        names = name_stages(flow, merged, final)
        taken_args = taken_arg_names(merged)
        runs = plan_runs(flow, participants, names, taken_args, self.decisions)
        copies = CopyEdits(flow, names, runs, self.decisions)
        copy_edits = copies.by_stage()
        ignore_lines, replaced = stale_copy_lines(flow, final, copies.made_by_flow)
        contexts = plan_build_contexts(flow, merged, final, runs, copy_edits, ignore_lines, replaced, self.decisions)
        users = tag_users(flow, participants)
        arg_plan = ArgMerge(flow, merged, final, names.of, taken_args, retargeted=lambda image: image in users, runs=runs.values())
        arg_plan.run()
        stage_plans, global_args, build_args = plan_stages(flow, participants, names, runs, copy_edits, contexts, arg_plan)
        driver_edits = DriverEdits(flow, participants, users, self.decisions).plan(names, build_args)
        removed = {edit.site for edit in driver_edits if isinstance(edit, RemoveStep)}
        extracting = {e.site: e.host_path for e in flow.extractions if e.container in participants.states}
        check_other_goals(driver, extracting, final.build.site, removed)
        self.warnings += check_steps_before_moved_builds(flow, moved_reads(builders, participants.states, driver.operations), final, removed)
        artifacts = copies.artifacts()
        deleted = tuple(Path(image.dockerfile_path) for image in builders if image.dockerfile_path != final.dockerfile_path and image not in users)
        # BuildKit reads Dockerfile.build.dockerignore only for Dockerfile.build: once that goes, nothing reads it.
        own_ignores = tuple((Path(ignore), facts.texts[ignore]) for path in deleted if (ignore := f"{path}.dockerignore") in facts.texts)
        deleted += tuple(path for path, _ in own_ignores)
        dockerignore = dockerignore_change(flow, final, ignore_lines, contexts.ignore_lines, self.decisions)
        driver_files = {str(edit.site.file) for edit in driver_edits}
        if driver.kind == "make" and not self.keep_legacy and any(path.name in driver.text for path in deleted):
            driver_files.add(str(driver.path))  # its prerequisites on the deleted Dockerfiles are rewritten
        check_migrated_files(flow, final, driver_files, () if self.keep_legacy else deleted, dockerignore, runs, self.decisions)
        return Plan(
            driver=driver,
            merged_dockerfile=Path(final.dockerfile_path),
            directives=directives(flow, merged, bool(runs), self.decisions),
            global_args=global_args,
            stages=stage_plans,
            artifacts=artifacts,
            driver_edits=driver_edits,
            deleted=tuple(dict.fromkeys(deleted)),
            deleted_texts=own_ignores,
            dockerignore=dockerignore,
            decisions=notes_once(self.decisions + contexts.decisions, self.reading),
            warnings=tuple(dict.fromkeys(self.warnings)),
        )
