"""What can be proven about a build stage from its Dockerfile text alone."""

from __future__ import annotations

import functools
import posixpath
import re

from migrate.read.dockerfile import Dockerfile, Stage
from migrate.trace.paths import is_under

RESERVED_STAGE_NAMES = frozenset({"scratch", "context"})
_VALID_STAGE_NAME = re.compile(r"^[a-z][a-z0-9._-]*$")

_OUTPUT_FLAG = re.compile(r"(?:^|\s)(?:-o|--output|--out|-out)(?:\s+|=)(\S+)")


def image_name(reference: str) -> str:
    """``docker.io/library/golang:1.21@sha256:…`` → ``golang``."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name.rsplit(":", 1)[0]
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name


def path_kind(stage: Stage, path: str, start_workdir: str | None = "/", *, before_line: int | None = None) -> str | None:
    """``file`` or ``dir`` when the stage's own instructions (those above ``before_line``) show what ``path`` is, else None.

    ``start_workdir`` is the working directory the stage starts in, its base's; None when that is unknown.
    A path something is made below is a directory.
    """
    workdir = start_workdir
    kind = None

    def made(made_path: str | None, made_kind: str | None) -> None:
        nonlocal kind
        if made_path == path and made_kind is not None:
            kind = made_kind
        elif made_path is not None and is_under(made_path, path) and made_path != path:
            kind = "dir"

    for instruction in stage.instructions:
        if before_line is not None and instruction.line >= before_line:
            break
        if instruction.keyword == "WORKDIR":
            workdir = joined(workdir, instruction.arguments.strip().strip('"'))
            made(workdir, "dir")
        elif instruction.keyword == "RUN":
            for output in _OUTPUT_FLAG.findall(instruction.arguments):
                output = output.strip("'\"")
                # ``go build -o /out/ ./...`` writes into the directory /out.
                made(joined(workdir, output), "dir" if output.endswith("/") else "file")
            for match in re.finditer(r"mkdir\s+(?:-p\s+)?([^\s;&|]+)", instruction.arguments):
                made(joined(workdir, match.group(1).strip("'\"")), "dir")
        elif instruction.keyword in ("COPY", "ADD"):
            words = instruction.words()
            if len(words) >= 2:
                made(joined(workdir, words[-1]), "dir" if words[-1].endswith("/") or len(words) > 2 else None)
    return kind


def workdir_before(stage: Stage, line: int, start_workdir: str | None) -> str | None:
    """The working directory at ``line`` of the stage; None when it cannot be known."""
    workdir = start_workdir
    for instruction in stage.instructions:
        if instruction.line >= line:
            break
        if instruction.keyword == "WORKDIR":
            workdir = joined(workdir, instruction.arguments.strip().strip('"'))
    return workdir


@functools.lru_cache(maxsize=1024)
def joined(workdir: str | None, path: str) -> str | None:
    """``path`` as an absolute path seen from ``workdir``; None when it is relative and the working directory is unknown."""
    if path.startswith("/"):
        return posixpath.normpath(path)
    return posixpath.normpath(posixpath.join(workdir, path)) if workdir is not None else None


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


def stage_writes_below(stage: Stage, path: str, start_workdir: str | None, *, allow_context_copy: bool = False) -> bool:
    """Whether the stage may put anything at or below ``path`` (a bind mount there would hide it).

    WORKDIR alone makes an empty directory, which a mount hides harmlessly.
    ``allow_context_copy`` lets ``COPY . <path>`` through: the mount shows
    the same context there.
    """
    workdir = start_workdir
    for instruction in stage.instructions:
        if instruction.keyword == "WORKDIR":
            workdir = joined(workdir, instruction.arguments.strip().strip('"'))
        elif instruction.keyword in ("COPY", "ADD"):
            words = instruction.words()
            if len(words) < 2:
                continue
            destination = joined(workdir, words[-1])
            if destination is None:
                return True
            if not (is_under(destination, path) or is_under(path, destination)):
                continue
            plain = instruction.flag("from") is None and instruction.keyword == "COPY" and words[:-1] == ["."]
            if not (allow_context_copy and plain and destination == path):
                return True
        elif instruction.keyword == "RUN":
            if workdir is None or is_under(workdir, path) or _mentions(instruction.arguments, path):
                return True
    return False


def _mentions(text: str, path: str) -> bool:
    return re.search(r"(?<![\w./-])" + re.escape(path.rstrip("/")) + r"(?![\w.-])", text) is not None
