"""How outcomes are shown: text for people, JSON and SARIF for tools.

Everything here works on report *entries* (:func:`project_entry`): plain,
JSON-ready dicts, one per project, that a batch worker can make and send back
cheaply.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from migrate.change import unified_diff
from migrate.display import display_location, display_path
from migrate.migration import ERROR, MIGRATED, NOTHING, PENDING, REFUSED, Outcome

STATUSES = (MIGRATED, PENDING, NOTHING, REFUSED, ERROR)
"""In the order the summary counts them; each is also what the summary table calls the result."""
_VERBS = {MIGRATED: "migrated", PENDING: "would migrate", NOTHING: "nothing to do for", REFUSED: "refused", ERROR: "error"}


def exit_code_of(statuses: list[str], *, check: bool) -> int:
    if any(status in (REFUSED, ERROR) for status in statuses):
        return 2
    if check and any(status == PENDING for status in statuses):
        return 1
    return 0


def render_entries(entries: list[dict], output_format: str, *, dry_run: bool, quiet: bool) -> None:
    """The report on standard output (a patch, JSON or SARIF) and the people's part on standard error."""
    if output_format == "json":
        _dump(entries_report(entries))
        return
    if output_format == "sarif":
        from migrate.sarif import sarif_report

        _dump(sarif_report(entries, Path(os.getcwd())))
        return
    if dry_run:
        _print_diff("".join(entry["diff"] for entry in entries))
        outside = next((name for entry in entries for name in entry["changed_files"] if name.startswith("../")), None)
        if outside is not None:
            from migrate.terminal import printable

            print(
                f"warning: the patch names {printable(outside)}, outside the directory dmigrate ran in; git apply and patch take "
                "no such path: run dmigrate from a directory that holds every project",
                file=sys.stderr,
            )
    for entry in entries:
        print_entry(entry, quiet)
    if len(entries) > 1 and not quiet:
        print_summary(entries)


def _dump(report: dict) -> None:
    import json

    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    sys.stdout.flush()


def entry_lines(entry: dict, quiet: bool) -> list[str]:
    """How one project's result reads on standard error (names and messages escaped: see :mod:`migrate.terminal`)."""
    from migrate.terminal import printable

    return [printable(line) for line in _entry_lines(entry, quiet)]


def _entry_lines(entry: dict, quiet: bool) -> list[str]:
    if entry["status"] in (REFUSED, ERROR):
        return [f"{entry['location'] or entry['driver']}: {entry['status']}: {entry['message']}"]
    if quiet:
        return []
    message = f": {entry['message']}" if entry["message"] else ""
    lines = [f"{_VERBS[entry['status']]} {entry['driver']}{message}"]
    if entry["status"] in (MIGRATED, PENDING):
        lines += [f"  warning: {warning}" for warning in entry["warnings"]]
        lines += [f"  note: {decision}" for decision in entry["decisions"]]
    return lines


def print_entry(entry: dict, quiet: bool) -> None:
    for line in entry_lines(entry, quiet):
        print(line, file=sys.stderr)


def summary_rows(entries: list[dict]) -> list[tuple[str, str, str]]:
    """Per project: where, the result, and the files changed or the reason (escaped for a terminal)."""
    from migrate.terminal import printable

    rows = []
    for entry in entries:
        if entry["status"] in (REFUSED, ERROR):
            detail = f"{entry['location'] or entry['driver']}: {entry['message']}"
        elif entry["changed_files"]:
            detail = ", ".join(entry["changed_files"])
        else:
            detail = entry["message"]
        rows.append((printable(entry["driver"]), entry["status"], printable(detail)))
    return rows


def print_summary(entries: list[dict]) -> None:
    """One row per project, then the count of each result."""
    rows = summary_rows(entries)
    totals = ", ".join(f"{count} {status}" for status, count in _counts(entries).items() if count)
    if sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        styles = {MIGRATED: "green", PENDING: "yellow", NOTHING: "dim", REFUSED: "red", ERROR: "bold red"}
        table = Table(title=None, caption=f"{len(entries)} projects: {totals}", caption_justify="left")
        for column in ("project", "result", "files changed / reason"):
            table.add_column(column, overflow="fold")
        for project, result, detail in rows:
            table.add_row(escape(project), f"[{styles[result]}]{result}[/]", escape(detail))
        Console(stderr=True, highlight=False).print(table)
        return
    width = max(len(row[0]) for row in rows + [("project", "", "")])
    out = [f"{'project':<{width}}  {'result':<13}  files changed / reason"]
    out += [f"{project:<{width}}  {result:<13}  {detail}".rstrip() for project, result, detail in rows]
    out.append(f"{len(entries)} projects: {totals}")
    sys.stderr.write("\n".join(out) + "\n")


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


def entries_report(entries: list[dict]) -> dict:
    """The ``--format json`` document (described by ``schemas/report-v1.json``)."""
    return {
        "version": 1,
        "projects": entries,
        "summary": _counts(entries),
    }


def _counts(entries: list[dict]) -> dict[str, int]:
    return {status: sum(1 for entry in entries if entry["status"] == status) for status in STATUSES}


def project_entry(outcome: Outcome, cwd: Path, *, with_diff: bool = True) -> dict:
    """One project's report entry, paths relative to ``cwd``; ``diff`` is left empty when nothing will show it."""
    plan = outcome.plan
    location = display_location(outcome.location, cwd) if outcome.location else None
    entry: dict = {
        "driver": display_path(outcome.driver, cwd),
        "kind": plan.driver.kind if plan is not None else None,
        "status": outcome.status,
        "message": outcome.message,
        "location": location,
        "refusals": [{"location": location, "reason": outcome.message}] if outcome.status == REFUSED else [],
        "changed_files": [display_path(p, cwd) for p in outcome.changed_files],
        "stages": [],
        "artifacts": [],
        "decisions": list(plan.decisions) if plan else [],
        "warnings": list(plan.warnings) if plan else [],
        "diff": unified_diff(outcome.changes, cwd) if with_diff else "",
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
