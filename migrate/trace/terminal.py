"""A ``docker run`` with a terminal (``-t``) whose standard output becomes an artifact.

With ``-t`` the container's output passes through a pseudo-terminal, whose
line discipline rewrites it (every LF becomes CR LF, measured on the engine:
``printf 'a\\nb\\n'`` arrives as ``a\\r\\nb\\r\\n``).  The file the legacy
driver wrote is those rewritten bytes, a tar stream read through it is
damaged the same way, and a ``COPY --from`` of the container path gives the
bytes the command printed, so no stage can make the same file.
"""

from __future__ import annotations

from migrate.read.ops import Container, Word
from migrate.trace.graph import ArtifactGraph

# strconv.ParseBool's false spellings, which docker accepts for ``--tty=…``.
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


def terminal_flag(op: Container) -> str | None:
    """The flag by which a ``docker run`` or ``docker create`` allocates a terminal, as written; None when it does not."""
    found = None
    for flag, inline in op.other_flags:
        if flag in ("-t", "--tty"):
            found = None if _false(inline) else flag
        elif flag.startswith("-") and not flag.startswith("--") and len(flag) > 2 and "t" in flag[1:]:
            found = flag
    return found


def _false(inline: Word | None) -> bool:
    return inline is not None and inline.known and inline.key in _FALSE


def check_terminal_output(graph: ArtifactGraph) -> None:
    """Refuse a run whose output the migrated build reads (a ``cat`` redirect, a tar stream) when it runs with ``-t``."""
    for extraction in graph.extractions:
        if extraction.via not in ("stdout", "tar") or not (extraction.consumptions or extraction.derived):
            continue
        op = extraction.container.op
        flag = terminal_flag(op)
        if flag is None:
            continue
        without = f"no {flag}" if flag in ("-t", "--tty") else "-" + flag[1:].replace("t", "")
        raise graph.refusal(
            op.site,
            f"this run allocates a terminal ({flag}), which rewrites what it prints (every line ending becomes CR LF), so "
            f"{graph.reading.facts.relative(extraction.host_path)}, which the driver makes from that output, is not "
            f"{extraction.source.path} of the container as a COPY --from would take it; run it without a terminal "
            f"({without}), or copy the file out with docker cp",
        )
