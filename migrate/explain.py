"""``dmigrate --explain``: the traced flow of each project, changing nothing.

For each driver: every build (Dockerfile, context, tags, build args), every
container, every artifact from its container path to the host path and the
instruction that reads it, and the stage graph of the merged Dockerfile.
A refused project shows what was traced up to the refusal, and the refusal.

Nothing here decides: an explanation renders the :class:`~migrate.migration.Outcome`
the one pipeline made (the same run as ``--dry-run``, see ``cli.run``), and
:func:`with_claims` applies the run's refusal of projects that change one file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from migrate.display import display_location, display_path
from migrate.migration import ERROR, NOTHING, REFUSED

MIGRATION = "migration"


def with_claims(entries: list[dict], explanations: list) -> list[dict]:
    """The explanations, each refused where the run refused its project after planning (two projects that change one file)."""
    out = []
    for entry, explanation in zip(entries, explanations):
        explanation = dict(explanation)
        if entry["status"] == REFUSED and explanation["result"] != REFUSED:
            explanation.update(result=REFUSED, refusal=f"{entry['location']}: {entry['message']}", stages=[], reason=None)
        out.append(explanation)
    return out


def exit_code(explanations: list[dict]) -> int:
    """2 when a project is refused or cannot be read, as without ``--explain``."""
    return 2 if any(item["result"] in (REFUSED, ERROR) for item in explanations) else 0


def render_explanations(explanations: list[dict], output_format: str) -> None:
    if output_format == "json":
        json.dump({"version": 1, "projects": explanations}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_trees(explanations)


def _explanation(driver: str, result: str, **details) -> dict:
    """One project's explanation: every key is there whatever the result, so that tools can rely on them."""
    explanation = {
        "driver": driver,
        "kind": None,
        "result": result,
        "reason": None,
        "refusal": None,
        "error": None,
        "builds": [],
        "containers": [],
        "artifacts": [],
        "stages": [],
        "notes": [],
        "warnings": [],
    }
    explanation.update(details)
    return explanation


def explain_driver(driver: Path, cwd: Path, *, target_rule: str | None = None) -> dict:
    """What the pipeline made of ``driver`` (without writing), as a JSON-ready dict."""
    from migrate.migration import Options, migrate_driver

    return explain_outcome(migrate_driver(driver, Options(write=False, target_rule=target_rule)), cwd)


def explain_outcome(outcome, cwd: Path) -> dict:
    """An :class:`~migrate.migration.Outcome` as an explanation: what was read and traced, and the result the pipeline came to."""
    from migrate.migration import MIGRATED, PENDING
    from migrate.read.ops import Build
    from migrate.trace.notes import notes_once

    shown = display_path(outcome.driver, cwd)
    reading, flow, plan = outcome.reading, outcome.flow, outcome.plan
    where_stopped = display_location(outcome.location, cwd) if outcome.location is not None else None
    if outcome.status == ERROR:
        located = outcome.location is not None and (outcome.location.line is not None or outcome.location.file != outcome.driver)
        error = f"{where_stopped}: {outcome.message}" if located else outcome.message
        return _explanation(shown, ERROR, kind=reading.driver.kind if reading else None, error=error)
    if reading is None:
        if outcome.status == REFUSED:
            return _explanation(shown, REFUSED, refusal=f"{where_stopped}: {outcome.message}" if where_stopped else outcome.message)
        return _explanation(shown, NOTHING, reason=outcome.message)

    def where(site) -> str:
        return f"{display_path(site.file, cwd)}:{site.line}"

    images = flow.images if flow is not None else []
    traced = {id(image.build): image for image in images}
    builds = []
    for operation in reading.driver.operations:
        if not isinstance(operation, Build):
            continue
        image = traced.get(id(operation))
        builds.append(
            {
                "at": where(operation.site),
                "dockerfile": display_path(Path(image.dockerfile_path), cwd) if image else (operation.dockerfile.shown() if operation.dockerfile else "Dockerfile"),
                "context": display_path(Path(image.context), cwd) if image else operation.context.shown(),
                "tags": [tag.shown() for tag in operation.tags],
                "build_args": [arg.text for arg in operation.build_args],
                "target": operation.target.shown() if operation.target else None,
                "stage": (image.stage.name or str(image.stage.index)) if image else None,
                "guard": operation.site.guard,
            }
        )
    containers = []
    for state in flow.containers if flow is not None else []:
        containers.append(
            {
                "at": where(state.op.site),
                "name": state.key,
                "image": state.op.image.shown(),
                "built_at": where(state.image.build.site) if state.image else None,
                "runs": state.op.runs,
                "removed_at": [where(remove.site) for remove in state.removed_by],
            }
        )
    artifacts = []
    for extraction in flow.extractions if flow is not None else []:
        artifacts.append(
            {
                "container_path": extraction.source.path + ("/." if extraction.source.contents_only else ""),
                "host_path": reading.facts.relative(extraction.host_path),
                "extracted_at": where(extraction.site),
                "container": extraction.container.key,
                "consumers": [
                    {
                        "at": f"{display_path(Path(c.image.dockerfile_path), cwd)}:{c.instruction.line}",
                        "instruction": c.instruction.text.splitlines()[0].strip(),
                        "relation": c.relation,
                    }
                    for c in extraction.consumptions
                ],
            }
        )
    explanation = _explanation(
        shown,
        NOTHING,
        kind=reading.driver.kind,
        builds=builds,
        containers=containers,
        artifacts=artifacts,
        notes=list(notes_once(list(flow.decisions), reading)) if flow is not None else [],
        warnings=list(dict.fromkeys(flow.warnings)) if flow is not None else [],
    )
    if outcome.status == REFUSED:
        explanation.update(result=REFUSED, refusal=f"{where_stopped}: {outcome.message}" if where_stopped else outcome.message)
    elif outcome.status in (PENDING, MIGRATED) and plan is not None:
        merged_text = next((c.after for c in outcome.changes if c.path == plan.merged_dockerfile), None)
        explanation.update(
            result=MIGRATION, stages=_stage_graph(plan, merged_text, cwd), notes=list(plan.decisions), warnings=list(plan.warnings)
        )
    else:
        explanation["reason"] = outcome.message
    return explanation


