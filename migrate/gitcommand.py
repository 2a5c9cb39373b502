"""Running git on a repository dmigrate does not trust.

A repository's ``.git/config`` can name programs that git runs on its own:
``core.fsmonitor`` (a hook asked which files changed), ``filter.NAME.clean``
and ``filter.NAME.process`` (run on a file's content whenever git hashes it,
as ``git status`` does for a file whose timestamps moved), hooks that git
runs when it rewrites the index.  dmigrate never executes anything of a
project outside ``--verify``, so every git it starts goes through
:func:`run_git`, which turns each of these off as command-line configuration (which
overrides every configuration file) and never lets git write the index.

The user's own global and system configuration stay in force: they are not
the repository's, and ``safe.directory``, which decides whether git trusts a
repository owned by someone else, may only be set there.
"""

from __future__ import annotations

import os
import re
import subprocess

GIT_TIMEOUT_SECONDS = 60
"""How long one git command may take; a FIFO for a config file would hold it forever."""

_NEUTRAL = (
    ("core.fsmonitor", "false"),
    ("core.useBuiltinFSMonitor", "false"),
    ("core.hooksPath", "/dev/null"),
    ("core.pager", "cat"),
    ("core.untrackedCache", "false"),
    ("diff.ignoreSubmodules", "all"),
    ("status.submoduleSummary", "false"),
)
"""Settings that make git run nothing of the repository's; filters are turned off by name (:func:`_filter_settings`)."""

_FILTER_KEY = re.compile(r"^filter\.(.+)\.[^.]+$")


class GitProblem(Exception):
    """git could not be run at all (not installed, or it took too long)."""


def _environment(settings: list[tuple[str, str]] = ()) -> dict[str, str]:
    """The caller's environment, with ``settings`` added as command-line configuration (``GIT_CONFIG_COUNT``: no quoting to get wrong)."""
    environment = dict(os.environ)
    environment.update(
        GIT_OPTIONAL_LOCKS="0",  # status does not write the index, so no index hook can run
        GIT_TERMINAL_PROMPT="0",
        GIT_PAGER="cat",
        PAGER="cat",
    )
    for name in ("GIT_EXTERNAL_DIFF", "GIT_EXEC_PATH"):
        environment.pop(name, None)
    try:
        count = max(0, int(environment.get("GIT_CONFIG_COUNT", "0")))
    except ValueError:
        count = 0
    for key, value in settings:
        environment[f"GIT_CONFIG_KEY_{count}"] = key
        environment[f"GIT_CONFIG_VALUE_{count}"] = value
        count += 1
    environment["GIT_CONFIG_COUNT"] = str(count)
    return environment


def run_git(arguments: list[str], directory: str, *, hashes_content: bool = False) -> subprocess.CompletedProcess[bytes]:
    """``git -C DIRECTORY ARGUMENTS`` with the repository's programs turned off.

    ``hashes_content``: the command may hash work-tree files (``status``,
    ``diff``), so every content filter the configuration defines is turned
    off too; a file committed through a filter may then look changed, which
    errs on the side of refusing.
    """
    settings = list(_NEUTRAL)
    if hashes_content:
        settings += _filter_settings(directory)
    return _run(["git", "--no-pager", "-C", directory, *arguments], settings)


def _run(command: list[str], settings: list[tuple[str, str]]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(command, capture_output=True, check=False, env=_environment(settings), stdin=subprocess.DEVNULL, timeout=GIT_TIMEOUT_SECONDS)
    except FileNotFoundError:
        raise GitProblem("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitProblem(f"git did not answer within {GIT_TIMEOUT_SECONDS} s") from None
    except OSError as error:
        raise GitProblem(f"git cannot be run: {error.strerror}") from None


def _filter_settings(directory: str) -> list[tuple[str, str]]:
    """Settings that empty every ``filter.NAME`` driver the configuration (all of it, includes too) defines."""
    listing = _run(["git", "--no-pager", "-C", directory, "config", "--includes", "--name-only", "--get-regexp", r"^filter\."], list(_NEUTRAL))
    names = dict.fromkeys(
        match.group(1) for line in listing.stdout.decode("utf-8", "surrogateescape").splitlines() if (match := _FILTER_KEY.match(line.strip()))
    )
    settings: list[tuple[str, str]] = []
    for name in names:
        settings += [(f"filter.{name}.clean", ""), (f"filter.{name}.smudge", ""), (f"filter.{name}.process", ""), (f"filter.{name}.required", "false")]
    return settings


def git_complaint(stderr: bytes) -> str:
    """What git said, in one line: its ``fatal:`` line without the prefix, or its first line."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    for line in lines:
        if line.startswith("fatal:"):
            return line[len("fatal:") :].strip()
    return lines[0] if lines else "git failed without saying why"
