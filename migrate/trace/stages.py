"""Stage names, and how the stages of one Dockerfile refer to each other and to images."""

from __future__ import annotations

import re

from migrate.read.dockerfile import Dockerfile, Stage
from migrate.trace.image_ref import ImageRef
from migrate.trace.paths import joined
from migrate.trace.stage_state import standalone_state

__all__ = [
    "RESERVED_STAGE_NAMES", "earlier_stage", "image_references", "normalise_stage_name", "stage_name_candidates",
    "valid_stage_name", "joined", "image_name", "path_kind", "workdir_before", "stage_writes_below",
]  # fmt: skip

RESERVED_STAGE_NAMES = frozenset({"scratch", "context"})
_VALID_STAGE_NAME = re.compile(r"^[a-z][a-z0-9._-]*$")


def stage_name_candidates(tags: tuple[str, ...], dockerfile_name: str) -> list[str]:
    """Names a build image's stage could take, best first."""
    candidates: list[str] = []
    for tag in tags:
        repository, _, version = tag.rpartition(":") if ":" in tag.rsplit("/", 1)[-1] else (tag, "", "")
        if re.fullmatch(r"[a-zA-Z][a-zA-Z-]*", version) and version.lower() != "latest":
            candidates.append(version)
        candidates.append(repository.rsplit("/", 1)[-1] + "-" + (version or "build"))
    lowered = dockerfile_name.lower()
    if lowered.startswith("dockerfile."):
        candidates.append(lowered[len("dockerfile.") :])
    elif lowered.endswith(".dockerfile"):
        candidates.append(lowered[: -len(".dockerfile")])
    candidates.append("builder")
    named = []
    for candidate in candidates:
        candidate = normalise_stage_name(candidate)
        if candidate == "build":
            candidate = "builder"
        if candidate and candidate not in named:
            named.append(candidate)
    return named


def earlier_stage(dockerfile: Dockerfile, stage: Stage) -> Stage | None:
    """The stage of the same Dockerfile that ``stage`` is FROM; None when its FROM names an image."""
    base = dockerfile.stage(stage.base)
    return base if base is not None and base.index < stage.index else None


def image_references(dockerfile: Dockerfile, arg_values: dict[str, str]) -> set[str]:
    """The lower-cased names a Dockerfile's FROM lines and ``--from`` flags use for images, not for its own stages.

    ``$NAME`` is read from ``arg_values`` (the global ARGs as the build sets them); one that stays unknown
    names no stage, as a stage name has no ``$``.
    """
    def expanded(text: str) -> str:
        return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: arg_values.get(m.group(1) or m.group(2), m.group(0)), text)

    references = set()
    for stage in dockerfile.stages:
        if earlier_stage(dockerfile, stage) is None:
            references.add(expanded(stage.base).lower())
        for instruction in stage.instructions:
            source = instruction.flag("from")
            if source and dockerfile.stage(source) is None:
                references.add(expanded(source).lower())
    return references


def normalise_stage_name(text: str) -> str:
    text = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    if text and not text[0].isalpha():
        text = "stage-" + text
    return text


def valid_stage_name(name: str) -> bool:
    return bool(_VALID_STAGE_NAME.match(name)) and name not in RESERVED_STAGE_NAMES


# -- compatibility: the callers in assemble.py switch to StageState and ImageRef, then these go ------------------------


def image_name(reference: str) -> str:
    """:attr:`ImageRef.name <migrate.trace.image_ref.ImageRef.name>`: ``docker.io/library/golang:1.21@sha256:…`` → ``golang``."""
    return ImageRef.parse(reference).name


def path_kind(stage: Stage, path: str, start_workdir: str | None = "/", *, before_line: int | None = None) -> str | None:
    """:meth:`StageState.kind_of <migrate.trace.stage_state.StageState.kind_of>` of a stage read on its own."""
    return standalone_state(stage, start_workdir).kind_of(path, before_line)


def workdir_before(stage: Stage, line: int, start_workdir: str | None) -> str | None:
    """:meth:`StageState.workdir_at <migrate.trace.stage_state.StageState.workdir_at>` of a stage read on its own."""
    return standalone_state(stage, start_workdir).workdir_at(line)


def stage_writes_below(stage: Stage, path: str, start_workdir: str | None, *, allow_context_copy: bool = False) -> bool:
    """:meth:`StageState.writes_below <migrate.trace.stage_state.StageState.writes_below>` of a stage read on its own."""
    return standalone_state(stage, start_workdir).writes_below(path, allow_context_copy=allow_context_copy)
