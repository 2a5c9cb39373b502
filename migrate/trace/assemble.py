"""Turn a traced :class:`~migrate.trace.flow.Flow` into a :class:`~migrate.plan.Plan`.

Decides which builds become stages and what they are called, how each
consuming COPY reads its artifact from a stage, how the two builds' args
share one ``docker build`` (:mod:`migrate.trace.args`), and which driver steps go away.  Every case it
cannot prove equivalent is a :class:`~migrate.errors.Refusal`.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.errors import Refusal
from migrate.plan import Artifact, Consumer, CopySpec, DriverEdit, InstructionEdit, NothingToDo, Plan, StagePlan
from migrate.read.dockerfile import Instruction, Stage
from migrate.read.dockerignore import DockerIgnore
from migrate.read.ops import Build, Container, HostCommand, OtherDocker, Remove, RemoveImage, Site, build_paths
from migrate.trace.args import ArgMerge, declared_args, fresh_arg_name, global_arg_values
from migrate.trace.context_copies import check_changed_files
from migrate.trace.contexts import ContextPlan, ContextRefused, Seed, ignore_of, plan_contexts
from migrate.trace.flow import BuiltImage, Consumption, ContainerState, Extraction, Flow, image_key, instruction_site, where
from migrate.trace.hidden_builders import check_hidden_builders
from migrate.trace.make_goals import check_other_goals, recipes_naming
from migrate.trace.moved_builds import check_steps_before_moved_builds, moved_reads
from migrate.trace.owners import lineage_runs_as_root, official_runs_as_root
from migrate.trace.paths import STANDARD_DIRECTORIES, context_relative, is_directory_target, is_under
from migrate.trace.stages import (
    earlier_stage,
    image_references,
    normalise_stage_name,
    path_kind,
    stage_name_candidates,
    joined,
    stage_writes_below,
    valid_stage_name,
    workdir_before,
)
from migrate.trace.volumes import check_run_volumes
from migrate.trace.window import READS_ONLY

if TYPE_CHECKING:
    from migrate.read.project import ProjectReading
    from migrate.trace.runs import RunStage

# Docker subcommands that take files out of an image or a container other than by docker cp.
_EXTRACTING_SUBCOMMANDS = frozenset({"export", "container export", "save", "image save", "commit", "container commit", "exec", "container exec"})
# The flags of a consuming COPY or ADD that mean the same on a COPY --from.  Others (--exclude, --parents,
# ADD's --checksum…) change what is taken or where it lands.
_COPY_FLAGS = frozenset({"--chown", "--chmod", "--link"})
# Flags that decide only what happens to the final image, not how a stage is built.
_FINAL_ONLY_BUILD_FLAGS = frozenset(
    {"--cache-from", "--cache-to", "--output", "-o", "--push", "--metadata-file", "--provenance", "--sbom", "--annotation"}
)
_IGNORED_BUILD_FLAGS = frozenset({"--no-cache", "--pull", "-q", "--quiet", "--rm", "--force-rm", "--compress", "--label", "--iidfile", "--progress", "--load"})


class Assembler:
    def __init__(self, flow: Flow, *, keep_legacy: bool = False) -> None:
        self.flow = flow
        self.keep_legacy = keep_legacy
        """``--keep-legacy``: the build Dockerfiles the merged one replaces stay."""
        self.reading = flow.reading
        self.facts = flow.reading.facts
        self.driver_path = flow.reading.driver.path
        self.decisions = list(flow.decisions)
        self.warnings = list(flow.warnings)
        self.runs: dict[int, RunStage] = {}
        """Run stages by ``id`` of their container."""
        self.steps_by_site: dict[Site, list] = defaultdict(list)
        for op in self.reading.driver.operations:
            self.steps_by_site[op.site].append(op)

    def refuse(self, site: Site | None, reason: str) -> Refusal:
        return self.flow.refusal(site, reason)

    # -- entry -------------------------------------------------------------------
    def assemble(self) -> Plan | NothingToDo:
        flow = self.flow
        if not flow.extractions or not any(e.consumptions for e in flow.extractions):
            self._check_unreadable_extraction()
            check_hidden_builders(flow)
            if not flow.extractions:
                return NothingToDo(self.reading.driver, self._nothing_reason())
            return NothingToDo(
                self.reading.driver,
                "artifacts are copied out of containers, but no docker build of this driver reads them",
            )
        for extraction in flow.extractions:
            if extraction.consumptions or extraction.removed_on_host or extraction.made_on_host or extraction.via == "bind mount":
                continue
            if extraction.derived:
                self.decisions.append(
                    f"{where(extraction.site)}: {self.facts.relative(extraction.host_path)} was only the input of a host step "
                    "whose result the migrated build reads from the stage, so it is no longer left on the host"
                )
                continue
            raise self.refuse(
                extraction.site,
                f"{self.facts.relative(extraction.host_path)} is extracted but no build reads it; "
                "the migrated flow would no longer leave it on the host",
            )
        self.states = self._participating()
        builders = self._builder_images()
        final = self._final_image(builders)
        merged = sorted(set(builders) | {final}, key=lambda image: image.position)
        self._check_dockerfiles(merged, final)
        self._check_guards(merged)
        self._check_build_flags(builders, final)
        names = self._stage_names(merged, final)
        self._run_stages(merged, final, names)
        copy_edits = self._copy_edits(names)
        ignore_lines, replaced = self._dockerignore_lines(final)
        contexts = self._contexts(merged, final, copy_edits, ignore_lines, replaced)
        stage_plans, global_args, add_args = self._stages(merged, final, names, copy_edits, contexts)
        driver_edits = self._driver_edits(builders, final, names, add_args)
        removed = {edit.site for edit in driver_edits if edit.action == "remove"}
        extracting = {e.site: e.host_path for e in flow.extractions if e.container in self.states}
        check_other_goals(self.reading.driver, extracting, final.build.site, removed)
        self.warnings += check_steps_before_moved_builds(self.flow, moved_reads(builders, self.states, self.reading.driver.operations), final, removed)
        artifacts = self._artifacts(names)
        deleted = tuple(
            Path(image.dockerfile_path) for image in builders if image.dockerfile_path != final.dockerfile_path and not self.retargeted(image)
        )
        # BuildKit reads Dockerfile.build.dockerignore only for Dockerfile.build: once that goes, nothing reads it.
        own_ignores = tuple((Path(ignore), self.facts.texts[ignore]) for path in deleted if (ignore := f"{path}.dockerignore") in self.facts.texts)
        deleted += tuple(path for path, _ in own_ignores)
        dockerignore = self._dockerignore_change(final, ignore_lines, contexts.ignore_lines)
        self._check_changed_files(final, driver_edits, deleted, dockerignore)
        return Plan(
            driver=self.reading.driver,
            merged_dockerfile=Path(final.dockerfile_path),
            directives=self._directives(merged),
            global_args=global_args,
            stages=stage_plans,
            artifacts=artifacts,
            driver_edits=driver_edits,
            deleted=tuple(dict.fromkeys(deleted)),
            deleted_texts=own_ignores,
            dockerignore=dockerignore,
            decisions=self._decisions(contexts.decisions),
            warnings=tuple(dict.fromkeys(self.warnings)),
            build_args=tuple(add_args),
        )

    def _environment_value(self, site: Site) -> Callable[[str], str]:
        """How the driver file at ``site`` writes an environment variable's value: make needs ``$$`` for the shell's ``$``."""
        readings = (self.reading.driver, *self.reading.driver.parts)
        kind = next((reading.kind for reading in readings if reading.path == site.file), self.reading.driver.kind)
        if kind == "make":
            return lambda name: f'"$${{{name}}}"'
        return lambda name: f'"${{{name}}}"'

    def _nothing_reason(self) -> str:
        builds = [op for op in self.reading.driver.operations if isinstance(op, Build)]
        if not builds:
            return "the driver runs no docker build"
        for image in self.flow.images:
            if len(image.dockerfile.stages) > 1:
                return f"{image.dockerfile.path.name} is already a multi-stage build and nothing is copied out of a container"
        return "nothing is copied out of a container, so there is no builder pattern to migrate"

    def _check_unreadable_extraction(self) -> None:
        """Files may leave a build image by a tool dmigrate cannot read; then its absence of extractions proves nothing."""
        built = {image_key(tag) for image in self.flow.images for tag in image.tags}
        if not built or not any(c.image is not None for c in self.flow.containers) and not self.flow.unknown_writes:
            return
        for op, _what in self.flow.uses:
            if isinstance(op, OtherDocker) and op.subcommand in _EXTRACTING_SUBCOMMANDS:
                raise self.refuse(
                    op.site,
                    f"`docker {op.subcommand}` takes files out of the build image or its container in a way dmigrate cannot follow",
                )

    # -- which containers and builds take part ----------------------------------------
    def _participating(self) -> list[ContainerState]:
        """Containers the migrated flow no longer has: their extractions are read, or copied for nothing."""
        states: list[ContainerState] = []
        for extraction in self.flow.extractions:
            state = extraction.container
            takes_part = extraction.consumptions or extraction.via != "bind mount"
            if takes_part and state not in states:
                states.append(state)
        return states

    def _builder_images(self) -> list[BuiltImage]:
        builders: list[BuiltImage] = []
        for extraction in self.flow.extractions:
            image = extraction.container.image
            if extraction.consumptions and image is not None and image not in builders:
                builders.append(image)
        for image, _stage, base in self.flow.chains:
            if image in builders and base not in builders:
                builders.append(base)
        consumers = {c.image for c in self.flow.consumptions}
        for image in list(consumers):
            if any(image is base for _i, _s, base in self.flow.chains) and image not in builders:
                builders.append(image)
        return builders

    def _final_image(self, builders: list[BuiltImage]) -> BuiltImage:
        finals = []
        for consumption in self.flow.consumptions:
            if consumption.image not in builders and consumption.image not in finals:
                finals.append(consumption.image)
        if len(finals) != 1:
            sites = ", ".join(f"line {image.build.site.line}" for image in finals)
            raise self.refuse(
                finals[-1].build.site if finals else None,
                f"several builds read the extracted artifacts ({sites}); dmigrate migrates one runtime image per driver",
            )
        return finals[0]

    def _check_dockerfiles(self, merged: list[BuiltImage], final: BuiltImage) -> None:
        paths = [image.dockerfile_path for image in merged]
        if len(set(paths)) != len(paths):
            raise self.refuse(final.build.site, "the same Dockerfile builds both the build image and the runtime image")

    def _check_guards(self, merged: list[BuiltImage]) -> None:
        sites: list[Site] = [image.build.site for image in merged]
        for extraction in self.flow.extractions:
            if not (extraction.consumptions or extraction.container in self.states):
                continue
            sites.append(extraction.site)
            sites.extend(extraction.host_changes)
        for state in self.states:
            sites.append(state.op.site)
            sites.extend(remove.site for remove in state.removed_by)
            sites.extend(control.site for control in state.controls)
        for site in sites:
            if site.guard:
                raise self.refuse(site, f"{guarded('this step of the flow', site.guard)}; the migrated build would always run it")

    def _check_build_flags(self, builders: list[BuiltImage], final: BuiltImage) -> None:
        """The one build passes the runtime build's flags to every stage, so each build must have had the same ones."""

        def flags(image: BuiltImage) -> dict[str, str | None]:
            return {name: (value.key if value else None) for name, value in image.build.other_flags if name not in _IGNORED_BUILD_FLAGS}

        final_flags = flags(final)
        for image in builders:
            own = flags(image)
            for name, value in image.build.other_flags:
                if name in own and final_flags.get(name, object()) != own[name]:
                    raise self.refuse(
                        image.build.site,
                        f"the build image is built with {name}{' ' + value.text if value else ''}, which the runtime build does not share",
                    )
            for name, value in final.build.other_flags:
                if name in final_flags and name not in own and name not in _FINAL_ONLY_BUILD_FLAGS:
                    raise self.refuse(
                        final.build.site,
                        f"the runtime build has {name}{' ' + value.text if value else ''}, which the build image was built without; "
                        "the merged build would build its stages with it too",
                    )

    # -- stage names ---------------------------------------------------------------
    def _stage_names(self, merged: list[BuiltImage], final: BuiltImage) -> dict[tuple[int, int], str]:
        """Names for every merged stage, keyed by (image position, stage index); unnamed runtime stages stay unnamed.

        In the merged file a stage name shadows an image of that name, so no stage may be called what a FROM
        or ``--from`` of another merged Dockerfile, or a ``COPY --from`` of an outside image, names; a new
        name must not be one its own Dockerfile uses for an image either.
        """
        references = {
            image.position: image_references(image.dockerfile, global_arg_values(image)) for image in merged
        }
        outside = {e.container.external.lower() for e in self.flow.extractions if e.container.external}
        everywhere = outside.union(*references.values())

        def named_elsewhere(image: BuiltImage) -> set[str]:
            return outside.union(*(names for position, names in references.items() if position != image.position))

        names: dict[tuple[int, int], str] = {}
        taken: set[str] = set()
        for stage in final.dockerfile.stages:
            if not stage.name:
                continue
            if stage.name.lower() in named_elsewhere(final):
                raise self.refuse(
                    instruction_site(final.dockerfile.path, stage.from_instruction),
                    f"the stage {stage.name} has the name of an image the build image's Dockerfile or the driver uses, "
                    "which in the merged Dockerfile would name this stage instead; rename the stage",
                )
            names[(final.position, stage.index)] = stage.name
            taken.add(stage.name.lower())
        for image in merged:
            if image is final:
                continue
            elsewhere = named_elsewhere(image)
            for stage in image.dockerfile.stages:
                own = stage.name.lower() if stage.name else None
                if own is not None and own not in taken | elsewhere:
                    names[(image.position, stage.index)] = stage.name
                    taken.add(own)
                    continue
                if stage is image.stage:
                    candidates = stage_name_candidates(image.tags, Path(image.dockerfile_path).name)
                elif own is not None:
                    candidates = [own]
                else:
                    continue
                name = self._unique(candidates, taken | everywhere)
                names[(image.position, stage.index)] = name
                taken.add(name)
        self.taken_names = taken | everywhere
        return names

    @staticmethod
    def _unique(candidates: list[str], taken: set[str]) -> str:
        for candidate in candidates:
            if valid_stage_name(candidate) and candidate not in taken:
                return candidate
        base = next((c for c in candidates if valid_stage_name(c)), "builder")
        number = 2
        while f"{base}-{number}" in taken:
            number += 1
        return f"{base}-{number}"

    def stage_name(self, image: BuiltImage, names) -> str:
        return names[(image.position, image.stage.index)]

    # -- run stages ------------------------------------------------------------------
    def _run_stages(self, merged: list[BuiltImage], final: BuiltImage, names) -> None:
        """A stage for every container whose files are read after its command ran."""
        self.taken_args = {name for image in merged for name in declared_args(image.dockerfile)}
        self.taken_args |= {arg.name for image in merged for arg in image.build.build_args}
        for state in self.states:
            if not any(e.from_run and (e.consumptions or e.via != "bind mount") for e in self.flow.extractions if e.container is state):
                continue
            from migrate.trace.runs import RunRefused, plan_run_stage

            site = state.op.site
            if state.problems:
                raise self.refuse(site, f"this run cannot become a build stage: {state.problems[0]}")
            if state.runs > 1:
                raise self.refuse(state.controls[-1].site if state.controls else site, "the container runs its command more than once")
            argv, why = self.flow.command_of(state)
            if argv is None:
                raise self.refuse(site, f"this run cannot become a build stage: {why}")
            if not argv:
                raise self.refuse(site, f"{state.reference} has neither ENTRYPOINT nor CMD, so `docker run` fails with “No command specified”")
            if state.image is not None:
                base = self.stage_name(state.image, names)
                base_root = self._root_owned(state.image)
            else:
                base = state.external or ""
                if not base or "\x00" in base:
                    raise self.refuse(site, "the image this container comes from cannot be known without running the driver")
                base_root = official_runs_as_root(base)
            candidates = [normalise_stage_name(state.op.name.key)] if state.op.name is not None and state.op.name.known else []
            candidates += [f"{base.split(':')[0].rsplit('/', 1)[-1]}-run", "run"]
            name = self._unique([c for c in candidates if c], self.taken_names)
            self.taken_names.add(name)
            try:
                run = plan_run_stage(
                    state,
                    name=name,
                    base=base,
                    argv=argv,
                    defaults=self.flow.defaults(state.image, state.external),
                    base_root=base_root,
                    context=final.context,
                    arg_name=lambda variable, name=name: fresh_arg_name(name, variable, self.taken_args),
                    base_creates=lambda path, state=state: self._image_writes_below(state, path),
                    environment_value=self._environment_value(site),
                )
            except RunRefused as refused:
                raise self.refuse(site, f"this run cannot become a build stage: {refused}") from None
            self.decisions.extend(f"{where(site)}: {decision}" for decision in run.decisions)
            self.decisions.append(f"{where(site)}: the run of {state.reference} is now the stage {name}, which runs {shlex.join(argv)}")
            self.runs[id(state)] = run
            self.decisions.extend(check_run_volumes(self.flow, state, name))
            for path, write_site, _reason in self.flow.unknown_writes:
                if write_site == site:
                    self.decisions.append(f"{where(site)}: {self.facts.relative(path)} is no longer written on the host")

    def _image_writes_below(self, state: ContainerState, path: str) -> bool:
        """Whether the build image puts anything at ``path`` that a bind mount there hid."""
        if state.image is None:
            return False
        own_context = any(m.target == path and m.host_path == state.image.context for m in state.mounts)
        return any(
            stage_writes_below(stage, path, self.flow.base_defaults(image, stage).workdir, allow_context_copy=own_context and image is state.image)
            for image, stage in self.flow.lineage(state.image, state.image.stage)
        )

    # -- stages, args and COPY edits --------------------------------------------------
    def _contexts(self, merged, final, copy_edits, ignore_lines, replaced) -> ContextPlan:
        seeds = [
            Seed(mount.host_path, f"the bind mount at {mount.target}")
            for run in self.runs.values()
            for mount in run.state.mounts
            if mount.seeded
        ]
        busy = {(position, edit.instruction.line) for (position, _), edits in copy_edits.items() for edit in edits}
        try:
            plan = plan_contexts(merged, final, self.facts, seeds, busy, ignore_lines, replaced)
        except ContextRefused as refused:
            if refused.image is None:
                site = next((run.state.op.site for run in self.runs.values() if run.state.mounts), final.build.site)
            elif refused.line is None:
                site = refused.image.build.site
            else:
                site = Site(refused.image.dockerfile.path, refused.line, None)
            raise self.refuse(site, refused.reason) from None
        git = posixpath.join(self.facts.root, ".git")
        text = DockerIgnore(ignore_of(final, self.facts)[0] or "").with_lines(ignore_lines + plan.ignore_lines)
        for seed in seeds:
            if is_under(git, seed.host_path) and is_under(git, final.context) and DockerIgnore(text).excludes(posixpath.relpath(git, final.context)):
                self.decisions.append(
                    f"{seed.what} showed the build the project's .git, which .dockerignore keeps out of the stage's copy of the project"
                )
        return plan

    def _stages(self, merged, final, names, copy_edits, contexts: ContextPlan):
        offsets: dict[int, int] = {}
        count = 0
        for image in merged:
            if image is final:
                count += len(self.runs)  # the run stages stand just before the runtime file's stages
            offsets[image.position] = count
            count += len(image.dockerfile.stages)
        arg_plan = ArgMerge(self, merged, final, names, self.taken_args)
        arg_plan.run()
        plans: list[StagePlan] = []
        for image in merged:
            if image is final:
                for run in self.runs.values():
                    plans.append(StagePlan(run.name, final.dockerfile, -1, "run", base=run.base, extra_lines=run.lines))
                    for text in run.build_args:
                        arg_plan.add(text)
            renamed_stages = self._renamed_stages(image, names)
            chain_bases = {stage.index: base for chain_image, stage, base in self.flow.chains if chain_image is image}
            for stage in image.dockerfile.stages:
                key = (image.position, stage.index)
                edits = list(copy_edits.get(key, [])) + list(contexts.edits.get(key, []))
                substitutions = self._from_substitutions(stage, offsets[image.position], renamed_stages, image, names)
                if substitutions:
                    edited = {edit.instruction.line for edit in edits}
                    for instruction, pairs in substitutions:
                        if instruction.line in edited:
                            edits = [
                                InstructionEdit(e.instruction, e.replacement, e.keep_original, e.flag_substitutions + tuple(pairs))
                                if e.instruction.line == instruction.line
                                else e
                                for e in edits
                            ]
                        else:
                            edits.append(InstructionEdit(instruction, (), keep_original=True, flag_substitutions=tuple(pairs)))
                base = None
                if stage.index in chain_bases and chain_bases[stage.index] in merged:
                    base = self.stage_name(chain_bases[stage.index], names)
                elif (earlier := earlier_stage(image.dockerfile, stage)) is not None and earlier.name:
                    base = renamed_stages.get(earlier.name.lower())
                if base is None:
                    base = arg_plan.renamed_base(image, stage)
                role = "final" if image is final else "build"
                plans.append(
                    StagePlan(
                        name=names.get(key, stage.name or ""),
                        dockerfile=image.dockerfile,
                        stage_index=stage.index,
                        role=role,
                        base=base,
                        edits=tuple(sorted(edits, key=lambda e: e.instruction.line)),
                        arg_renames=arg_plan.stage_renames(image, stage),
                    )
                )
        return tuple(plans), arg_plan.global_block(), arg_plan.added

    def _renamed_stages(self, image: BuiltImage, names) -> dict[str, str]:
        renamed = {}
        for stage in image.dockerfile.stages:
            new = names.get((image.position, stage.index))
            if stage.name and new and new != stage.name:
                renamed[stage.name.lower()] = new
        return renamed

    def _from_substitutions(self, stage: Stage, offset: int, renamed: dict[str, str], image: BuiltImage, names):
        """``--from`` flags that must name another stage in the merged file: a renumbered or renamed stage, or a built image now merged."""
        merged_images = {id(instruction): built for copier, instruction, built in self.flow.copies_from if copier is image}
        found = []
        for instruction in stage.instructions:
            if instruction.keyword not in ("COPY", "ADD", "RUN"):
                continue
            pairs = []
            for flag in instruction.flags:
                name, _, value = flag.partition("=")
                if name.lower() == "--from":
                    built = merged_images.get(id(instruction))
                    if built is not None and (built.position, built.stage.index) in names:
                        pairs.append((flag, f"{name}={self.stage_name(built, names)}"))
                    elif value.isdigit() and offset:
                        pairs.append((flag, f"{name}={int(value) + offset}"))
                    elif value.lower() in renamed:
                        pairs.append((flag, f"{name}={renamed[value.lower()]}"))
                elif name.lower() == "--mount" and "from=" in value:
                    raise self.refuse(instruction_site(image.dockerfile.path, instruction), "RUN --mount=from= is not supported yet")
            if pairs:
                found.append((instruction, pairs))
        return found

    def _copy_edits(self, names) -> dict[tuple[int, int], list[InstructionEdit]]:
        grouped: dict[tuple[int, int, int], list[Consumption]] = defaultdict(list)
        for consumption in self.flow.consumptions:
            grouped[(consumption.image.position, consumption.stage.index, consumption.instruction.line)].append(consumption)
        edits: dict[tuple[int, int], list[InstructionEdit]] = defaultdict(list)
        for (position, stage_index, _line), consumptions in grouped.items():
            edits[(position, stage_index)].append(self._copy_edit(consumptions, names))
        return edits

    def _copy_edit(self, consumptions: list[Consumption], names) -> InstructionEdit:
        instruction = consumptions[0].instruction
        image = consumptions[0].image
        site = instruction_site(image.dockerfile.path, instruction)
        words = instruction.words()
        sources, destination = words[:-1], words[-1]
        made_by_flow = {c.source for c in consumptions if self._made_by_flow(c)}
        for source in made_by_flow:
            self.decisions.append(
                f"{image.dockerfile.path.name}:{instruction.line}: git tracks nothing in {source}, so it held only the artifacts, "
                "which are now copied from their stage; anything else the driver put there is no longer copied"
            )
        replaced = {c.source for c in consumptions if c.relation in ("itself", "inside", "unpacked")} | made_by_flow
        base_flags = list(instruction.flags)
        for flag in base_flags:
            if flag.split("=", 1)[0].lower() not in _COPY_FLAGS:
                raise self.refuse(
                    site, f"{instruction.keyword} {flag} reads the extracted artifact, and dmigrate does not carry {flag.split('=', 1)[0]} into a COPY --from"
                )
        if not replaced:
            # The COPY stays as it is; each artifact it held is copied after it.
            specs = [self._artifact_spec(c, base_flags, destination, len(sources), names, site) for c in consumptions]
            return InstructionEdit(instruction, tuple(specs), keep_original=True)
        # Sources are copied in order and a later one wins, so the kept ones and the artifacts keep their order.
        specs: list[CopySpec] = []
        kept: list[str] = []
        held: list[CopySpec] = []  # artifacts inside the kept sources, copied right after them

        def flush() -> None:
            if kept:
                specs.append(CopySpec(tuple(base_flags), tuple(kept), destination, instruction.keyword))
                specs.extend(held)
                kept.clear()
                held.clear()

        for source in sources:
            artifact_specs = [
                self._artifact_spec(c, base_flags, destination, len(sources), names, site) for c in consumptions if c.source == source
            ]
            if source in replaced:
                flush()
                specs.extend(artifact_specs)
            else:
                kept.append(source)
                held.extend(artifact_specs)
        flush()
        return InstructionEdit(instruction, tuple(specs))

    def _made_by_flow(self, consumption: Consumption) -> bool:
        """A directory COPY source that holds nothing but artifacts: it no longer exists, so the COPY goes."""
        if consumption.relation != "directory":
            return False
        path = posixpath.normpath(posixpath.join(consumption.image.context, context_relative(consumption.source)))
        return self.facts.existed_before_run(path) is None

    def _artifact_spec(self, consumption: Consumption, base_flags, destination, source_count, names, site) -> CopySpec:
        extraction = consumption.extraction
        stage_ref, root_owned = self._artifact_origin(extraction, names)
        source = extraction.source
        path = source.path
        if consumption.relation == "inside":
            path = posixpath.join(path, consumption.below)
        target = destination
        if consumption.relation == "directory":
            target = posixpath.join(destination, consumption.below) if destination not in (".", "./") else consumption.below
            if destination.startswith("./") and not target.startswith("./"):
                target = "./" + target
        elif consumption.relation == "unpacked":
            member = extraction.member or "."
            if member != ".":
                target = posixpath.join(destination, member)
        elif consumption.relation == "itself":
            host_name = posixpath.basename(extraction.host_path)
            if host_name != source.basename and not source.contents_only:
                target = self._renamed_target(consumption, destination, source_count, host_name, site)
        flags = [f"--from={stage_ref}"]
        has_chown = any(f.lower().startswith("--chown") for f in base_flags)
        if not has_chown and not root_owned and not extraction.owners_kept:
            flags.append("--chown=0:0")
        flags.extend(base_flags)
        mode = extraction.known_mode
        if mode is not None and not any(f.lower().startswith("--chmod") for f in base_flags):
            flags.append(f"--chmod={mode:o}")
            umask = extraction.umask.value if extraction.umask.value is not None else 0o022
            why = f"the host wrote it itself, so it had mode {mode:04o} (umask {umask:03o})" if extraction.chmod is None else "a host chmod gave it that mode"
            self.decisions.append(f"{where(extraction.site)}: {self.facts.relative(extraction.host_path)}: {why}; the COPY --from keeps it with --chmod={mode:o}")
        return CopySpec(tuple(flags), (path,), target)

    def _renamed_target(self, consumption: Consumption, destination, source_count, host_name, site) -> str:
        extraction = consumption.extraction
        if not (is_directory_target(destination, source_count) or self._names_directory(consumption, destination, site)):
            return destination
        image = extraction.container.image
        kind = extraction.kind
        if kind is None and image is not None and not extraction.from_run:
            kind = self.flow.kind_in_image(image, extraction.source.path)
        if kind == "dir":
            return destination
        if kind is None:
            raise self.refuse(
                site,
                f"{extraction.source.path} is renamed to {host_name} on the host and copied into the directory {destination}, "
                "but the build image's Dockerfile does not show whether it is a file or a directory",
            )
        return posixpath.join(destination, host_name) if not destination.endswith("/") else destination + host_name

    def _names_directory(self, consumption: Consumption, destination: str, site: Site) -> bool:
        """Whether a COPY destination without a trailing slash is a directory already, so that COPY copies into it.

        A standard directory, or one the consuming stage (or a stage it is FROM) makes before the COPY;
        any other path is taken to be absent, as the legacy build's own COPY took it.
        """
        if "$" in destination:
            raise self.refuse(
                site,
                f"the artifact is renamed on the host and copied to {destination}, which depends on a variable: "
                "whether that is a directory decides the name it gets",
            )
        before: int | None = consumption.instruction.line
        start = self.flow.base_defaults(consumption.image, consumption.stage).workdir
        path = joined(workdir_before(consumption.stage, before, start), destination)
        if path is None:
            return False
        if path in STANDARD_DIRECTORIES:
            return True
        for image, stage in self.flow.lineage(consumption.image, consumption.stage):
            kind = path_kind(stage, path, self.flow.base_defaults(image, stage).workdir, before_line=before)
            if kind is not None:
                return kind == "dir"
            before = None
        return False

    def _artifact_origin(self, extraction: Extraction, names) -> tuple[str, bool]:
        if extraction.from_run:
            run = self.runs[id(extraction.container)]
            return run.name, run.root_owned
        image = extraction.container.image
        if image is None:
            reference = extraction.container.external or ""
            if not reference or "\x00" in reference:
                raise self.refuse(extraction.container.op.site, "the image this container comes from cannot be known without running the driver")
            return reference, False
        return self.stage_name(image, names), self._root_owned(image)

    def _root_owned(self, image: BuiltImage) -> bool:
        """Whether every file of the image is provably owned by root, following its base through stages and earlier builds."""
        lineage = list(self.flow.lineage(image, image.stage))
        if self.flow.base_of(*lineage[-1]) is not None:
            return False  # the stages are built from each other in a loop
        return lineage_runs_as_root([stage for _, stage in reversed(lineage)])

    # -- results for reports --------------------------------------------------------
    def _artifacts(self, names) -> tuple[Artifact, ...]:
        artifacts = []
        for extraction in self.flow.extractions:
            if not extraction.consumptions:
                continue
            stage_ref, _ = self._artifact_origin(extraction, names)
            consumers = tuple(
                Consumer(
                    dockerfile=c.image.dockerfile.path,
                    line=c.instruction.line,
                    instruction=c.instruction.text.splitlines()[0],
                    source=c.source,
                    relation=c.relation,
                )
                for c in extraction.consumptions
            )
            host = self.facts.relative(extraction.host_path)
            artifacts.append(
                Artifact(
                    stage=stage_ref,
                    container_path=extraction.source.path,
                    contents_only=extraction.source.contents_only,
                    host_path=host if extraction.member is None else f"{host} ({extraction.member})",
                    extracted_at=extraction.site,
                    consumers=consumers,
                )
            )
        return tuple(artifacts)

    def _directives(self, merged: list[BuiltImage]) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        lines: list[str] = []
        holders: dict[str, list[tuple[BuiltImage, str, int]]] = defaultdict(list)
        for image in reversed(merged):
            for directive in image.dockerfile.directives:
                text = directive.text.rstrip("\r\n")
                name = text.lstrip("#").split("=", 1)[0].strip().lower()
                value = text.split("=", 1)[1].strip() if "=" in text else ""
                holders[name].append((image, text, directive.line))
                if name in seen:
                    if seen[name] != value:
                        raise self.refuse(
                            instruction_site(image.dockerfile.path, Instruction("", (), "", "", directive.line, directive.line)),
                            f"the parser directive `{name}` differs between the Dockerfiles ({seen[name]!r} and {value!r})",
                        )
                    continue
                seen[name] = value
                lines.append(text)
        escapes = {image.dockerfile.escape for image in merged}
        if len(escapes) > 1:
            raise self.refuse(merged[0].build.site, "the Dockerfiles use different escape characters")
        for name, held in holders.items():
            lacking = [image for image in merged if all(image is not holder for holder, _, _ in held)]
            # The escape character is the same in every file (checked above), so only the others change what a file means.
            if name == "escape" or not lacking:
                continue
            holder, text, line = held[0]
            files = ", ".join(dict.fromkeys(self.facts.relative(image.dockerfile_path) for image in lacking))
            self.decisions.append(
                f"{self.facts.relative(holder.dockerfile_path)}:{line}: the parser directive `{text.strip()}` now heads the merged "
                f"Dockerfile, so it applies to the stages from {files} too"
            )
        if self.runs and escapes != {"\\"}:
            raise self.refuse(merged[0].build.site, "the Dockerfiles use the escape character `, which dmigrate does not write run stages for")
        return tuple(lines)

    def _dockerignore_lines(self, final: BuiltImage) -> tuple[list[str], set[str]]:
        """Lines that keep stale host copies of artifacts out of a kept ``COPY . .``, and the paths they leave out."""
        lines: list[str] = []
        replaced: set[str] = set()
        for consumption in self.flow.consumptions:
            if consumption.image is not final or consumption.relation != "directory" or self._made_by_flow(consumption):
                continue
            host = consumption.extraction.host_path
            relative = posixpath.relpath(host, final.context)
            if self.facts.existed_before_run(host) == "dir":
                raise self.refuse(
                    consumption.extraction.site,
                    f"{relative} holds files git tracks, and the extracted artifact is merged into them",
                )
            line = "/" + relative
            if line not in lines:
                lines.append(line)
            replaced.add(host)
        return lines, replaced

    def _dockerignore_change(self, final: BuiltImage, stale: list[str], rebased: list[str]) -> tuple:
        """The merged build's ``.dockerignore`` with the lines it needs: rebased rules first, then stale artifacts."""
        text, path = ignore_of(final, self.facts)
        existing = DockerIgnore(text or "")
        missing = [line for line in stale if not existing.excludes(line)]
        if missing:
            self.decisions.append(
                f"added {', '.join(missing)} to {self.facts.relative(path)} so that a stale local copy cannot reach the image"
            )
        lines = tuple(dict.fromkeys(rebased + missing))
        return ((Path(path), text, lines),) if lines else ()

    def _check_changed_files(self, final: BuiltImage, driver_edits, deleted: tuple[Path, ...], dockerignore: tuple) -> None:
        """The files the migration changes must not reach the final image; a run stage that mounted them sees them changed."""
        driver_files = {str(edit.site.file) for edit in driver_edits}
        driver = self.reading.driver
        if driver.kind == "make" and not self.keep_legacy and any(path.name in driver.text for path in deleted):
            driver_files.add(str(self.driver_path))  # its prerequisites on the deleted Dockerfiles are rewritten
        changed = check_changed_files(self.flow, final, driver_files, () if self.keep_legacy else deleted, dockerignore)
        for run in self.runs.values():
            for mount in run.state.mounts:
                inside = sorted(self.facts.relative(p) for p in changed if is_under(p, mount.host_path) and mount.seeded)
                if inside:
                    self.decisions.append(
                        f"{where(mount.site)}: the stage {run.name} sees the project as migrated at {mount.target}: "
                        f"{', '.join(inside)} changed or gone"
                    )

    # -- the driver ---------------------------------------------------------------------
    def retargeted(self, image: BuiltImage) -> bool:
        return image in self._tag_users()

    def _tag_users(self) -> dict[BuiltImage, list]:
        """The steps, and the recipes of Makefile rules the goal does not make, that still use a build image by its tag."""
        users: dict[BuiltImage, list] = defaultdict(list)
        for state in self.flow.containers:
            if state.image is not None and state not in self.states:
                users[state.image].append(state.op)
        for op, _what in self.flow.uses:
            if isinstance(op, OtherDocker):
                for word in op.arguments:
                    for image in self.flow.images:
                        if image_key(word.key) in {image_key(t) for t in image.tags}:
                            users[image].append(op)
        for image in self.flow.images:
            tags = image.build.tags
            if tags and all(tag.known for tag in tags):
                users[image].extend(recipes_naming(self.reading.driver, [tag.key for tag in tags]))
            if not users[image]:
                del users[image]
        return users

    def _driver_edits(self, builders, final, names, add_args) -> tuple[DriverEdit, ...]:
        edits: list[DriverEdit] = []
        users = self._tag_users()
        for image in builders:
            if image in users:
                if image.context != final.context:
                    # Its stage reads the runtime build's context now (its COPY sources rebased onto it).
                    raise self.refuse(
                        image.build.site,
                        f"the build image is still used, so it would be built from its stage of the merged Dockerfile, which reads the runtime "
                        f"build's context {self.facts.relative(final.context)}/, not {self.facts.relative(image.context)}/; build both from one context first",
                    )
                lines = ", ".join(str(op.site.line) for op in users[image])
                self.decisions.append(
                    f"{where(image.build.site)}: the build image is still used (line {lines}), so it is now built "
                    f"from the merged Dockerfile with --target {self.stage_name(image, names)}"
                )
                merged_relative = posixpath.relpath(final.dockerfile_path, image.build.cwd.key)
                edits.append(DriverEdit(image.build.site, "retarget", (merged_relative, self.stage_name(image, names))))
            else:
                edits.append(self._removal(image.build, "builds the build image, now a stage"))
        for state in self.states:
            edits.append(self._removal(state.op, "runs the extraction container, now a stage" if state.ran else "creates the extraction container"))
            for control in state.controls:
                edits.append(self._removal(control, "starts or waits for the extraction container"))
        changes = {site for e in self.flow.extractions if e.consumptions or e.derived for site in e.host_changes}
        unread = {site for e in self.flow.extractions if e.made_on_host and not e.consumptions for site in e.host_changes}
        for extraction in self.flow.extractions:
            if extraction.copy is not None and extraction.container in self.states:
                edits.append(self._removal(extraction.copy, "copies the artifact to the host"))
        extraction_names = {state.key for state in self.states if state.key is not None}
        for op in self.reading.driver.operations:
            if isinstance(op, Remove):
                keys = {w.key for w in op.containers}
                if keys and keys <= extraction_names:
                    edits.append(self._removal(op, "removes the extraction container"))
                elif keys & extraction_names:
                    raise self.refuse(op.site, "removes the extraction container together with others; split the command first")
            elif isinstance(op, RemoveImage):
                builder_tags = {image_key(t) for image in builders if image not in users for t in image.tags}
                keys = {image_key(w.key) for w in op.images}
                if keys and keys <= builder_tags:
                    edits.append(self._removal(op, "removes the build image, which no longer exists"))
                elif keys & builder_tags:
                    raise self.refuse(op.site, "removes the build image together with others; split the command first")
            elif isinstance(op, OtherDocker):
                if any(op is control for state in self.states for control in state.controls):
                    continue
                keys = {w.key for w in op.arguments} | {w.key.split(":", 1)[0] for w in op.arguments}
                if keys & extraction_names:
                    raise self.refuse(op.site, f"`docker {op.subcommand}` uses the extraction container, which the migrated flow no longer has")
            elif isinstance(op, HostCommand):
                if op.site in changes and op.site not in unread:
                    edits.append(self._removal(op, "changes the artifact on the host; the COPY --from now does that"))
                    continue
                edit = self._host_edit(op, final)
                if edit is not None:
                    edits.append(edit)
        edits.append(DriverEdit(final.build.site, "add-build-args", tuple(add_args)) if add_args else None)
        unique: dict[object, DriverEdit] = {}
        for edit in filter(None, edits):
            unique.setdefault((edit.site, edit.action, edit.texts), edit)
        kept = self._keep_paths_still_used(list(unique.values()))
        self._check_shared_sites(kept)
        return tuple(kept)

    def _decisions(self, more: list[str]) -> tuple[str, ...]:
        return notes_once(self.decisions + more, self.reading)

    def _removal(self, op, reason: str) -> DriverEdit:
        """A remove edit; where several steps share one site (a ``trap`` handler's), its texts say which of them this is.

        The emitter needs that to keep the handler's other commands: every step a
        trap handler runs stands on the ``trap`` line.
        """
        sharing = self.steps_by_site.get(op.site, [])
        position = next((index for index, step in enumerate(sharing) if step is op), None)
        texts = (str(position),) if len(sharing) > 1 and position is not None else ()
        return DriverEdit(op.site, "remove", texts, reason)

    def _check_shared_sites(self, edits: list[DriverEdit]) -> None:
        removed = {edit.site for edit in edits if edit.action == "remove"}
        removed_places = {site.place for site in removed}
        for op in self.reading.driver.operations:
            if op.site not in removed and op.site.place in removed_places:
                raise self.refuse(op.site, "this line runs both a step that goes away and one that stays (a function called twice?)")

    def _keep_paths_still_used(self, edits: list[DriverEdit]) -> list[DriverEdit]:
        """A ``mkdir`` or ``rm`` of a host path stays when what stays of the driver still uses the path after it.

        Without ``mkdir -p dist`` a kept ``cd dist`` fails, or, without ``set -e``, leaves what follows in
        the wrong directory.  An ``rm`` of a directory a kept ``mkdir`` makes stays as well, so the host
        ends as it did.  Keeping one can make another needed, hence the loop.
        """
        while True:
            removed = self._removed_ops(edits)
            for index, edit in enumerate(edits):
                op = self._removed_op(edit)
                name = _command_name(op) if isinstance(op, HostCommand) and op.cwd.known else ""
                why = self._still_used(op, name, removed) if name in ("mkdir", "rm") else None
                if why is not None:
                    self._keep(op, name, why, removed)
                    del edits[index]
                    break
            else:
                return edits

    def _still_used(self, op: HostCommand, name: str, removed: set[int]) -> str | None:
        """Why the path a removed ``mkdir`` or ``rm`` names is still used, or None."""
        paths = _named_paths(op)
        why = self._later_use(op, paths, removed)
        if why is None and name == "mkdir":
            entered = next((path for path in paths if self._entered_in_text(path)), None)
            why = None if entered is None else f"the driver still changes into {self.facts.relative(entered)}"
        if why is None and name == "rm":
            why = self._made_by_kept_mkdir(op, paths, removed)
        return why

    def _keep(self, op: HostCommand, name: str, why: str, removed: set[int]) -> None:
        paths = _named_paths(op)
        if self._kind_of(op) == "python":
            what = f"the {name} of {', '.join(self.facts.relative(path) for path in paths)}"
        else:
            what = "`" + " ".join(w.text for w in op.argv) + "`"
        if name == "rm" and not _forced(op):
            made = self._kept_mkdir_paths(op, removed)
            if not all(any(is_under(m, path) for m in made) or self.facts.existed_before_run(path) for path in paths):
                raise self.refuse(
                    op.site,
                    f"{what} stays because {why}, but it also removes the extracted artifact, which no longer "
                    "exists on the host; split the command or use rm -f",
                )
        self.decisions.append(f"{where(op.site)}: {what} stays: {why}")

    def _removed_op(self, edit: DriverEdit):
        """The step a remove edit takes away, or None when that cannot be told."""
        if edit.action != "remove":
            return None
        steps = self.steps_by_site.get(edit.site, [])
        if edit.texts:
            return steps[int(edit.texts[0])]
        return steps[0] if len(steps) == 1 else None

    def _removed_ops(self, edits: list[DriverEdit]) -> set[int]:
        """The ``id`` of every step the edits take away."""
        removed: set[int] = set()
        for edit in edits:
            if edit.action != "remove":
                continue
            steps = self.steps_by_site.get(edit.site, [])
            removed.update(id(step) for step in ([steps[int(edit.texts[0])]] if edit.texts else steps))
        return removed

    def _later_use(self, op: HostCommand, paths: list[str], removed: set[int]) -> str | None:
        """Why a path of ``op`` is still used after it: a later step runs inside it, or a kept one names it."""
        if not paths:
            return None
        operations = self.reading.driver.operations
        for later in operations[self._position(op) + 1 :]:
            cwd = getattr(later, "cwd", None)
            inside = cwd is not None and cwd.known and any(is_under(cwd.key, path) for path in paths)
            # The `cd` or `pushd` that made a shell step run there stays when the step goes; Python's cwd= goes with its call.
            if inside and (id(later) not in removed or self._kind_of(later) != "python"):
                return f"the driver still changes into {self.facts.relative(cwd.key)}"
            if id(later) in removed:
                continue
            for named in _step_paths(later):
                path = next((path for path in paths if is_under(named, path)), None)
                if path is not None:
                    return f"line {later.site.line} still uses {self.facts.relative(path)}"
        return None

    def _kind_of(self, op) -> str:
        """``shell``, ``make`` or ``python``: the kind of driver file the step stands in."""
        return next((r.kind for r in (self.reading.driver, *self.reading.driver.parts) if r.path == op.site.file), self.reading.driver.kind)

    def _entered_in_text(self, path: str) -> bool:
        """A ``cd``, ``pushd`` or ``chdir`` anywhere in the driver that may enter ``path``, which no step need show (``cd dist; cd ..``)."""
        name = posixpath.basename(path)
        for reading in (self.reading.driver, *self.reading.driver.parts):
            for match in _ENTERS.finditer(reading.text):
                if name in match.group(1).split("/"):
                    return True
        return False

    def _kept_mkdir_paths(self, op: HostCommand, removed: set[int]) -> list[str]:
        """The paths the kept ``mkdir`` steps before ``op`` make."""
        made: list[str] = []
        for earlier in self.reading.driver.operations[: self._position(op)]:
            if isinstance(earlier, HostCommand) and id(earlier) not in removed and _command_name(earlier) == "mkdir" and earlier.cwd.known:
                made.extend(_named_paths(earlier))
        return made

    def _made_by_kept_mkdir(self, op: HostCommand, paths: list[str], removed: set[int]) -> str | None:
        for made in self._kept_mkdir_paths(op, removed):
            path = next((path for path in paths if is_under(made, path)), None)
            if path is not None:
                return f"the driver still makes {self.facts.relative(made)}"
        return None

    def _position(self, op) -> int:
        """Where an operation runs in the driver's order (a function's line can come before its call)."""
        return next(index for index, candidate in enumerate(self.reading.driver.operations) if candidate is op)

    def _host_edit(self, op: HostCommand, final: BuiltImage) -> DriverEdit | None:
        name = posixpath.basename(op.argv[0].key) if op.argv[0].known else ""
        arguments = [w for w in op.argv[1:] if not w.key.startswith("-")]
        if not op.cwd.known or name == "umask":  # its word is a mode, not a path
            return None
        paths = [posixpath.normpath(posixpath.join(op.cwd.key, w.key)) if w.known else None for w in arguments]
        artifacts = [e.host_path for e in self.flow.extractions if e.container in self.states]
        touched = [p for p in paths if p is not None and any(_related(p, a) for a in artifacts)]
        if not touched:
            return None
        after_extraction = self._position(op) > min(
            self._position(e.copy or e.container.op) for e in self.flow.extractions if e.container in self.states
        )
        if not after_extraction and (name == "rm" or name in READS_ONLY):
            # Before anything is extracted it can only meet a stale copy from an earlier run.
            return None
        if name == "rm" and all(p is not None and any(_related(p, a) for a in artifacts) for p in paths):
            return self._removal(op, "cleans up the extracted artifact")
        # A directory the artifact's contents were unpacked or mounted into.
        mounts = {e.host_path for e in self.flow.extractions if e.source.contents_only and e.container in self.states}
        if name == "mkdir" and all(p is not None and _is_destination_parent(p, artifacts, self.facts) or p in mounts for p in paths):
            return self._removal(op, "makes the directory the artifact was extracted into")
        what = " ".join(w.text for w in op.argv)
        raise self.refuse(
            op.site,
            f"`{what}` uses the extracted artifact on the host; dmigrate cannot carry that into the migrated build",
        )


