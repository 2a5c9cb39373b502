"""What ``docker run IMG`` starts with: the ENTRYPOINT, CMD, WORKDIR and USER an image ends up with, and what it then runs.

An image the driver built has them from its stage
(:class:`~migrate.trace.stage_state.StageState`); an outside one from
:mod:`migrate.trace.base_images`.  Anything else is unknown, and a ``docker
run`` of it cannot become a RUN.
"""

from __future__ import annotations

from dataclasses import dataclass


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
"""What ``FROM scratch`` starts with: nothing set."""


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
