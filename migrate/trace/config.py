"""What ``docker run IMG`` starts with: the ENTRYPOINT, CMD, WORKDIR and USER an image ends up with.

Read from the Dockerfile stage that built the image, following its bases
through the same Dockerfile and through images the driver built earlier; an
official image from Docker Hub is looked up in a short table of what it is
known to set.  Anything else is unknown, and a ``docker run`` of it cannot
become a RUN.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from migrate.read.dockerfile import Instruction, Stage
from migrate.trace.stages import image_name


@dataclass(frozen=True)
class RunDefaults:
    """An image's defaults for a container; ``None`` where they cannot be known."""

    entrypoint: tuple[str, ...] | None
    """``()`` when the image has none."""
    cmd: tuple[str, ...] | None
    workdir: str | None
    """``/`` when the image sets none."""
    user: str | None
    """``""`` when the image sets none (root)."""
    unknown: str = ""
    """Why some of it cannot be known."""


SCRATCH = RunDefaults((), (), "/", "")

# Official images and what every tag of them sets; only images whose
# ENTRYPOINT and WORKDIR have stayed the same across their tags are listed.
# CMD is given where a `docker run IMG` without a command would need it.
_OFFICIAL: dict[str, RunDefaults] = {
    "golang": RunDefaults((), None, "/go", ""),
    "alpine": RunDefaults((), ("/bin/sh",), "/", ""),
    "busybox": RunDefaults((), ("sh",), "/", ""),
    "debian": RunDefaults((), ("bash",), "/", ""),
    "ubuntu": RunDefaults((), ("/bin/bash",), "/", ""),
    "buildpack-deps": RunDefaults((), ("bash",), "/", ""),
    "gcc": RunDefaults((), ("bash",), "/", ""),
    "python": RunDefaults((), ("python3",), "/", ""),
    "rust": RunDefaults((), ("bash",), "/", ""),
    "fedora": RunDefaults((), ("/bin/bash",), "/", ""),
}
# node set ENTRYPOINT ["docker-entrypoint.sh"] from its 8.x images on.
_NODE = RunDefaults(("docker-entrypoint.sh",), ("node",), "/", "")


def official_volumes(reference: str) -> tuple[str, ...] | None:
    """The VOLUMEs an image from outside the driver declares, where known: none, for the images listed above."""
    if "$" in reference or "\x00" in reference:
        return None
    name = image_name(reference)
    return () if name in _OFFICIAL or name in ("node", "scratch") else None


def official_defaults(reference: str) -> RunDefaults:
    name = image_name(reference)
    if "$" in reference:
        return RunDefaults(None, None, None, None, f"the image {reference} depends on a build argument")
    if name == "scratch":
        return SCRATCH
    if name in _OFFICIAL:
        return _OFFICIAL[name]
    if name == "node":
        tag = reference.split("@", 1)[0].rsplit(":", 1)[1] if ":" in reference.rsplit("/", 1)[-1] else "latest"
        major = re.match(r"(\d+)", tag)
        if (major and int(major.group(1)) >= 10) or tag.split("-")[0] in ("latest", "lts", "current", "alpine", "slim", "bookworm", "bullseye"):
            return _NODE
    return RunDefaults(None, None, None, None, f"dmigrate does not know the ENTRYPOINT, CMD and WORKDIR of {reference}")


def stage_defaults(stage: Stage, base: Callable[[Stage], RunDefaults]) -> RunDefaults:
    """The defaults an image built from ``stage`` has; ``base`` gives them for the stage's base."""
    defaults = base(stage)
    shell: tuple[str, ...] = ("/bin/sh", "-c")
    cmd_set = False
    env: dict[str, str] = {}
    for instruction in stage.instructions:
        keyword = instruction.keyword
        if keyword == "SHELL":
            words = _json_words(instruction)
            if words is None:
                return replace(defaults, unknown=f"cannot read SHELL at line {instruction.line}")
            shell = tuple(words)
        elif keyword in ("ENTRYPOINT", "CMD"):
            words = _command_words(instruction, shell)
            if keyword == "CMD":
                defaults = replace(defaults, cmd=words)
                cmd_set = True
            else:
                defaults = replace(defaults, entrypoint=words, cmd=defaults.cmd if cmd_set else ())
        elif keyword == "WORKDIR":
            path = _substitute(instruction.arguments.strip(), env)
            if path is None or defaults.workdir is None and not path.startswith("/"):
                defaults = replace(defaults, workdir=None, unknown=f"the WORKDIR at line {instruction.line} cannot be known")
            else:
                defaults = replace(defaults, workdir=posixpath.normpath(posixpath.join(defaults.workdir or "/", path)))
        elif keyword == "USER":
            user = _substitute(instruction.arguments.strip(), env)
            defaults = replace(defaults, user=user, unknown=defaults.unknown if user is not None else f"the USER at line {instruction.line} cannot be known")
        elif keyword == "ENV":
            for name, value in instruction.key_values():
                known = _substitute(value, env)
                env[name] = known if known is not None else "\x00"
    return defaults


def effective_argv(defaults: RunDefaults, entrypoint: str | None, command: tuple[str, ...]) -> tuple[str, ...] | None:
    """What ``docker run [--entrypoint E] IMG [COMMAND...]`` executes, or None when that cannot be known."""
    if entrypoint is not None:
        # --entrypoint also clears the image's CMD.
        return ((entrypoint,) if entrypoint else ()) + command
    if defaults.entrypoint is None:
        return None
    if command:
        return defaults.entrypoint + command
    if defaults.cmd is None:
        return None
    return defaults.entrypoint + defaults.cmd


def _json_words(instruction: Instruction) -> list[str] | None:
    try:
        value = json.loads(instruction.arguments)
    except json.JSONDecodeError:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def _command_words(instruction: Instruction, shell: tuple[str, ...]) -> tuple[str, ...]:
    words = _json_words(instruction) if instruction.is_json else None
    if words is not None:
        return tuple(words)
    text = instruction.arguments.strip()
    return shell + (text,) if text else ()


def _substitute(text: str, env: dict[str, str]) -> str | None:
    """A value after the builder's ``$VAR`` substitution, or None when a variable cannot be known."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    if "$" not in text:
        return text

    unknown = False

    def value(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1) or match.group(2)
        if name in env and env[name] != "\x00":
            return env[name]
        unknown = True
        return ""

    result = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", value, text)
    return None if unknown or "$" in result else result
