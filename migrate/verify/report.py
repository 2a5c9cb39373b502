"""How ``dmigrate --verify`` shows its result: text for people (a rich table on a terminal), JSON for tools."""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from migrate.display import display_location, display_path
from migrate.verify.compare import Difference
from migrate.verify.leftovers import Leftovers
from migrate.verify.result import DIFFERENT, EQUIVALENT, NOTHING, FlowRun, Verification

CONFIG_FIELDS = "Cmd, Entrypoint, Env, WorkingDir, User, ExposedPorts, Labels, Volumes"
TABLE_HEADER = ("path or field", "aspect", "legacy", "migrated")


def render_verifications(verifications: Sequence[Verification], output_format: str, *, quiet: bool = False) -> None:
    if output_format == "json":
        json.dump(verifications_json(verifications, Path(os.getcwd())), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    for verification in verifications:
        write_verification(verification, sys.stdout, sys.stderr, quiet=quiet, rich_table=_use_rich(sys.stdout))


def _use_rich(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def write_verification(
    verification: Verification, out: TextIO, err: TextIO, *, quiet: bool = False, rich_table: bool = False
) -> None:
    cwd = Path(os.getcwd())
    shown = display_path(verification.driver, cwd)
    if verification.status not in (EQUIVALENT, DIFFERENT):
        where = display_location(verification.location, cwd) if verification.location else shown
        stream = out if verification.status == NOTHING else err
        if not (quiet and verification.status == NOTHING):
            print(f"{where}: {verification.status}: {verification.message}", file=stream)
        if verification.legacy is not None or verification.cleanup:
            _write_details(verification, stream, quiet=True)
        return
    if quiet and verification.status == EQUIVALENT:
        return
    print(f"{shown}: {verification.status}: {verification.message}", file=out)
    if not quiet:
        _write_details(verification, out, quiet=False)
    if verification.differences:
        print(file=out)
        if rich_table:
            _print_rich_table(verification.differences, out)
        else:
            out.write(difference_table(verification.differences))
    elif not quiet:
        print(
            f"\ncompared {verification.compared_paths} paths (type, mode, owner, size, content, link target) "
            f"and the config ({CONFIG_FIELDS}): no differences",
            file=out,
        )
    if not quiet and verification.cleanup:
        _write_cleanup(verification.cleanup, out)
    out.flush()


def _write_details(verification: Verification, out: TextIO, *, quiet: bool) -> None:
    if not quiet:
        rows = [
            ("engine", f"{verification.engine}, Docker {verification.engine_version}" if verification.engine_version else verification.engine),
            ("final image", verification.final_image),
            ("migration", f"{verification.migration} (in a temporary copy)" if verification.migration else ""),
        ]
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            if value:
                print(f"  {name.ljust(width)}  {value}", file=out)
        for note in verification.notes:
            print(f"  note: {note}", file=out)
    flows = [run for run in (verification.legacy, verification.migrated) if run is not None]
    if flows:
        print(file=out)
        out.write(timing_table(flows))
    out.write(intercepted_text(flows))
    for label, leftovers in (("legacy", verification.legacy_leftovers), ("migrated", verification.migrated_leftovers)):
        if leftovers is not None:
            out.write(leftovers_text(label, leftovers))
    if quiet and verification.cleanup:
        _write_cleanup(verification.cleanup, out)


def _write_cleanup(actions: Sequence[str], out: TextIO) -> None:
    print("\ncleanup:", file=out)
    for action in actions:
        print(f"  - {action}", file=out)


def timing_table(flows: Sequence[FlowRun]) -> str:
    rows = [("flow", "wall time", "build steps", "command")]
    for run in flows:
        failed = "" if run.returncode == 0 else f" (failed, status {run.returncode})"
        steps = f"{run.steps.run} ({run.steps.cached} cached)" if run.steps else "-"
        rows.append((run.label, f"{run.seconds:.2f} s", steps, run.command + failed))
    lines = _aligned(rows, right={1})
    if len(flows) == 2 and all(run.returncode == 0 for run in flows) and flows[0].seconds > 0:
        share = flows[1].seconds / flows[0].seconds
        lines.append(f"  the {flows[1].label} flow took {share:.0%} of the {flows[0].label} flow's time")
    for position, run in enumerate(flows):
        lines.append("  " + cache_sentence(run, flows[0] if position else None))
    return "\n".join(lines) + "\n"


def cache_sentence(run: FlowRun, earlier: FlowRun | None) -> str:
    """Whether the build cache was warm for ``run``: what it held when the flow started, and the steps it served."""
    if run.cache_records_before is None:
        held = "with a build cache the engine did not report"
    elif run.cache_records_before == 0:
        held = "with an empty build cache"
    else:
        plural = "s" if run.cache_records_before != 1 else ""
        held = f"with {run.cache_records_before} record{plural} in the engine's build cache"
    order = f"second, after the {earlier.label} flow's builds," if earlier is not None else "first,"
    if run.steps is None:
        used = "its output shows no build steps to count"
    else:
        warmth = "cold" if run.steps.cached == 0 else "warm" if run.steps.cached == run.steps.run else "partly warm"
        used = f"{run.steps.cached} of its {run.steps.run} build step{'s' if run.steps.run != 1 else ''} came from the cache: {warmth} for this flow"
    return f"the {run.label} flow ran {order} {held}; {used}"


def intercepted_text(flows: Sequence[FlowRun]) -> str:
    """The flows' docker commands that did not run as written; once for both when they are the same."""
    if len(flows) == 2 and (flows[0].intercepted, flows[0].direct_requests) == (flows[1].intercepted, flows[1].direct_requests):
        return _intercepted_lines(flows[0], "both flows'")
    return "".join(_intercepted_lines(run, f"the {run.label} flow's") for run in flows)


def _intercepted_lines(run: FlowRun, whose: str) -> str:
    if not run.intercepted and not run.direct_requests:
        return ""
    lines = [f"\n{whose} docker commands that --verify did not run as written:"]
    for command in run.intercepted:
        if command.action == "changed" and command.ran is not None:
            lines.append(f"  - changed: {command.command}: ran `{shlex.join(command.ran)}`, since {command.reason}")
        else:
            verb = "not run" if command.action == "intercepted" else command.action
            lines.append(f"  - {verb}: {command.command}: {command.reason}")
    if run.direct_requests:
        plural = "s" if run.direct_requests != 1 else ""
        lines.append(
            f"  - {run.direct_requests} request{plural} reached the engine without the `docker` on PATH "
            "(the Docker SDK, or a client run by its path): forwarded, as none publishes"
        )
    return "\n".join(lines) + "\n"


def leftovers_text(label: str, leftovers: Leftovers) -> str:
    if leftovers.empty:
        return f"\nthe {label} flow leaves behind nothing but its final image\n"
    images = [f"{image.ref} ({_size(image.size)})" for image in leftovers.images]
    containers = [f"{container.name} ({container.state})" for container in leftovers.containers]
    rows = [
        ("build images", ", ".join(images) or "none"),
        ("stopped containers", ", ".join(containers) or "none"),
        ("host artifacts", ", ".join(leftovers.host_paths) or "none"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"\nthe {label} flow leaves behind:"] + [f"  {name.ljust(width)}  {value}" for name, value in rows]
    return "\n".join(lines) + "\n"


def difference_table(differences: Sequence[Difference]) -> str:
    """The differences as an aligned plain-text table, one row each."""
    rows = [TABLE_HEADER] + [(d.path_or_field, d.aspect, d.legacy, d.migrated) for d in differences]
    return "\n".join(_aligned(rows)) + "\n"


def _print_rich_table(differences: Sequence[Difference], out: TextIO) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(*TABLE_HEADER, title=f"{len(differences)} differences", title_justify="left")
    for difference in differences:
        table.add_row(*(escape(cell) for cell in (difference.path_or_field, difference.aspect, difference.legacy, difference.migrated)))
    Console(file=out, highlight=False).print(table)


def _aligned(rows: Sequence[Sequence[str]], right: set[int] = frozenset()) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return lines


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def verifications_json(verifications: Sequence[Verification], cwd: Path) -> dict:
    return {"version": 1, "verifications": [_verification_json(v, cwd) for v in verifications]}


def _verification_json(verification: Verification, cwd: Path) -> dict:
    def flow(run: FlowRun | None) -> dict | None:
        if run is None:
            return None
        return {
            "command": list(run.argv),
            "seconds": round(run.seconds, 3),
            "exit_status": run.returncode,
            "image_id": run.image_id,
            "build_steps": None if run.steps is None else {"run": run.steps.run, "cached": run.steps.cached},
            "build_cache_records_before": run.cache_records_before,
            "intercepted": [
                {"command": list(c.argv), "action": c.action, "reason": c.reason, "ran": None if c.ran is None else list(c.ran)}
                for c in run.intercepted
            ],
            "direct_engine_requests": run.direct_requests,
            "output_tail": run.output_tail() if run.failed else None,
        }

    def left(leftovers: Leftovers | None) -> dict | None:
        if leftovers is None:
            return None
        return {
            "images": [{"ref": i.ref, "id": i.image_id, "size": i.size} for i in leftovers.images],
            "containers": [{"name": c.name, "id": c.container_id, "image_id": c.image_id, "state": c.state} for c in leftovers.containers],
            "host_paths": list(leftovers.host_paths),
        }

    return {
        "driver": display_path(verification.driver, cwd),
        "status": verification.status,
        "message": verification.message,
        "location": display_location(verification.location, cwd) if verification.location else None,
        "engine": verification.engine,
        "engine_version": verification.engine_version,
        "final_image": verification.final_image,
        "migration": verification.migration,
        "notes": list(verification.notes),
        "legacy": flow(verification.legacy),
        "migrated": flow(verification.migrated),
        "legacy_leftovers": left(verification.legacy_leftovers),
        "migrated_leftovers": left(verification.migrated_leftovers),
        "compared_paths": verification.compared_paths,
        "differences": [
            {"path_or_field": d.path_or_field, "aspect": d.aspect, "legacy": d.legacy, "migrated": d.migrated}
            for d in verification.differences
        ],
        "cleanup": list(verification.cleanup),
        "exit_code": verification.exit_code,
    }
