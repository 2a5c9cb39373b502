"""What a host command may do to files, told from its name and words alone.

Some commands only read the files they name (``cat``, ``[ -f x ]``, ``git
rev-parse``); some change only the files they name (``cp``, ``rm``, ``chmod``);
anything else is a program whose effect on files its arguments do not tell.
A word only the driver's run knows hides what a command touches.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from migrate.read.ops import HostCommand

READS_ONLY = frozenset({"[", "[[", "test", "ls", "cat", "stat", "grep", "head", "tail", "wc", "file", "du", "<", "readlink", "realpath", "sha256sum", "md5sum", "cmp", "diff", "shellcheck", "hadolint"})
"""Host commands that only look at the files they name."""
CHANGES_NAMED_ONLY = frozenset(
    {
        "cp", "mv", "rm", "rmdir", "mkdir", "chmod", "chown", "chgrp", "ln", "touch", "install", "truncate", "tee", "sed",
        "tar", "gtar", "bsdtar", "zip", "unzip", "gzip", "gunzip", "bzip2", "xz", "zstd", "strip", "upx", "umask",
        ">", ">>", ">|", "&>", "&>>", "<>",
    }
)  # fmt: skip
"""Host commands that change no file but those they name, so naming no artifact, they leave the artifacts alone."""
_READING_SUBCOMMANDS = {"git": frozenset({"rev-parse", "describe", "log", "show", "rev-list", "ls-files", "cat-file"})}
"""Programs that change files with some subcommands and only read with these."""


def only_reads(op: HostCommand) -> bool:
    """Whether a host command only looks at files: ``cat``, ``[ -f x ]``, ``git rev-parse HEAD``."""
    name = posixpath.basename(op.argv[0].key) if op.argv[0].known else ""
    if name in READS_ONLY:
        return True
    subcommand = next((word.key for word in op.argv[1:] if not word.key.startswith("-")), None)
    return name in _READING_SUBCOMMANDS and subcommand in _READING_SUBCOMMANDS[name] and all(word.known for word in op.argv)


def unknown_effect(op: HostCommand, misses: Callable[[str], bool]) -> str | None:
    """Why what ``op`` touches cannot be known: its directory, or a word only the run knows.

    A word that is unknown only for being a glob does not count when
    ``misses`` says its absolute pattern cannot name anything that matters.
    """
    if not op.cwd.known:
        return f"`{shown(op)}` runs in a directory that cannot be known without running the driver"
    for word in op.argv:
        if word.known or word.key.startswith("-"):
            continue
        if _GLOB_ONLY.fullmatch(word.text) and misses(posixpath.normpath(posixpath.join(op.cwd.key, word.text))):
            continue
        return f"`{shown(op)}` names {word.text}, which cannot be known without running the driver"
    return None


def runs_unread_program(op: HostCommand) -> bool:
    """Whether ``op`` runs a program whose effect on files its arguments do not tell (see :data:`CHANGES_NAMED_ONLY`)."""
    return (posixpath.basename(op.argv[0].key) if op.argv[0].known else "") not in CHANGES_NAMED_ONLY


_GLOB_ONLY = re.compile(r"[^$`'\"\\{}]*[*?[][^$`'\"\\{}]*")
"""A word whose only unknown is a glob: no expansion, quote, escape or brace in it."""


def shown(op: HostCommand) -> str:
    return " ".join(word.text for word in op.argv)
