"""The trace step's output: what moves where, and what the emitters must write.

A plan speaks in meanings (this COPY now reads that container path from that
stage); the emitters turn it into text.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from migrate.read.dockerfile import Dockerfile, Instruction, Trivia
from migrate.read.ops import DriverReading, Site, Word

_BLANK = re.compile(r"\s")
"""A path with a blank in it is written in JSON form."""


@dataclass(frozen=True)
class CopySpec:
    """One COPY instruction to write in place of (or after) a consuming one."""

    flags: tuple[str, ...]
    sources: tuple[str, ...]
    destination: str
    keyword: str = "COPY"

    def written(self, keyword_as_written: str = "COPY", json_form: bool = False) -> str:
        """The instruction's text: the keyword in the case of ``keyword_as_written``, paths in JSON form where they need it."""
        keyword = self.keyword if keyword_as_written.isupper() else self.keyword.lower()
        flags = "".join(f"{flag} " for flag in self.flags)
        paths = [*self.sources, self.destination]
        if json_form or any(path.startswith("[") or _BLANK.search(path) for path in paths):
            return f"{keyword} {flags}{json.dumps(paths, ensure_ascii=False)}"
        return f"{keyword} {flags}{' '.join(paths)}"


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
    written: str
    """The ARG instruction's text with the new name."""
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
class BuildArgValue:
    """A build arg the one ``docker build`` now passes, as a value: each emitter writes it in its own driver's syntax.

    Its value is exactly one of: ``value``, written in the driver text at ``origin``; the environment
    variable ``environment``; or neither, ``--build-arg NAME``, which docker takes from the environment.
    """

    name: str
    """The name the merged build passes (a renamed build image arg's new name)."""
    origin: Site
    """The step whose text the value comes from: a build of the driver, or a ``docker run`` that is now a stage."""
    syntax: str
    """The kind of driver text (``shell``, ``make``, ``python``) that ``value.text`` and ``written`` are in: the kind of ``origin``'s file."""
    value: Word | None = None
    """The value as written at ``origin`` (``text``) and as far as it is known (``key``)."""
    written: str | None = None
    """The whole flag as the driver wrote it at ``origin`` (Python: its list elements or its ``buildargs=`` entry), when the merged build passes it as it was."""
    environment: str | None = None
    """The value is this environment variable's as the driver runs (a ``docker run -e NAME`` turned into a stage)."""

    def command_words(self, kind: str) -> str:
        """The words that pass it on a ``docker build`` command line of a ``shell`` script or a ``make`` recipe.

        Text of the driver's own syntax is written as it was; a value that comes
        from another kind of driver text (``$(V)`` means something else to a
        shell, ``$V`` to make) is written as the value it is known to have.
        """
        if self.environment is not None:
            return f'--build-arg {self.name}="{_dollar(kind)}{{{self.environment}}}"'
        if self.syntax == kind:
            if self.written is not None:
                return self.written
            return f"--build-arg {self.name}" if self.value is None else f"--build-arg {self.name}={self.value.text}"
        if self.value is None:
            return f"--build-arg {self.name}"
        return "--build-arg " + shlex.quote(f"{self.name}={self.value.key}").replace("$", _dollar(kind))


@dataclass(frozen=True)
class RemoveStep:
    """A driver step that goes away."""

    site: Site
    reason: str
    position: int | None = None
    """Which of the steps standing at ``site`` goes (a ``trap`` handler's steps all stand on the ``trap`` line); None: every one."""


@dataclass(frozen=True)
class AddBuildArgs:
    """The build args a build of the driver (the runtime build) must now pass too."""

    site: Site
    args: tuple[BuildArgValue, ...]


@dataclass(frozen=True)
class RetargetBuild:
    """A build image something still uses by its tag: it is now built from its stage of the merged Dockerfile."""

    site: Site
    dockerfile: str
    """The merged Dockerfile as this build names it: relative to the directory it runs in."""
    stage: str


DriverEdit = RemoveStep | AddBuildArgs | RetargetBuild


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
    deleted_texts: tuple[tuple[Path, str], ...] = ()
    """The text of each file to delete that no stage holds (a build Dockerfile's own ``.dockerignore``)."""

    def edits_by_file(self) -> list[tuple[DriverReading, tuple[DriverEdit, ...]]]:
        """The driver edits of each driver file: a flow can span drivers (a Makefile running ``./build.sh``).

        The driver itself is always among them, edited or not; the scripts it runs only where they are edited.
        """
        readings = [self.driver, *self.driver.parts]
        index_of: dict[Path, int] = {}
        for index, reading in enumerate(readings):
            index_of.setdefault(reading.path, index)
        grouped: dict[int, list[DriverEdit]] = {index: [] for index in range(len(readings))}
        for edit in self.driver_edits:
            grouped[index_of.get(edit.site.file, 0)].append(edit)
        return [(readings[index], tuple(edits)) for index, edits in grouped.items() if edits or index == 0]


def _dollar(kind: str) -> str:
    """A ``$`` that reaches the shell: make needs it doubled."""
    return "$$" if kind == "make" else "$"


@dataclass(frozen=True)
class NothingToDo:
    driver: DriverReading
    reason: str