def notes_once(decisions: list[str], reading: ProjectReading) -> tuple[str, ...]:
    """Every decision and reader note once, in order; an absent path the tracer and the Makefile reader both assumed, once."""
    out: dict[str, None] = {}
    absent: set[str] = set()
    # The tracer's paths are relative to the project root, the Makefile reader's targets to make's directory.
    noted = [(text, reading.facts.root) for text in decisions]
    noted += [(text, str(reading.driver.start_dir)) for text in reading.driver.notes]
    for text, base in noted:
        match = _ASSUMED_ABSENT.match(text)
        if match is not None:
            path = posixpath.normpath(posixpath.join(base, match.group(1)))
            if path in absent:
                continue
            absent.add(path)
        out.setdefault(text)
    return tuple(out)


_ASSUMED_ABSENT = re.compile(r"^(?:.*?:\d+: )?assumed (.+) does not exist before (?:the driver|make) runs \(git does not track it\)$")
"""The note the tracer writes for an untracked copy or mount destination, and the Makefile reader for an untracked target."""

# Host commands that only look at files: harmless before the artifact exists.


def guarded(subject: str, guard: str) -> str:
    """A sentence saying that ``subject`` runs only sometimes: a reader's guard reads "inside a loop …" or "runs only when …"."""
    return f"{subject} {guard}" if guard.startswith("runs ") else f"{subject} is {guard}"


