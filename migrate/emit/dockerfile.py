"""Write the merged multi-stage Dockerfile from a plan.

Every instruction the plan does not change keeps its exact source text:
continuation lines, comments between them and blank lines included.
"""

from __future__ import annotations

import re

from migrate.plan import ArgRename, CopySpec, InstructionEdit, Plan, StagePlan
from migrate.read.dockerfile import BOM, Instruction, Trivia

_FROM_LINE = re.compile(r"^(?P<head>\s*\S+\s+(?:--\S+\s+)*)(?P<base>\S+)(?P<alias>\s+[Aa][Ss]\s+\S+)?(?P<tail>\s*)$")


def emit_dockerfile(plan: Plan) -> str:
    final = plan.stages[-1].dockerfile
    newline = "\r\n" if "\r\n" in final.text() else "\n"
    out: list[str] = [BOM] if final.bom else []
    out += [line + newline for line in plan.directives]
    for item in plan.global_args:
        out.append(_render_global(item, newline))
    if plan.global_args:
        out.append(newline)
    previous_file = None
    for stage_plan in plan.stages:
        text_so_far = "".join(out)
        if text_so_far and not text_so_far.endswith(("\n", "\r")):
            out.append(newline)
        if stage_plan.role == "run":
            # A `docker run` turned into a stage has no source text of its own.
            if text_so_far and not "".join(out).endswith(newline + newline):
                out.append(newline)
            out.append(f"FROM {stage_plan.base} AS {stage_plan.name}{newline}")
            out += [(line.written() if isinstance(line, CopySpec) else line) + newline for line in stage_plan.extra_lines]
            previous_file = stage_plan
            continue
        stage = stage_plan.dockerfile.stages[stage_plan.stage_index]
        if previous_file is not None and previous_file is not stage_plan.dockerfile:
            if not "".join(out).endswith(newline + newline) and not (stage.leading and not stage.leading[0].text.strip()):
                out.append(newline)
        previous_file = stage_plan.dockerfile
        out += [item.text for item in stage.leading]
        out.append(_render_from(stage_plan, stage.from_instruction, stage.name))
        edits = {edit.instruction.line: edit for edit in stage_plan.edits}
        renames = {rename.instruction.line: rename for rename in stage_plan.arg_renames}
        for item in stage.body:
            if isinstance(item, Trivia):
                out.append(item.text)
            elif item.line in edits:
                out.append(_render_edit(edits[item.line], newline))
            elif item.line in renames:
                out.append(_render_stage_rename(renames[item.line], newline))
            else:
                out.append(item.text)
    return "".join(out)


def _render_global(item: object, newline: str) -> str:
    if isinstance(item, ArgRename):
        return item.written
    return item.text if item.text.endswith(("\n", "\r")) else item.text + newline


def _render_stage_rename(rename: ArgRename, newline: str) -> str:
    if rename.keep_unset:
        # The stage never had a value for it; leaving it undeclared keeps it unset.
        return ""
    text = rename.written
    if not text.endswith(("\n", "\r")):
        text += newline
    return text + f"ENV {rename.name}=${{{rename.new_name}}}{newline}"


def _render_from(stage_plan: StagePlan, instruction: Instruction, original_name: str | None) -> str:
    wanted_name = stage_plan.name or None
    if stage_plan.base is None and wanted_name == original_name:
        return instruction.text
    body = instruction.text.rstrip("\r\n")
    ending = instruction.text[len(body) :] or ("\n" if stage_plan.role != "final" else "")
    match = _FROM_LINE.match(body) if "\n" not in body else None
    if match is None:
        flags = "".join(f"{flag} " for flag in instruction.flags)
        base = stage_plan.base or instruction.arguments.split()[0]
        alias = f" AS {wanted_name}" if wanted_name else ""
        return f"FROM {flags}{base}{alias}{ending or chr(10)}"
    base = stage_plan.base or match.group("base")
    alias = match.group("alias")
    if wanted_name and wanted_name != original_name:
        alias = f" AS {wanted_name}"
    return f"{match.group('head')}{base}{alias or ''}{match.group('tail')}{ending}"


def _render_edit(edit: InstructionEdit, newline: str) -> str:
    parts: list[str] = []
    original = edit.instruction
    if edit.keep_original:
        text = original.text
        for old, new in edit.flag_substitutions:
            text = text.replace(old, new, 1)
        if not text.endswith(("\n", "\r")):
            text += newline
        parts.append(text)
    keyword_case = original.text.lstrip().split(None, 1)[0]
    for spec in edit.replacement:
        parts.append(spec.written(keyword_case, original.is_json) + newline)
    return "".join(parts)
