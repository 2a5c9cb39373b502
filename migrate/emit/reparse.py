"""Every text the migration writes is read again, by the reader of its kind, before anything is written.

The emitters edit texts by spans and check their own results, each in its
own way; this is the one check they all pass through last, a safety net
rather than a decision.  A driver or Dockerfile that would not read again
stops the migration (an :class:`~migrate.emit.failure.EmitFailure`) at the
line where reading it stops: writing it would leave the project unbuildable.
"""

from __future__ import annotations

from pathlib import Path

from migrate.emit.failure import EmitFailure
from migrate.errors import MigrationStop


def check_reads_again(path: Path, kind: str, text: str) -> None:
    """Raise an :class:`EmitFailure` when ``text``, the new text of ``path`` (a ``shell``, ``make`` or ``python`` driver, or a ``dockerfile``), does not read."""
    try:
        problem = _problem(path, kind, text)
    except MigrationStop as stop:
        problem = stop.location.line, stop.reason
    except (RecursionError, MemoryError, ValueError) as error:
        problem = None, f"{type(error).__name__}: {error}"
    if problem is not None:
        line, reason = problem
        raise EmitFailure.at(path, line, f"the rewritten {path.name} would not read again ({reason}); dmigrate changes nothing")


def _problem(path: Path, kind: str, text: str) -> tuple[int | None, str] | None:
    if kind == "dockerfile":
        from migrate.read.dockerfile import parse_dockerfile

        parse_dockerfile(text, path)
        return None
    if kind == "python":
        import libcst as cst

        from migrate.read.python import check_python_syntax

        check_python_syntax(path, text)
        try:
            cst.parse_module(text.removeprefix("\ufeff"))
        except cst.ParserSyntaxError as error:
            return error.raw_line, error.message
        return None
    if kind == "make":
        from migrate.read.makefile import parse_makefile

        parse_makefile(path, text)
        return None
    from migrate.read.shell import syntax_error_line

    line = syntax_error_line(text.encode("utf-8"), path)
    return None if line is None else (line, "a shell syntax error")
