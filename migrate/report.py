"""How outcomes are shown: text for people, JSON for tools."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from migrate.change import display_path, unified_diff
from migrate.migration import ERROR, MIGRATED, NOTHING, PENDING, REFUSED, Outcome

_VERBS = {MIGRATED: "migrated", PENDING: "would migrate", NOTHING: "nothing to do for", REFUSED: "refused", ERROR: "error"}


def exit_code(outcomes: list[Outcome], *, check: bool) -> int:
    if any(o.status in (REFUSED, ERROR) for o in outcomes):
        return 2
    if check and any(o.status == PENDING for o in outcomes):
        return 1
    return 0


def render(outcomes: list[Outcome], output_format: str, *, dry_run: bool, check: bool, quiet: bool) -> None:
    cwd = Path(os.getcwd())
    if output_format == "json":
        json.dump(json_report(outcomes, cwd), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    if dry_run:
        _print_diff(unified_diff([c for o in outcomes for c in o.changes], cwd))
    for outcome in outcomes:
        _print_outcome(outcome, cwd, quiet)


def _print_outcome(outcome: Outcome, cwd: Path, quiet: bool) -> None:
    err = sys.stderr
    shown = display_path(outcome.driver, cwd)
    if outcome.status in (REFUSED, ERROR):
        where = outcome.location.render(cwd) if outcome.location else shown
        print(f"{where}: {outcome.status}: {outcome.message}", file=err)
        return
    if quiet:
        return
    message = f": {outcome.message}" if outcome.message else ""
    print(f"{_VERBS[outcome.status]} {shown}{message}", file=err)
    if outcome.plan is not None and outcome.status in (MIGRATED, PENDING):
        for warning in outcome.plan.warnings:
            print(f"  warning: {warning}", file=err)
        for decision in outcome.plan.decisions:
            print(f"  note: {decision}", file=err)


def _print_diff(diff: str) -> None:
    if not diff:
        return
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        from rich.console import Console
        from rich.syntax import Syntax

        Console(highlight=False).print(Syntax(diff, "diff", theme="ansi_dark", background_color="default"))
        return
    sys.stdout.write(diff)
    sys.stdout.flush()


def json_report(outcomes: list[Outcome], cwd: Path) -> dict:
    return {
        "version": 1,
        "projects": [_project_json(outcome, cwd) for outcome in outcomes],
        "summary": {status: sum(1 for o in outcomes if o.status == status) for status in _VERBS},
    }


def _project_json(outcome: Outcome, cwd: Path) -> dict:
    plan = outcome.plan
    entry: dict = {
        "driver": display_path(outcome.driver, cwd),
        "status": outcome.status,
        "message": outcome.message,
        "location": outcome.location.render(cwd) if outcome.location else None,
        "changed_files": [display_path(p, cwd) for p in outcome.changed_files],
        "stages": [],
        "artifacts": [],
        "decisions": list(plan.decisions) if plan else [],
        "warnings": list(plan.warnings) if plan else [],
        "diff": unified_diff(outcome.changes, cwd),
    }
    if plan is not None:
        entry["stages"] = [
            {"name": stage.name or None, "role": stage.role, "dockerfile": display_path(stage.dockerfile.path, cwd)}
            for stage in plan.stages
        ]
        entry["artifacts"] = [
            {
                "stage": artifact.stage,
                "container_path": artifact.container_path + ("/." if artifact.contents_only else ""),
                "host_path": artifact.host_path,
                "extracted_at": f"{display_path(artifact.extracted_at.file, cwd)}:{artifact.extracted_at.line}",
                "consumers": [
                    {"at": f"{display_path(c.dockerfile, cwd)}:{c.line}", "instruction": c.instruction, "relation": c.relation}
                    for c in artifact.consumers
                ],
            }
            for artifact in plan.artifacts
        ]
    return entry
