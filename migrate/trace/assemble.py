"""Turn a traced :class:`~migrate.trace.flow.Flow` into a :class:`~migrate.plan.Plan`.

Decides which builds become stages and what they are called, how each
consuming COPY reads its artifact from a stage, how the two builds' args
share one ``docker build``, and which driver steps go away.  Every case it
cannot prove equivalent is a :class:`~migrate.errors.Refusal`.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from pathlib import Path

from migrate.errors import Location, Refusal
from migrate.plan import ArgRename, Artifact, Consumer, CopySpec, DriverEdit, InstructionEdit, NothingToDo, Plan, StagePlan
from migrate.read.dockerfile import Dockerfile, Instruction, Stage, Trivia
from migrate.read.dockerignore import DockerIgnore
from migrate.read.ops import Build, BuildArg, HostCommand, OtherDocker, Remove, RemoveImage, Site
from migrate.trace.flow import BuiltImage, Consumption, Extraction, Flow, image_key
from migrate.trace.paths import STANDARD_DIRECTORIES, is_directory_target
from migrate.trace.stages import path_kind, stage_name_candidates, stage_runs_as_root, valid_stage_name

PREDEFINED_ARGS = frozenset(
    {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"}
)
_IGNORED_BUILD_FLAGS = frozenset({"--no-cache", "--pull", "-q", "--quiet", "--rm", "--force-rm", "--compress", "--label", "--iidfile", "--progress", "--load"})


def _refuse(site: Site | None, reason: str, fallback: Path) -> Refusal:
    return Refusal(Location(site.file, site.line) if site else Location(fallback), reason)


def _at(path: Path, instruction: Instruction) -> Site:
    return Site(path, instruction.line, None)


class Assembler:
    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.reading = flow.reading
        self.facts = flow.reading.facts
        self.driver_path = flow.reading.driver.path
        self.decisions = list(flow.decisions)
        self.warnings = list(flow.warnings)

    def refuse(self, site: Site | None, reason: str) -> Refusal:
        return _refuse(site, reason, self.driver_path)

    # -- entry -------------------------------------------------------------------
    def assemble(self) -> Plan | NothingToDo:
        flow = self.flow
        if not flow.extractions:
            return NothingToDo(self.reading.driver, self._nothing_reason())
        consumed = [e for e in flow.extractions if e.consumptions]
        if not consumed:
            return NothingToDo(
                self.reading.driver,
                "artifacts are copied out of containers, but no docker build of this driver reads them",
            )
        for extraction in flow.extractions:
            if not extraction.consumptions and not extraction.removed_on_host:
                raise self.refuse(
                    extraction.site,
                    f"{self.facts.relative(extraction.host_path)} is extracted but no build reads it; "
                    "the migrated flow would no longer leave it on the host",
                )
        builders = self._builder_images()
        final = self._final_image(builders)
        merged = sorted(set(builders) | {final}, key=lambda image: image.position)
        self._check_contexts(merged, final)
        self._check_guards(merged)
        self._check_build_flags(builders, final)
        names = self._stage_names(merged, final)
        stage_plans, global_args, add_args = self._stages(merged, final, names)
        driver_edits = self._driver_edits(builders, final, names, add_args)
        artifacts = self._artifacts(names)
        deleted = tuple(
            Path(image.dockerfile_path) for image in builders if image.dockerfile_path != final.dockerfile_path and not self._retargeted(image)
        )
        return Plan(
            driver=self.reading.driver,
            merged_dockerfile=Path(final.dockerfile_path),
            directives=self._directives(merged),
            global_args=global_args,
            stages=stage_plans,
            artifacts=artifacts,
            driver_edits=driver_edits,
            deleted=tuple(dict.fromkeys(deleted)),
            dockerignore=self._dockerignore_lines(final),
            decisions=tuple(dict.fromkeys(self.decisions + list(self.reading.driver.notes))),
            warnings=tuple(dict.fromkeys(self.warnings)),
            build_args=tuple(add_args),
        )

    def _nothing_reason(self) -> str:
        builds = [op for op in self.reading.driver.operations if isinstance(op, Build)]
        if not builds:
            return "the driver runs no docker build"
        for image in self.flow.images:
            if len(image.dockerfile.stages) > 1:
                return f"{image.dockerfile.path.name} is already a multi-stage build and nothing is copied out of a container"
        return "nothing is copied out of a container, so there is no builder pattern to migrate"

    # -- which builds take part ----------------------------------------------------
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
        final = finals[0]
        for consumption in self.flow.consumptions:
            if consumption.extraction.copy is not None and consumption.extraction.site.file == final.build.site.file:
                pass
        return final

    def _check_contexts(self, merged: list[BuiltImage], final: BuiltImage) -> None:
        for image in merged:
            if image.context != final.context:
                raise self.refuse(
                    image.build.site,
                    f"this build's context ({self.facts.relative(image.context)}) differs from the runtime build's "
                    f"({self.facts.relative(final.context)}); rebasing a second context is not supported yet",
                )
            if image.dockerfile_path + ".dockerignore" in self.facts.texts and image is not final:
                raise self.refuse(image.build.site, f"{Path(image.dockerfile_path).name}.dockerignore gives this build its own ignore rules")
        paths = [image.dockerfile_path for image in merged]
        if len(set(paths)) != len(paths):
            raise self.refuse(final.build.site, "the same Dockerfile builds both the build image and the runtime image")

    def _check_guards(self, merged: list[BuiltImage]) -> None:
        sites: list[Site] = [image.build.site for image in merged]
        for extraction in self.flow.extractions:
            sites.append(extraction.site)
            sites.append(extraction.container.op.site)
            sites.extend(remove.site for remove in extraction.container.removed_by)
        for site in sites:
            if site.guard:
                raise self.refuse(site, f"this step of the flow is {site.guard}; the migrated build would always run it")

    def _check_build_flags(self, builders: list[BuiltImage], final: BuiltImage) -> None:
        final_flags = {name: (value.key if value else None) for name, value in final.build.other_flags}
        for image in builders:
            for name, value in image.build.other_flags:
                if name in _IGNORED_BUILD_FLAGS:
                    continue
                if final_flags.get(name, object()) != (value.key if value else None):
                    raise self.refuse(
                        image.build.site,
                        f"the build image is built with {name}{' ' + value.text if value else ''}, which the runtime build does not share",
                    )

    # -- stage names ---------------------------------------------------------------
    def _stage_names(self, merged: list[BuiltImage], final: BuiltImage) -> dict[tuple[int, int], str]:
        """Names for every merged stage, keyed by (image position, stage index); unnamed final stages stay unnamed."""
        taken: set[str] = set()
        bare_bases = set()
        for image in merged:
            for stage in image.dockerfile.stages:
                bare_bases.add(stage.base.lower())
                for instruction in stage.instructions:
                    source = instruction.flag("from")
                    if source:
                        bare_bases.add(source.lower())
        for stage in final.dockerfile.stages:
            if stage.name:
                taken.add(stage.name.lower())
        names: dict[tuple[int, int], str] = {}
        for image in merged:
            if image is final:
                for stage in image.dockerfile.stages:
                    if stage.name:
                        names[(image.position, stage.index)] = stage.name
                continue
            for stage in image.dockerfile.stages:
                if stage.name and stage.name.lower() not in taken and stage is not image.stage:
                    names[(image.position, stage.index)] = stage.name
                    taken.add(stage.name.lower())
                    continue
                if stage is not image.stage and not stage.name:
                    continue
                preferred = [stage.name.lower()] if stage.name else []
                candidates = preferred + stage_name_candidates(image.tags, Path(image.dockerfile_path).name)
                name = self._unique(candidates, taken | bare_bases)
                names[(image.position, stage.index)] = name
                taken.add(name)
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

    # -- stages, args and COPY edits --------------------------------------------------
    def _stages(self, merged, final, names):
        offsets: dict[int, int] = {}
        count = 0
        for image in merged:
            offsets[image.position] = count
            count += len(image.dockerfile.stages)
        arg_plan = _ArgMerge(self, merged, final, names)
        arg_plan.run()
        copy_edits = self._copy_edits(names)
        plans: list[StagePlan] = []
        for image in merged:
            renamed_stages = self._renamed_stages(image, names)
            chain_bases = {stage.index: base for chain_image, stage, base in self.flow.chains if chain_image is image for base in [base]}
            for stage in image.dockerfile.stages:
                edits = list(copy_edits.get((image.position, stage.index), []))
                substitutions = self._from_substitutions(stage, offsets[image.position], renamed_stages)
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
                elif stage.base.lower() in renamed_stages:
                    base = renamed_stages[stage.base.lower()]
                role = "final" if image is final else "build"
                plans.append(
                    StagePlan(
                        name=names.get((image.position, stage.index), stage.name or ""),
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

    def _from_substitutions(self, stage: Stage, offset: int, renamed: dict[str, str]):
        found = []
        for instruction in stage.instructions:
            if instruction.keyword not in ("COPY", "ADD", "RUN"):
                continue
            pairs = []
            for flag in instruction.flags:
                name, _, value = flag.partition("=")
                if name.lower() == "--from":
                    if value.isdigit() and offset:
                        pairs.append((flag, f"{name}={int(value) + offset}"))
                    elif value.lower() in renamed:
                        pairs.append((flag, f"{name}={renamed[value.lower()]}"))
                elif name.lower() == "--mount" and "from=" in value:
                    raise self.refuse(_at(stage.from_instruction and Path(self.driver_path), instruction), "RUN --mount=from= is not supported yet")
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
        site = _at(image.dockerfile.path, instruction)
        words = instruction.words()
        sources, destination = words[:-1], words[-1]
        replaced = {c.source for c in consumptions if c.relation in ("itself", "inside")}
        kept_sources = [s for s in sources if s not in replaced]
        base_flags = [f for f in instruction.flags if not f.lower().startswith("--from")]
        specs: list[CopySpec] = []
        keep_original = not replaced
        if replaced and kept_sources:
            specs.append(CopySpec(tuple(base_flags), tuple(kept_sources), destination, instruction.keyword))
        for source in sources:
            for consumption in (c for c in consumptions if c.source == source):
                specs.append(self._artifact_spec(consumption, base_flags, destination, len(sources), names, site))
        return InstructionEdit(instruction, tuple(specs), keep_original=keep_original)

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
        elif consumption.relation == "itself":
            host_name = posixpath.basename(extraction.host_path)
            if host_name != source.basename and not source.contents_only:
                target = self._renamed_target(consumption, destination, source_count, host_name, site)
        flags = [f"--from={stage_ref}"]
        has_chown = any(f.lower().startswith("--chown") for f in base_flags)
        if not has_chown and not root_owned:
            flags.append("--chown=0:0")
        flags.extend(base_flags)
        if extraction.mode_from_host and not any(f.lower().startswith("--chmod") for f in base_flags):
            flags.append("--chmod=644")
            self.decisions.append(
                f"{_where(extraction.site)}: the host wrote {self.facts.relative(extraction.host_path)} itself, "
                "so it had mode 0644 (umask 022); the COPY --from keeps that with --chmod=644"
            )
        return CopySpec(tuple(flags), (path,), target)

    def _renamed_target(self, consumption: Consumption, destination, source_count, host_name, site) -> str:
        extraction = consumption.extraction
        workdir_relative = not destination.startswith("/")
        target_is_directory = is_directory_target(destination, source_count) or (
            not workdir_relative and posixpath.normpath(destination) in STANDARD_DIRECTORIES
        )
        if not target_is_directory:
            return destination
        image = extraction.container.image
        kind = path_kind(image.stage, extraction.source.path) if image is not None else None
        if kind == "dir":
            return destination
        if kind is None:
            raise self.refuse(
                site,
                f"{extraction.source.path} is renamed to {host_name} on the host and copied into the directory {destination}, "
                "but the build image's Dockerfile does not show whether it is a file or a directory",
            )
        return posixpath.join(destination, host_name) if not destination.endswith("/") else destination + host_name

    def _artifact_origin(self, extraction: Extraction, names) -> tuple[str, bool]:
        image = extraction.container.image
        if image is None:
            reference = extraction.container.external or ""
            if not reference or "\x00" in reference:
                raise self.refuse(extraction.container.op.site, "the image this container comes from cannot be known without running the driver")
            return reference, False
        return self.stage_name(image, names), self._root_owned(image)

    def _root_owned(self, image: BuiltImage, seen=None) -> bool:
        seen = seen or set()
        stage = image.stage
        chain = [base for chain_image, chain_stage, base in self.flow.chains if chain_image is image and chain_stage is stage]
        if chain:
            if id(chain[0]) in seen:
                return False
            return stage_runs_as_root(stage, self._root_owned(chain[0], seen | {id(image)}))
        internal = image.dockerfile.stage(stage.base)
        if internal is not None and internal is not stage:
            return stage_runs_as_root(stage, stage_runs_as_root(internal)) and not internal.name is None or stage_runs_as_root(
                stage, stage_runs_as_root(internal)
            )
        return stage_runs_as_root(stage)

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
            artifacts.append(
                Artifact(
                    stage=stage_ref,
                    container_path=extraction.source.path,
                    contents_only=extraction.source.contents_only,
                    host_path=self.facts.relative(extraction.host_path),
                    extracted_at=extraction.site,
                    consumers=consumers,
                )
            )
        return tuple(artifacts)

    def _directives(self, merged: list[BuiltImage]) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        lines: list[str] = []
        for image in reversed(merged):
            for directive in image.dockerfile.directives:
                text = directive.text.rstrip("\r\n")
                name = text.lstrip("#").split("=", 1)[0].strip().lower()
                value = text.split("=", 1)[1].strip() if "=" in text else ""
                if name in seen:
                    if seen[name] != value:
                        raise self.refuse(
                            _at(image.dockerfile.path, Instruction("", (), "", "", directive.line, directive.line)),
                            f"the parser directive `{name}` differs between the Dockerfiles ({seen[name]!r} and {value!r})",
                        )
                    continue
                seen[name] = value
                lines.append(text)
        escapes = {image.dockerfile.escape for image in merged}
        if len(escapes) > 1:
            raise self.refuse(merged[0].build.site, "the Dockerfiles use different escape characters")
        return tuple(lines)

    def _dockerignore_lines(self, final: BuiltImage) -> tuple[tuple[Path, tuple[str, ...]], ...]:
        lines = []
        for consumption in self.flow.consumptions:
            if consumption.image is not final or consumption.relation != "directory":
                continue
            relative = posixpath.relpath(consumption.extraction.host_path, final.context)
            if self.facts.existed_before_run(consumption.extraction.host_path):
                raise self.refuse(
                    consumption.extraction.site,
                    f"{relative} holds files git tracks, and the extracted artifact is merged into them",
                )
            line = "/" + relative
            if line not in lines:
                lines.append(line)
        if not lines:
            return ()
        own = final.dockerfile_path + ".dockerignore"
        path = own if own in self.facts.texts else posixpath.join(final.context, ".dockerignore")
        existing = DockerIgnore(self.facts.texts.get(path, ""))
        missing = tuple(line for line in lines if not existing.excludes(line))
        if missing:
            self.decisions.append(
                f"added {', '.join(missing)} to {self.facts.relative(path)} so that a stale local copy cannot reach the image"
            )
        return ((Path(path), self.facts.texts.get(path), missing),) if missing else ()

    # -- the driver ---------------------------------------------------------------------
    def _retargeted(self, image: BuiltImage) -> bool:
        return image in self._tag_users()

    def _tag_users(self) -> dict[BuiltImage, list]:
        users: dict[BuiltImage, list] = defaultdict(list)
        extraction_containers = {id(e.container) for e in self.flow.extractions}
        for state in self.flow.containers:
            if state.image is not None and id(state) not in extraction_containers:
                users[state.image].append(state.op)
        for op, _what in self.flow.uses:
            if isinstance(op, OtherDocker):
                for word in op.arguments:
                    for image in self.flow.images:
                        if image_key(word.key) in {image_key(t) for t in image.tags}:
                            users[image].append(op)
        return users

    def _driver_edits(self, builders, final, names, add_args) -> tuple[DriverEdit, ...]:
        edits: list[DriverEdit] = []
        users = self._tag_users()
        merged_relative = posixpath.relpath(final.dockerfile_path, builders[0].build.cwd.key) if builders else ""
        for image in builders:
            if image in users:
                lines = ", ".join(str(op.site.line) for op in users[image])
                self.decisions.append(
                    f"{_where(image.build.site)}: the build image is still used (line {lines}), so it is now built "
                    f"from the merged Dockerfile with --target {self.stage_name(image, names)}"
                )
                edits.append(DriverEdit(image.build.site, "retarget", (merged_relative, self.stage_name(image, names))))
            else:
                edits.append(DriverEdit(image.build.site, "remove", reason="builds the build image, now a stage"))
        removed_containers = set()
        for extraction in self.flow.extractions:
            state = extraction.container
            if id(state) not in removed_containers:
                removed_containers.add(id(state))
                edits.append(DriverEdit(state.op.site, "remove", reason="creates the extraction container"))
            if extraction.copy is not None:
                edits.append(DriverEdit(extraction.copy.site, "remove", reason="copies the artifact to the host"))
        extraction_names = {e.container.key for e in self.flow.extractions if e.container.key is not None}
        for op in self.reading.driver.operations:
            if isinstance(op, Remove):
                keys = {w.key for w in op.containers}
                if keys and keys <= extraction_names:
                    edits.append(DriverEdit(op.site, "remove", reason="removes the extraction container"))
                elif keys & extraction_names:
                    raise self.refuse(op.site, "removes the extraction container together with others; split the command first")
            elif isinstance(op, RemoveImage):
                builder_tags = {image_key(t) for image in builders if image not in users for t in image.tags}
                keys = {image_key(w.key) for w in op.images}
                if keys and keys <= builder_tags:
                    edits.append(DriverEdit(op.site, "remove", reason="removes the build image, which no longer exists"))
                elif keys & builder_tags:
                    raise self.refuse(op.site, "removes the build image together with others; split the command first")
            elif isinstance(op, OtherDocker):
                keys = {w.key for w in op.arguments} | {w.key.split(":", 1)[0] for w in op.arguments}
                if keys & extraction_names:
                    raise self.refuse(op.site, f"`docker {op.subcommand}` uses the extraction container, which the migrated flow no longer has")
            elif isinstance(op, HostCommand):
                edit = self._host_edit(op, final)
                if edit is not None:
                    edits.append(edit)
        edits.append(DriverEdit(final.build.site, "add-build-args", tuple(add_args)) if add_args else None)
        unique: dict[object, DriverEdit] = {}
        for edit in filter(None, edits):
            unique.setdefault((edit.site, edit.action, edit.texts), edit)
        self._check_shared_sites(list(unique.values()))
        return tuple(unique.values())

    def _check_shared_sites(self, edits: list[DriverEdit]) -> None:
        removed = {edit.site for edit in edits if edit.action == "remove"}
        removed_places = {site.place for site in removed}
        for op in self.reading.driver.operations:
            if op.site not in removed and op.site.place in removed_places:
                raise self.refuse(op.site, "this line runs both a step that goes away and one that stays (a function called twice?)")

    def _host_edit(self, op: HostCommand, final: BuiltImage) -> DriverEdit | None:
        name = posixpath.basename(op.argv[0].key) if op.argv[0].known else ""
        arguments = [w for w in op.argv[1:] if not w.key.startswith("-")]
        if not op.cwd.known:
            return None
        paths = [posixpath.normpath(posixpath.join(op.cwd.key, w.key)) if w.known else None for w in arguments]
        artifacts = [e.host_path for e in self.flow.extractions]
        touched = [p for p in paths if p is not None and any(_related(p, a) for a in artifacts)]
        if not touched:
            if any(p is None for p in paths) and name not in ("mkdir", "rm") and self.flow.extractions:
                return None
            return None
        after_extraction = op.site.line > min(e.site.line for e in self.flow.extractions) or op.site.file != self.flow.extractions[0].site.file
        if name == "rm" and after_extraction and all(p is not None and _cleans_artifact(p, artifacts) for p in paths):
            return DriverEdit(op.site, "remove", reason="cleans up the extracted artifact")
        if name == "rm" and not after_extraction:
            return None
        if name == "mkdir" and all(p is not None and _is_destination_parent(p, artifacts, self.facts) for p in paths):
            return DriverEdit(op.site, "remove", reason="makes the directory the artifact was extracted into")
        what = " ".join(w.text for w in op.argv)
        raise self.refuse(
            op.site,
            f"`{what}` uses the extracted artifact on the host; dmigrate cannot carry that into the migrated build",
        )


class _ArgMerge:
    """How the build args of several builds share one ``docker build``.

    A build arg reaches every stage that declares it, so when the builds
    disagree about a name the build image's copy is renamed.
    """

    def __init__(self, assembler: Assembler, merged: list[BuiltImage], final: BuiltImage, names) -> None:
        self.assembler = assembler
        self.merged = merged
        self.final = final
        self.names = names
        self.added: list[str] = []
        self.renames: dict[int, dict[str, str]] = defaultdict(dict)
        """Per image position: old name → new name."""

    def run(self) -> None:
        final_args = _passed(self.final.build)
        taken = {name for image in self.merged for name in _declared(image.dockerfile)} | set(final_args)
        for image in self.merged:
            if image is self.final:
                continue
            own = _passed(image.build)
            declared_here = _declared(image.dockerfile)
            declared_elsewhere = set().union(*(_declared(other.dockerfile) for other in self.merged if other is not image))
            passed_elsewhere = dict(final_args)
            for other in self.merged:
                if other is not image and other is not self.final:
                    for name, arg in _passed(other.build).items():
                        passed_elsewhere.setdefault(name, arg)
            for name in list(own) + sorted(declared_here - set(own)):
                mine = own.get(name)
                theirs = passed_elsewhere.get(name)
                if name in PREDEFINED_ARGS and name not in declared_here | declared_elsewhere:
                    if mine is not None and theirs is None:
                        self._add(mine.text)
                    continue
                if self._conflicts(image, name, mine, theirs, declared_here, declared_elsewhere):
                    new = self._new_name(image, name, taken)
                    taken.add(new)
                    self.renames[image.position][name] = new
                    if mine is not None:
                        if mine.value is None:
                            raise self.assembler.refuse(
                                image.build.site,
                                f"--build-arg {name} takes its value from the environment and clashes with the runtime build's {name}",
                            )
                        self._add(f"--build-arg {new}={mine.value.text}")
                elif mine is not None and theirs is None:
                    self._add(mine.text)

    def _add(self, text: str) -> None:
        if text not in self.added:
            self.added.append(text)

    def _conflicts(self, image, name, mine: BuildArg | None, theirs: BuildArg | None, declared_here, declared_elsewhere) -> bool:
        mine_key = _arg_key(mine)
        theirs_key = _arg_key(theirs)
        if name in declared_here and theirs is not None and theirs_key != mine_key:
            return True
        if name in declared_elsewhere and mine is not None and theirs is None:
            return True
        my_global = _global_default(image.dockerfile, name)
        for other in self.merged:
            if other is image:
                continue
            their_global = _global_default(other.dockerfile, name)
            if my_global is not _MISSING and their_global is not _MISSING and my_global != their_global:
                return True
            if my_global is not _MISSING and their_global is _MISSING and name in _declared_in_stages(other.dockerfile):
                return True
            if their_global is not _MISSING and my_global is _MISSING and name in _declared_in_stages(image.dockerfile):
                return True
        return False

    def _new_name(self, image: BuiltImage, name: str, taken: set[str]) -> str:
        prefix = re.sub(r"[^A-Za-z0-9]+", "_", self.assembler.stage_name(image, self.names)).upper().strip("_")
        candidate = f"{prefix}_{name}"
        number = 2
        while candidate in taken:
            candidate = f"{prefix}_{name}_{number}"
            number += 1
        return candidate

    def stage_renames(self, image: BuiltImage, stage: Stage) -> tuple[ArgRename, ...]:
        renames = self.renames.get(image.position, {})
        if not renames:
            return ()
        found = []
        own = _passed(image.build)
        for instruction in stage.instructions:
            if instruction.keyword != "ARG":
                continue
            pairs = instruction.key_values()
            for name, default in pairs:
                if name not in renames:
                    continue
                if len(pairs) > 1:
                    raise self.assembler.refuse(
                        _at(image.dockerfile.path, instruction), f"ARG {name} must be renamed; declare it on a line of its own"
                    )
                unset = default is None and name not in own and _global_default(image.dockerfile, name) is _MISSING
                found.append(ArgRename(name, renames[name], instruction, default, keep_unset=unset))
        if found and self._stage_is_a_base(image, stage):
            raise self.assembler.refuse(
                _at(image.dockerfile.path, found[0].instruction),
                f"ARG {found[0].name} must be renamed, and the ENV that keeps its value would leak into the stages built on this one",
            )
        return tuple(found)

    def _stage_is_a_base(self, image: BuiltImage, stage: Stage) -> bool:
        if any(base is image and image.stage is stage for _i, _s, base in self.assembler.flow.chains):
            return True
        return any(other.base == stage.name for other in image.dockerfile.stages if stage.name)

    def global_block(self) -> tuple[object, ...]:
        """The merged pre-FROM block: each file's ARGs and comments, renamed where needed, without repeats."""
        block: list[object] = []
        seen: set[str] = set()
        for image in self.merged:
            renames = self.renames.get(image.position, {})
            for item in image.dockerfile.preamble:
                if isinstance(item, Trivia):
                    if item.text.strip():
                        block.append(item)
                    continue
                pairs = item.key_values()
                if any(name in renames for name, _ in pairs):
                    if len(pairs) > 1:
                        raise self.assembler.refuse(_at(image.dockerfile.path, item), "a global ARG that must be renamed shares its line")
                    name, default = pairs[0]
                    block.append(ArgRename(name, renames[name], item, default))
                    continue
                text = item.text.strip()
                if text in seen:
                    continue
                seen.add(text)
                block.append(item)
        return tuple(block)


