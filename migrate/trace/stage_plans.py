"""The merged Dockerfile's stages in order, each with its new name, base, COPY edits and ARG renames.

The build images' stages come first, in the driver's order, then the run
stages, then the runtime Dockerfile's stages.  A ``--from`` that named a stage
by number, by a name that changed, or an image the driver built (now a stage)
is rewritten to name that stage in the merged file.
"""

from __future__ import annotations

from collections import defaultdict

from migrate.plan import ArgRename, BuildArgValue, InstructionEdit, StagePlan
from migrate.read.dockerfile import Instruction, Stage, Trivia
from migrate.trace.args import ArgMerge
from migrate.trace.contexts import ContextPlan
from migrate.trace.flow import BuiltImage, Flow, instruction_site
from migrate.trace.participants import Participants
from migrate.trace.runs import RunStage
from migrate.trace.stage_names import StageNames
from migrate.trace.stages import earlier_stage


def plan_stages(
    flow: Flow,
    participants: Participants,
    names: StageNames,
    runs: dict[int, RunStage],
    copy_edits: dict[tuple[int, int], list[InstructionEdit]],
    contexts: ContextPlan,
    arg_plan: ArgMerge,
) -> tuple[tuple[StagePlan, ...], tuple[Instruction | Trivia | ArgRename, ...], tuple[BuildArgValue, ...]]:
    """Every stage's plan, the merged pre-FROM block, and the build args the one build passes (``arg_plan``'s, and the run stages')."""
    merged, final = participants.merged, participants.final
    offsets: dict[int, int] = {}
    count = 0
    for image in merged:
        if image is final:
            count += len(runs)  # the run stages stand just before the runtime file's stages
        offsets[image.position] = count
        count += len(image.dockerfile.stages)
    plans: list[StagePlan] = []
    for image in merged:
        if image is final:
            for run in runs.values():
                plans.append(StagePlan(run.name, final.dockerfile, -1, "run", base=run.base, extra_lines=run.lines))
                for arg in run.build_args:
                    arg_plan.add(arg)
        renamed_stages = _renamed_stages(image, names)
        chain_bases = {stage.index: base for chain_image, stage, base in flow.chains if chain_image is image}
        for stage in image.dockerfile.stages:
            key = (image.position, stage.index)
            edits = list(copy_edits.get(key, [])) + list(contexts.edits.get(key, []))
            substitutions = _from_substitutions(flow, stage, offsets[image.position], renamed_stages, image, names)
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
                base = names.of(chain_bases[stage.index])
            elif (earlier := earlier_stage(image.dockerfile, stage)) is not None and earlier.name:
                base = renamed_stages.get(earlier.name.lower())
            if base is None:
                base = arg_plan.renamed_base(image, stage)
            plans.append(
                StagePlan(
                    name=names.get(key) or stage.name or "",
                    dockerfile=image.dockerfile,
                    stage_index=stage.index,
                    role="final" if image is final else "build",
                    base=base,
                    edits=tuple(sorted(edits, key=lambda e: e.instruction.line)),
                    arg_renames=arg_plan.stage_renames(image, stage),
                )
            )
    return tuple(plans), arg_plan.global_block(), tuple(arg_plan.added)


def directives(flow: Flow, merged: tuple[BuiltImage, ...], has_runs: bool, decisions: list[str]) -> tuple[str, ...]:
    """The parser directives that head the merged Dockerfile: every file's, which must agree."""
    facts = flow.reading.facts
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
                    raise flow.refusal(
                        instruction_site(image.dockerfile.path, Instruction("", (), "", "", directive.line, directive.line)),
                        f"the parser directive `{name}` differs between the Dockerfiles ({seen[name]!r} and {value!r})",
                    )
                continue
            seen[name] = value
            lines.append(text)
    escapes = {image.dockerfile.escape for image in merged}
    if len(escapes) > 1:
        raise flow.refusal(merged[0].build.site, "the Dockerfiles use different escape characters")
    for name, held in holders.items():
        lacking = [image for image in merged if all(image is not holder for holder, _, _ in held)]
        # The escape character is the same in every file (checked above), so only the others change what a file means.
        if name == "escape" or not lacking:
            continue
        holder, text, line = held[0]
        files = ", ".join(dict.fromkeys(facts.relative(image.dockerfile_path) for image in lacking))
        decisions.append(
            f"{facts.relative(holder.dockerfile_path)}:{line}: the parser directive `{text.strip()}` now heads the merged "
            f"Dockerfile, so it applies to the stages from {files} too"
        )
    if has_runs and escapes != {"\\"}:
        raise flow.refusal(merged[0].build.site, "the Dockerfiles use the escape character `, which dmigrate does not write run stages for")
    return tuple(lines)


def _renamed_stages(image: BuiltImage, names: StageNames) -> dict[str, str]:
    renamed = {}
    for stage in image.dockerfile.stages:
        new = names.get((image.position, stage.index))
        if stage.name and new and new != stage.name:
            renamed[stage.name.lower()] = new
    return renamed


def _from_substitutions(flow: Flow, stage: Stage, offset: int, renamed: dict[str, str], image: BuiltImage, names: StageNames):
    """``--from`` flags that must name another stage in the merged file: a renumbered or renamed stage, or a built image now merged."""
    merged_images = {id(instruction): built for copier, instruction, built in flow.copies_from if copier is image}
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
                    pairs.append((flag, f"{name}={names.of(built)}"))
                elif value.isdigit() and offset:
                    pairs.append((flag, f"{name}={int(value) + offset}"))
                elif value.lower() in renamed:
                    pairs.append((flag, f"{name}={renamed[value.lower()]}"))
            elif name.lower() == "--mount" and "from=" in value:
                raise flow.refusal(instruction_site(image.dockerfile.path, instruction), "RUN --mount=from= is not supported yet")
        if pairs:
            found.append((instruction, pairs))
    return found
