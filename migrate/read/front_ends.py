"""Docker front ends dmigrate does not read: compose, buildx's other subcommands, buildctl, ``gcloud docker``.

Their steps can run containers that write into the project through bind
mounts (a compose service as the builder), or write build results to the host
(``buildx bake``, ``buildctl build --output``), so what they do to files
cannot be known.  The readers keep such a step as a :class:`HostCommand`,
which the tracer judges as a program whose effect on files it cannot read.
Steps that only talk to a registry or report (``docker compose push``,
``gcloud docker -- push``) touch no file and stay harmless.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from migrate.read.ops import HostCommand, Word

COMPOSE_HARMLESS = frozenset(
    {
        "down", "ps", "logs", "pull", "push", "config", "convert", "stop", "kill", "rm", "ls", "images", "top",
        "version", "port", "pause", "unpause", "events", "help",
    }
)  # fmt: skip
"""Compose subcommands that write no file on the host (``run``, ``up``, ``exec``, ``build``, ``cp``... may)."""
_COMPOSE_VALUE_FLAGS = frozenset(
    {"-f", "--file", "-p", "--project-name", "--profile", "--env-file", "--project-directory", "--ansi", "--parallel", "--progress", "-H", "--host", "--context", "-c"}
)

BUILDX_HARMLESS = frozenset({"create", "use", "ls", "rm", "inspect", "prune", "du", "stop", "version", "imagetools", "install", "uninstall"})
"""``docker buildx`` subcommands that write no file on the host; ``build`` is read as a build."""

_REGISTRY_SUBCOMMANDS = frozenset(
    {"push", "image push", "pull", "image pull", "tag", "image tag", "login", "logout", "images", "image ls", "inspect", "image inspect", "version", "info"}
)
"""Docker subcommands that only talk to a registry or report: harmless behind ``gcloud docker``."""


def compose_subcommand(words: Sequence[Word]) -> Word | None:
    """The subcommand of ``docker compose`` / ``docker-compose`` (the words after it), past its global options."""
    index = 0
    while index < len(words):
        word = words[index]
        if not word.key.startswith("-"):
            return word
        index += 2 if word.key in _COMPOSE_VALUE_FLAGS else 1
    return None


def compose_is_harmless(words: Sequence[Word]) -> bool:
    """Whether a compose command (the words after ``compose``) writes no file on the host."""
    subcommand = compose_subcommand(words)
    return subcommand is None or subcommand.known and subcommand.key in COMPOSE_HARMLESS


def gcloud_docker_arguments(argv: Sequence[Word]) -> list[Word] | None:
    """For ``gcloud [FLAGS] docker [FLAGS] [-- ARGS]``: the docker arguments (ARGS, maybe none); None for any other command."""
    if not argv or not argv[0].known or posixpath.basename(argv[0].key) != "gcloud":
        return None
    rest = list(argv[1:])
    while rest and rest[0].key.startswith("-"):
        rest.pop(0)
    if not rest or rest[0].key != "docker":
        return None
    rest.pop(0)
    if not any(word.key == "--" for word in rest):
        return []
    return rest[rest.index(next(word for word in rest if word.key == "--")) + 1 :]


def only_talks_to_registry(subcommand: str) -> bool:
    """A docker subcommand that touches no file on the host (``push``, ``pull``, ``tag``, ``login``...)."""
    return subcommand in _REGISTRY_SUBCOMMANDS


def unread_front_end(op: HostCommand) -> str | None:
    """What a host command is when it is a docker front-end step that may run a builder dmigrate cannot read, or None."""
    words = [word.key if word.known else "\x00" for word in op.argv]
    if not words:
        return None
    program = posixpath.basename(words[0])
    if program == "docker-compose":
        return f"`docker-compose {_first(op.argv[1:])}`" if not compose_is_harmless(op.argv[1:]) else None
    if program == "docker" and len(words) > 1:
        if words[1] == "compose":
            return f"`docker compose {_first(op.argv[2:])}`" if not compose_is_harmless(op.argv[2:]) else None
        if words[1] == "buildx":
            return f"`docker buildx {_first(op.argv[2:])}`"
    if program.startswith("buildctl") and "build" in words[1:]:
        return "`buildctl build`"
    return None


def _first(words: Sequence[Word]) -> str:
    subcommand = compose_subcommand(words)
    return subcommand.shown() if subcommand is not None else ""
