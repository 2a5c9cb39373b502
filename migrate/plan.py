"""The trace step's output: what moves where, and what the emitters must write.

A plan speaks in meanings (this COPY now reads that container path from that
stage); the emitters turn it into text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from migrate.errors import Location
from migrate.read.dockerfile import Dockerfile, Instruction, Trivia
from migrate.read.ops import DriverReading, Site


@dataclass(frozen=True)
class CopySpec:
    """One COPY instruction to write in place of (or after) a consuming one."""

    flags: tuple[str, ...]
    sources: tuple[str, ...]
    destination: str
    keyword: str = "COPY"


@dataclass(frozen=True)
class Consumer:
    dockerfile: Path
    line: int
    instruction: str
    """The consuming instruction as written (its first line), for reports."""
    source: str
    relation: str
    """``itself``, ``inside`` or ``directory``: how the COPY source relates to the host path."""


@dataclass(frozen=True)
class Artifact:
    stage: str
    """The merged stage (or external image) it is copied from."""
    container_path: str
    contents_only: bool
    """``docker cp C:S/. DEST``: the contents of S, not S itself."""
    host_path: str
    """Where it landed on the host, relative to the project root."""
    extracted_at: Site
    consumers: tuple[Consumer, ...] = ()


@dataclass(frozen=True)
class InstructionEdit:
    """Replace one instruction of a source Dockerfile with new ones.

    ``keep_original`` writes the instruction's own text first (for a
    ``COPY . .`` that stays, followed by the inserted ``COPY --from``).
    """

    instruction: Instruction
    replacement: tuple[CopySpec, ...]
    keep_original: bool = False
    flag_substitutions: tuple[tuple[str, str], ...] = ()
    """``(old, new)`` flag words to change in the kept original, e.g. a renumbered ``--from``."""


@dataclass(frozen=True)
class ArgRename:
    """A build stage's ARG renamed so that the one ``docker build`` can pass both values."""

    name: str
    new_name: str
    instruction: Instruction
    default: str | None
    keep_unset: bool = False
    """The stage had the ARG without a value: drop it so that the stage keeps seeing it unset."""


@dataclass(frozen=True)
class StagePlan:
    name: str
    dockerfile: Dockerfile
    stage_index: int
    role: str
    """``build`` (artifacts come from it), ``run`` (a ``docker run`` turned into a stage) or ``final``."""
    base: str | None = None
    """A new FROM image (a stage name, for chains), or None to keep it."""
    edits: tuple[InstructionEdit, ...] = ()
    arg_renames: tuple[ArgRename, ...] = ()
    extra_lines: tuple[str | CopySpec, ...] = ()
    """The instructions after FROM of a stage that has no source text (a ``docker run`` turned into a stage)."""


@dataclass(frozen=True)
class DriverEdit:
    site: Site
    action: str
    """``remove``, ``add-build-args`` or ``retarget``."""
    texts: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class FileChange:
    """The emit step's output: one file's text before and after (None: absent)."""

    path: Path
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Plan:
    driver: DriverReading
    merged_dockerfile: Path
    directives: tuple[str, ...]
    global_args: tuple[Instruction | Trivia | ArgRename, ...]
    """Instructions and comments of the merged pre-FROM block, in order; an ARG that must be renamed as its rename."""
    stages: tuple[StagePlan, ...]
    artifacts: tuple[Artifact, ...]
    driver_edits: tuple[DriverEdit, ...]
    deleted: tuple[Path, ...]
    dockerignore: tuple[tuple[Path, str | None, tuple[str, ...]], ...] = ()
    """``.dockerignore`` files to extend: path, current text (None when absent), lines to add."""
    decisions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    build_args: tuple[str, ...] = ()
    """Every build arg the new ``docker build`` passes, as ``NAME`` or ``NAME=value``."""
    deleted_texts: tuple[tuple[Path, str], ...] = ()
    """The text of each file to delete that no stage holds (a build Dockerfile's own ``.dockerignore``)."""
    classic_builder: tuple[Location, str] | None = None
    """Where the driver may choose the classic builder, which lacks some COPY flags, and how it says so."""
    deleted_named_by: tuple[tuple[Path, Path, int], ...] = ()
    """A file to delete, and a file outside the flow that names it (at that line): it would break."""


@dataclass(frozen=True)
class NothingToDo:
    driver: DriverReading
    reason: str
