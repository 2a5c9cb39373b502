"""How ``dmigrate --verify`` shows its result: text for people (a rich table on a terminal), JSON for tools."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from migrate.change import display_path
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
        where = verification.location.render(cwd) if verification.location else shown
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
    rows = [("flow", "wall time", "command")]
    for run in flows:
        failed = "" if run.returncode == 0 else f" (failed, status {run.returncode})"
        rows.append((run.label, f"{run.seconds:.2f} s", run.command + failed))
    lines = _aligned(rows, right={1})
    if len(flows) == 2 and all(run.returncode == 0 for run in flows) and flows[0].seconds > 0:
        share = flows[1].seconds / flows[0].seconds
        lines.append(f"  the {flows[1].label} flow took {share:.0%} of the {flows[0].label} flow's time")
        lines.append("  (they ran one after the other and share the engine's build cache)")
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
        return {"command": list(run.argv), "seconds": round(run.seconds, 3), "exit_status": run.returncode, "image_id": run.image_id}

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
        "location": verification.location.render(cwd) if verification.location else None,
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
