"""The ``dmigrate`` command line.

Exit codes: 0 done or nothing to do; 1 ``--check`` found a pending migration;
2 bad input or a refusal (in any project).  Diffs, JSON and SARIF go to
standard output, messages and progress to standard error, so that
``dmigrate --dry-run . > change.patch`` is clean.  Nothing ever asks a
question.

The parser is argparse: the whole dry run of one project has to fit in
150 ms with the interpreter's start-up, and a CLI framework would take half of
that before reading a byte.  Add an option in :func:`build_parser` and read
it in :func:`run`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from migrate import __version__

EXIT_OK = 0
EXIT_PENDING = 1
EXIT_REFUSED = 2

FORMATS = ("text", "json", "sarif")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dmigrate",
        description=(
            "Migrate builder-pattern Docker builds to one multi-stage Dockerfile. "
            "By default the migration is applied in place: the merged Dockerfile replaces the runtime one, "
            "the driver runs one docker build, and the legacy build Dockerfile is deleted. dmigrate refuses, "
            "and changes nothing, when it cannot prove the new build makes the same image."
        ),
        epilog="Exit codes: 0 done or nothing to do, 1 --check found a pending migration, 2 bad input or a refusal.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="Drivers (build.sh, Makefile, build.py), or directories to search for every project under them.",
    )
    parser.add_argument("--dry-run", action="store_true", help="Print the unified diff of every change and write nothing.")
    parser.add_argument("--check", action="store_true", help="Write nothing; exit 1 when a migration is pending.")
    parser.add_argument("--explain", action="store_true", help="Show the traced flow of each project (builds, containers, artifacts, stages) and change nothing.")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="Run the legacy driver and the migrated one in temporary copies (never in PATH itself), compare the final "
        "images, and exit 1 on any difference. The only option that runs the driver; uses the engine DOCKER_HOST names.",
    )
    parser.add_argument(
        "--keep-images", action="store_true", help="With --verify: keep both final images as dmigrate-verify/NAME:legacy and :migrated."
    )
    parser.add_argument("--allow-dirty", action="store_true", help="Change files that have uncommitted changes or are not in git.")
    parser.add_argument("--keep-legacy", action="store_true", help="Keep the legacy build Dockerfile instead of deleting it.")
    parser.add_argument("--target-rule", metavar="NAME", help="For a Makefile: the rule to follow instead of the default goal.")
    parser.add_argument(
        "-j", "--jobs", type=_positive_int, metavar="N", help="Projects to migrate in parallel (default: the number of cores)."
    )
    parser.add_argument("--format", dest="output_format", choices=FORMATS, default="text", help="Report format (default: text).")
    parser.add_argument("-q", "--quiet", action="store_true", help="Print only refusals and errors.")
    parser.add_argument("--version", action="version", version=f"dmigrate {__version__}", help="Show the version and exit.")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    if args.dry_run and args.check:
        return _usage_error("--dry-run and --check cannot be used together")
    if args.verify or args.keep_images:
        return _verify(args)
    if args.explain:
        if args.dry_run or args.check or args.output_format == "sarif":
            return _usage_error("--explain changes nothing; it takes --format text or json only")
        from migrate.explain import explain_paths

        return explain_paths(args.paths, args.output_format, target_rule=args.target_rule)

    from migrate import batch
    from migrate.progress import progress_for
    from migrate.report import exit_code_of, render_entries

    write = not (args.dry_run or args.check)
    with progress_for(sys.stderr, quiet=args.quiet) as progress:
        result = batch.run(
            args.paths,
            keep_legacy=args.keep_legacy,
            target_rule=args.target_rule,
            keep_changes=write,
            jobs=args.jobs,
            progress=progress,
        )
    batch.claim_files(result.entries, result.changes, Path(os.getcwd()))
    if write:
        batch.write_all(result.entries, result.changes, allow_dirty=args.allow_dirty)
    render_entries(result.entries, args.output_format, dry_run=args.dry_run, check=args.check, quiet=args.quiet)
    return exit_code_of([entry["status"] for entry in result.entries], check=args.check)


def _verify(args: argparse.Namespace) -> int:
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
    render_verifications(verifications, args.output_format, quiet=args.quiet)
    return exit_code(verifications)


def _usage_error(message: str) -> int:
    print(f"dmigrate: error: {message}", file=sys.stderr)
    return EXIT_REFUSED


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not args.paths:
            parser.print_help(sys.stderr)
            sys.exit(EXIT_REFUSED)
        code = run(args)
        sys.stdout.flush()
    except KeyboardInterrupt:
        print("dmigrate: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        # The reader of our output went away (`dmigrate --dry-run . | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_OK)
    sys.exit(code)
