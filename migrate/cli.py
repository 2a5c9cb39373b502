"""The ``dmigrate`` command line.

Exit codes: 0 done or nothing to do; 1 ``--check`` found a pending migration;
2 bad input or a refusal.  Diffs and JSON go to standard output, messages to
standard error, so that ``dmigrate --dry-run . > change.patch`` is clean.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from migrate import __version__

EXIT_OK = 0
EXIT_PENDING = 1
EXIT_REFUSED = 2


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"dmigrate {__version__}")
        raise typer.Exit()


@app.command(no_args_is_help=True)
def run(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Drivers (build.sh, Makefile, build.py) or directories that hold one.", show_default=False),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the unified diff of every change and write nothing.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 when a migration is pending.")] = False,
    allow_dirty: Annotated[
        bool, typer.Option("--allow-dirty", help="Change files that have uncommitted changes or are not in git.")
    ] = False,
    keep_legacy: Annotated[bool, typer.Option("--keep-legacy", help="Keep the legacy build Dockerfile instead of deleting it.")] = False,
    target_rule: Annotated[
        str | None, typer.Option("--target-rule", metavar="NAME", help="For a Makefile: the rule to follow instead of the default goal.")
    ] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="Report format.")] = OutputFormat.text,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only refusals and errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Migrate builder-pattern Docker builds to one multi-stage Dockerfile.

    By default the migration is applied in place: the merged Dockerfile replaces
    the runtime one, the driver runs one docker build, and the legacy build
    Dockerfile is deleted.  dmigrate refuses, and changes nothing, when it cannot
    prove the new build makes the same image.
    """
    from migrate.discover import drivers_in
    from migrate.errors import MigrationStop
    from migrate.migration import ERROR, NOTHING, Options, Outcome, migrate_driver
    from migrate.report import exit_code, render

    if dry_run and check:
        _usage_error("--dry-run and --check cannot be used together")
    options = Options(write=not (dry_run or check), allow_dirty=allow_dirty, keep_legacy=keep_legacy, target_rule=target_rule)
    outcomes: list[Outcome] = []
    for path in paths:
        try:
            drivers = drivers_in(path)
        except MigrationStop as stop:
            outcomes.append(Outcome(path, ERROR, stop.reason, stop.location))
            continue
        if not drivers:
            outcomes.append(Outcome(path, NOTHING, "no driver that calls docker here"))
        for driver in drivers:
            outcomes.append(migrate_driver(driver, options))
    render(outcomes, output_format.value, dry_run=dry_run, check=check, quiet=quiet)
    raise typer.Exit(exit_code(outcomes, check=check))


def _usage_error(message: str) -> None:
    print(f"dmigrate: error: {message}", file=sys.stderr)
    raise typer.Exit(EXIT_REFUSED)


def main() -> None:
    try:
        app(prog_name="dmigrate")
    except KeyboardInterrupt:
        print("dmigrate: interrupted", file=sys.stderr)
        sys.exit(130)