def _stage_graph(plan, text: str | None, cwd: Path) -> list[dict]:
    """The stages of the merged Dockerfile (``text``) and what each takes from which."""
    from migrate.errors import MigrationStop
    from migrate.read.dockerfile import parse_dockerfile

    if text is None:
        return []
    try:
        merged = parse_dockerfile(text, plan.merged_dockerfile)
    except MigrationStop:
        return []
    names = {stage.ref.lower() for stage in merged.stages}
    shown = display_path(plan.merged_dockerfile, cwd)
    graph = []
    for stage in merged.stages:
        copies = []
        for instruction in stage.instructions:
            source = instruction.flag("from") if instruction.keyword in ("COPY", "ADD") else None
            if source:
                words = instruction.words()
                copies.append({"from": source, "paths": words[:-1], "to": words[-1] if words else "", "at": f"{shown}:{instruction.line}"})
        graph.append(
            {
                "name": stage.name,
                "index": stage.index,
                "base": stage.base,
                "base_is_stage": stage.base.lower() in names,
                "at": f"{shown}:{stage.from_instruction.line}",
                "copies": copies,
            }
        )
    return graph


def _print_trees(explanations: list[dict]) -> None:
    """The trees on standard output, written by us: rich would end the process itself when the reader goes away."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        # A file or a pipe gets whole lines, not lines folded at 80 columns.
        console = Console(highlight=False, width=100_000, no_color=True)
    with console.capture() as captured:
        for tree in _trees(explanations, plain=not console.is_terminal):
            console.print(tree)
    sys.stdout.write(captured.get())


def _trees(explanations: list[dict], *, plain: bool) -> Iterator:
    from rich.markup import escape
    from rich.tree import Tree

    from migrate.terminal import printable

    def label(text: str, style: str = "") -> str:
        text = printable(text)
        return escape(text) if plain or not style else f"[{style}]{escape(text)}[/]"

    for item in explanations:
        tree = Tree(label(f"{item['driver']}" + (f" ({item['kind']})" if item.get("kind") else ""), "bold"))
        if item["result"] in (ERROR, NOTHING) and not item["builds"]:
            tree.add(label(f"error: {item['error']}", "red") if item["error"] else label(f"nothing to do: {item['reason']}", "dim"))
            yield tree
            continue
        builds = tree.add(label("builds", "bold"))
        for build in item["builds"]:
            node = builds.add(label(f"{build['at']}  docker build -f {build['dockerfile']} {build['context']}", "cyan"))
            if build["tags"]:
                node.add(label("tags: " + ", ".join(build["tags"])))
            if build["build_args"]:
                node.add(label("args: " + " ".join(build["build_args"])))
            if build["target"]:
                node.add(label(f"target: {build['target']}"))
            if build["guard"]:
                node.add(label(f"only sometimes: {build['guard']}", "yellow"))
        containers = tree.add(label("containers", "bold"))
        for container in item["containers"]:
            verb = "run" if container["runs"] else "create"
            node = containers.add(label(f"{container['at']}  {verb} {container['name'] or '(anonymous)'} from {container['image']}", "cyan"))
            if container["built_at"]:
                node.add(label(f"image built at {container['built_at']}"))
            if container["removed_at"]:
                node.add(label("removed at " + ", ".join(container["removed_at"])))
        artifacts = tree.add(label("artifacts", "bold"))
        for artifact in item["artifacts"]:
            node = artifacts.add(label(f"{artifact['container_path']} → {artifact['host_path']}  ({artifact['extracted_at']})", "green"))
            for consumer in artifact["consumers"]:
                node.add(label(f"read by {consumer['at']}  {consumer['instruction']}  [{consumer['relation']}]"))
            if not artifact["consumers"]:
                node.add(label("read by no build", "yellow"))
        if item["result"] == MIGRATION:
            stages = tree.add(label("result: one multi-stage Dockerfile", "bold green"))
            for stage in item["stages"]:
                name = stage["name"] or f"stage {stage['index']}" + (" (final)" if stage is item["stages"][-1] else "")
                base = f"FROM {stage['base']}" + (" (a stage)" if stage["base_is_stage"] else "")
                node = stages.add(label(f"{stage['at']}  {name}  {base}"))
                for copy in stage["copies"]:
                    node.add(label(f"{copy['at']}  ← {copy['from']}: {' '.join(copy['paths'])} → {copy['to']}"))
        elif item["result"] == REFUSED:
            tree.add(label(f"refused: {item['refusal']}", "red"))
        elif item["result"] == ERROR:
            tree.add(label(f"error: {item['error']}", "red"))
        else:
            tree.add(label(f"nothing to do: {item['reason']}", "dim"))
        for warning in item["warnings"]:
            tree.add(label(f"warning: {warning}", "yellow"))
        for note in item["notes"]:
            tree.add(label(f"note: {note}", "dim"))
        yield tree