_MISSING = object()


def _global_default(dockerfile: Dockerfile, name: str):
    for instruction in dockerfile.global_args:
        for arg, default in instruction.key_values():
            if arg == name:
                return default
    return _MISSING


def _declared(dockerfile: Dockerfile) -> set[str]:
    names = _declared_in_stages(dockerfile)
    for instruction in dockerfile.global_args:
        names.update(name for name, _ in instruction.key_values())
    return names


def _declared_in_stages(dockerfile: Dockerfile) -> set[str]:
    return {name for stage in dockerfile.stages for i in stage.instructions if i.keyword == "ARG" for name, _ in i.key_values()}


def _passed(build: Build) -> dict[str, BuildArg]:
    return {arg.name: arg for arg in build.build_args}


def _arg_key(arg: BuildArg | None) -> str | None:
    if arg is None:
        return None
    return arg.value.key if arg.value is not None else f"\x00env:{arg.name}\x00"


def _related(path: str, artifact: str) -> bool:
    return path == artifact or path.startswith(artifact + "/") or artifact.startswith(path.rstrip("/") + "/")


def _cleans_artifact(path: str, artifacts: list[str]) -> bool:
    """``rm`` of an artifact, something inside one, or a directory that holds only artifacts."""
    return any(path == a or path.startswith(a + "/") for a in artifacts) or any(a.startswith(path + "/") for a in artifacts)


def _is_destination_parent(path: str, artifacts: list[str], facts) -> bool:
    return any(a.startswith(path.rstrip("/") + "/") for a in artifacts) and facts.existed_before_run(path) is None


def _where(site: Site) -> str:
    return f"{site.file.name}:{site.line}"
