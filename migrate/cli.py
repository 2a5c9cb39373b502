"""The ``dmigrate`` command line (typer).

Exit codes: 0 done or nothing to do; 1 ``--check`` found a pending migration
(or ``--verify`` found a difference); 2 bad input or a refusal (in any
project).  Diffs, JSON and SARIF go to standard output, messages and progress
to standard error, so that ``dmigrate --dry-run . > change.patch`` is clean.
Nothing ever asks a question.

Everything past option parsing is imported lazily: a dry run of one project,
interpreter start-up included, has to fit in 150 ms.
"""

# No ``from __future__ import annotations`` here: typer would evaluate every
# option's annotation from its string on each run.
import os
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

import migrate

EXIT_OK = 0
EXIT_PENDING = 1
EXIT_REFUSED = 2


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


@dataclass(frozen=True)
class Invocation:
    """The parsed command line."""

    paths: list[Path]
    dry_run: bool
    check: bool
    explain: bool
    verify: bool
    keep_images: bool
    allow_dirty: bool
    keep_legacy: bool
    target_rule: str | None
    jobs: int | None
    output_format: str
    quiet: bool


app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        print(f"dmigrate {migrate.__version__}")
        raise typer.Exit(EXIT_OK)


@app.command(
    no_args_is_help=True,
    epilog="Exit codes: 0 done or nothing to do, 1 --check found a pending migration or --verify a difference, 2 bad input or a refusal.",
)
def dmigrate(
    paths: Annotated[
        # As text: typer would read an empty PATH ("$UNSET") as `.`, the directory dmigrate runs in.
        list[str],
        typer.Argument(
            metavar="PATH...",
            show_default=False,
            help="Drivers (build.sh, Makefile, build.py), or directories to search for every project under them.",
        ),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the unified diff of every change and write nothing.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 when a migration is pending.")] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the traced flow of each project (builds, containers, artifacts, stages); change nothing.")
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Run the legacy driver and the migrated one in temporary copies (never in PATH itself), compare the final "
            "images, and exit 1 on any difference. The only option that runs the driver; uses the engine DOCKER_HOST names.",
        ),
    ] = False,
    keep_images: Annotated[
        bool, typer.Option("--keep-images", help="With --verify: keep both final images as dmigrate-verify/NAME:legacy and :migrated.")
    ] = False,
    allow_dirty: Annotated[bool, typer.Option("--allow-dirty", help="Change files that have uncommitted changes or are not in git.")] = False,
    keep_legacy: Annotated[bool, typer.Option("--keep-legacy", help="Keep the legacy build Dockerfile instead of deleting it.")] = False,
    target_rule: Annotated[
        Optional[str], typer.Option("--target-rule", metavar="NAME", help="For a Makefile: the rule to follow instead of the default goal.")
    ] = None,
    jobs: Annotated[
        Optional[int], typer.Option("--jobs", "-j", min=1, metavar="N", help="Projects to migrate in parallel (default: the number of cores).")
    ] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="Report format.")] = OutputFormat.text,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only refusals and errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Migrate builder-pattern Docker builds to one multi-stage Dockerfile.

    By default the migration is applied in place: the merged Dockerfile replaces
    the runtime one, the driver runs one docker build, and the legacy build
    Dockerfile is deleted. dmigrate refuses, and changes nothing, when it cannot
    prove the new build makes the same image.
    """
    if "" in paths:
        raise typer.Exit(_usage_error("an empty PATH names nothing (to migrate the current directory, name it: .)"))
    invocation = Invocation(
        paths=[Path(path) for path in paths],
        dry_run=dry_run,
        check=check,
        explain=explain,
        verify=verify,
        keep_images=keep_images,
        allow_dirty=allow_dirty,
        keep_legacy=keep_legacy,
        target_rule=target_rule,
        jobs=jobs,
        output_format=output_format.value,
        quiet=quiet,
    )
    raise typer.Exit(run(invocation))


def run(args: Invocation) -> int:
    if args.dry_run and args.check:
        return _usage_error("--dry-run and --check cannot be used together")
    if args.verify or args.keep_images:
        return _verify(args)
    if args.explain and (args.dry_run or args.check or args.output_format == "sarif"):
        return _usage_error("--explain changes nothing; it takes --format text or json only")

    from migrate import batch
    from migrate.progress import progress_for
    from migrate.report import exit_code_of, render_entries
    from migrate.writes import claim_files, write_all

    # The same run for every mode: each project planned, then the plans checked against each other, and only then written or shown.
    write = not (args.dry_run or args.check or args.explain)
    with progress_for(sys.stderr, quiet=args.quiet) as progress:
        result = batch.run(
            args.paths,
            keep_legacy=args.keep_legacy,
            target_rule=args.target_rule,
            keep_changes=write,
            with_diff=args.dry_run or args.output_format != "text" and not args.explain,
            jobs=args.jobs,
            progress=progress,
            explain=args.explain,
            settle_journals=write,
        )
    for settled in result.settled:
        print(f"dmigrate: {settled.message}", file=sys.stderr)
    # A journal that could not be settled stays for the user to look at: the run did not finish what it found.
    stuck = any(settled.done == "stuck" for settled in result.settled)
    claim_files(result.entries, result.changes, Path(os.getcwd()))
    if args.explain:
        from migrate.explain import exit_code, render_explanations, with_claims

        explanations = with_claims(result.entries, result.explanations)
        _show(render_explanations, explanations, args.output_format)
        return exit_code(explanations)
    if write:
        write_all(result.entries, result.changes, result.roots, allow_dirty=args.allow_dirty)
    _show(render_entries, result.entries, args.output_format, dry_run=args.dry_run, quiet=args.quiet)
    code = exit_code_of([entry["status"] for entry in result.entries], check=args.check)
    return EXIT_REFUSED if stuck else code


def _verify(args: Invocation) -> int:
    if not args.verify:
        return _usage_error("--keep-images goes with --verify")
    if args.dry_run or args.check or args.explain or args.output_format == "sarif":
        return _usage_error("--verify takes neither --dry-run, --check nor --explain, and reports as --format text or json")
    from migrate.verify.report import render_verifications
    from migrate.verify.run import VerifyOptions, exit_code, verify_paths

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"dmigrate --verify: {message}", file=sys.stderr, flush=True)

    options = VerifyOptions(target_rule=args.target_rule, keep_legacy=args.keep_legacy, keep_images=args.keep_images)
    verifications = verify_paths(args.paths, options, progress=progress)
    _show(render_verifications, verifications, args.output_format, quiet=args.quiet)
    return exit_code(verifications)


def _show(render, *args, **options) -> None:
    """Print the report; a reader that goes away (`dmigrate --dry-run . | head`) changes neither what was done nor the exit code."""
    try:
        render(*args, **options)
        sys.stdout.flush()
    except BrokenPipeError:
        # Whatever is still buffered goes nowhere, instead of failing again when Python exits.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _usage_error(message: str) -> int:
    print(f"dmigrate: error: {message}", file=sys.stderr)
    return EXIT_REFUSED


def main(argv: list[str] | None = None) -> None:
    # typer turns Ctrl-C into exit status 130 itself.
    app(args=argv, prog_name="dmigrate")