_ENTERS = re.compile(r"""(?:(?<![\w.-])(?:cd|pushd)\s+(?:-[LPe@]+\s+)*|chdir\(\s*)["']?([^\s"';&|)]+)""")
"""A directory change in driver text, with the directory it names."""


def _command_name(op: HostCommand) -> str:
    return posixpath.basename(op.argv[0].key) if op.argv and op.argv[0].known else ""


def _named_paths(op: HostCommand) -> list[str]:
    """The known paths a host command names, from its directory; its options left out."""
    return [
        posixpath.normpath(posixpath.join(op.cwd.key, word.key))
        for word in op.argv[1:]
        if word.known and not word.key.startswith("-")
    ]


def _step_paths(op) -> list[str]:
    """Host paths a step names: a host command's arguments, a build's context and Dockerfile, a bind mount's source."""
    if isinstance(op, HostCommand):
        return _named_paths(op) if op.cwd.known else []
    if isinstance(op, Build):
        return [path for path in build_paths(op) if path is not None]
    if isinstance(op, Container) and op.cwd.known:
        return [
            posixpath.normpath(posixpath.join(op.cwd.key, volume.host.key))
            for volume in op.volumes
            if volume.host.known and volume.host.key.startswith(("/", "."))
        ]
    return []


def _forced(op: HostCommand) -> bool:
    """``rm -f``: a path that is not there is no error."""
    return any(w.key == "--force" or w.key.startswith("-") and not w.key.startswith("--") and "f" in w.key for w in op.argv[1:])


def _related(path: str, artifact: str) -> bool:
    """An artifact, something inside one, or a directory that holds one."""
    return is_under(path, artifact) or is_under(artifact, path)


def _is_destination_parent(path: str, artifacts: list[str], facts) -> bool:
    return any(is_under(a, path) and a != path for a in artifacts) and facts.existed_before_run(path) is None
