"""Every ``docker run`` whose files are read becomes a stage of the merged Dockerfile (see :mod:`migrate.trace.runs`).

This module decides which runs those are, what each stage is called and
built on, and refuses a run that cannot become one.
"""

from __future__ import annotations

import shlex

from migrate.read.ops import where
from migrate.trace.args import driver_kind, fresh_arg_name
from migrate.trace.flow import ContainerState, Flow
from migrate.trace.owners import official_runs_as_root
from migrate.trace.participants import Participants, built_as_root
from migrate.trace.runs import RunRefused, RunStage, plan_run_stage
from migrate.trace.stage_names import StageNames
from migrate.trace.stages import normalise_stage_name, stage_writes_below
from migrate.trace.volumes import check_run_volumes


def plan_runs(flow: Flow, participants: Participants, names: StageNames, taken_args: set[str], decisions: list[str]) -> dict[int, RunStage]:
    """A stage for every container whose files are read after its command ran, by ``id`` of the container."""
    facts = flow.reading.facts
    runs: dict[int, RunStage] = {}
    for state in participants.states:
        if not any(e.from_run and (e.consumptions or e.via != "bind mount") for e in flow.extractions if e.container is state):
            continue
        site = state.op.site
        if state.problems:
            raise flow.refusal(site, f"this run cannot become a build stage: {state.problems[0]}")
        if state.runs > 1:
            raise flow.refusal(state.controls[-1].site if state.controls else site, "the container runs its command more than once")
        argv, why = flow.command_of(state)
        if argv is None:
            raise flow.refusal(site, f"this run cannot become a build stage: {why}")
        if not argv:
            raise flow.refusal(site, f"{state.reference} has neither ENTRYPOINT nor CMD, so `docker run` fails with “No command specified”")
        if state.image is not None:
            base = names.of(state.image)
            base_root = built_as_root(flow, state.image)
        else:
            base = state.external or ""
            if not base or "\x00" in base:
                raise flow.refusal(site, "the image this container comes from cannot be known without running the driver")
            base_root = official_runs_as_root(base)
        candidates = [normalise_stage_name(state.op.name.key)] if state.op.name is not None and state.op.name.known else []
        candidates += [f"{base.split(':')[0].rsplit('/', 1)[-1]}-run", "run"]
        name = names.fresh([c for c in candidates if c])
        try:
            run = plan_run_stage(
                state,
                name=name,
                base=base,
                argv=argv,
                defaults=flow.defaults(state.image, state.external),
                base_root=base_root,
                context=participants.final.context,
                arg_name=lambda variable, name=name: fresh_arg_name(name, variable, taken_args),
                base_creates=lambda path, state=state: _image_writes_below(flow, state, path),
                syntax=driver_kind(flow.reading.driver, site.file),
            )
        except RunRefused as refused:
            raise flow.refusal(site, f"this run cannot become a build stage: {refused}") from None
        decisions.extend(f"{where(site)}: {decision}" for decision in run.decisions)
        decisions.append(f"{where(site)}: the run of {state.reference} is now the stage {name}, which runs {shlex.join(argv)}")
        runs[id(state)] = run
        decisions.extend(check_run_volumes(flow, state, name))
        for path, write_site, _reason in flow.unknown_writes:
            if write_site == site:
                decisions.append(f"{where(site)}: {facts.relative(path)} is no longer written on the host")
    return runs


def _image_writes_below(flow: Flow, state: ContainerState, path: str) -> bool:
    """Whether the build image puts anything at ``path`` that a bind mount there hid."""
    if state.image is None:
        return False
    own_context = any(m.target == path and m.host_path == state.image.context for m in state.mounts)
    return any(
        stage_writes_below(stage, path, flow.base_defaults(image, stage).workdir, allow_context_copy=own_context and image is state.image)
        for image, stage in flow.lineage(state.image, state.image.stage)
    )
