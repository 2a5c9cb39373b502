"""How the build args of several builds share one ``docker build``.

A ``--build-arg`` reaches every stage that declares it, so when the builds
disagree about a name (their values, or a global ARG's default) the build
image's copy is renamed: ``ARG BUILDER_VERSION=…`` then ``ENV VERSION=${BUILDER_VERSION}``
in its stage, and ``${BUILDER_VERSION}`` in its FROM line.  The merged build's
args travel as :class:`~migrate.plan.BuildArgValue`s, which each emitter writes
in its driver's syntax.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.plan import ArgRename, BuildArgValue
from migrate.read.dockerfile import Dockerfile, Instruction, Stage, Trivia
from migrate.read.ops import Build, BuildArg, DriverReading
from migrate.trace.flow import BuiltImage, Flow, instruction_site

if TYPE_CHECKING:
    from migrate.trace.runs import RunStage

PREDEFINED_ARGS = frozenset(
    {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"}
)


class ArgMerge:
    """The merged build's ``--build-arg``s, and the renames each build image's ARGs need."""

    def __init__(
        self,
        flow: Flow,
        merged: Iterable[BuiltImage],
        final: BuiltImage,
        stage_name: Callable[[BuiltImage], str],
        taken: set[str],
        *,
        retargeted: Callable[[BuiltImage], bool],
        runs: Iterable[RunStage] = (),
    ) -> None:
        self.flow = flow
        self.merged = list(merged)
        self.final = final
        self.stage_name = stage_name
        self.taken = taken
        """Build arg names in use: declared by the Dockerfiles, passed by the builds or given to run stages."""
        self.retargeted = retargeted
        """Whether a build image is still built on its own, from its stage of the merged Dockerfile."""
        self.runs = list(runs)
        self.added: list[BuildArgValue] = []
        self.renames: dict[int, dict[str, str]] = defaultdict(dict)
        """Per image position: old name → new name."""

    def run(self) -> None:
        final_args = _passed(self.final.build)
        for image in self.merged:
            if image is self.final:
                continue
            own = _passed(image.build)
            declared_here = declared_args(image.dockerfile)
            declared_elsewhere = set().union(*(declared_args(other.dockerfile) for other in self.merged if other is not image))
            passed_elsewhere = dict(final_args)
            for other in self.merged:
                if other is not image and other is not self.final:
                    for name, arg in _passed(other.build).items():
                        passed_elsewhere.setdefault(name, arg)
            for name in list(own) + sorted(declared_here - set(own)):
                mine = own.get(name)
                theirs = passed_elsewhere.get(name)
                if name in PREDEFINED_ARGS and name not in declared_here | declared_elsewhere:
                    if mine is not None and theirs is None:
                        self.add(self._passed_as_written(image, mine))
                    continue
                if self._conflicts(image, name, mine, theirs, declared_here, declared_elsewhere):
                    new = fresh_arg_name(self.stage_name(image), name, self.taken)
                    self.renames[image.position][name] = new
                    if mine is not None:
                        if mine.value is None:
                            raise self.flow.refusal(
                                image.build.site,
                                f"--build-arg {name} takes its value from the environment and clashes with the runtime build's {name}",
                            )
                        self.add(BuildArgValue(new, image.build.site, self._syntax(image), value=mine.value))
                elif mine is not None and theirs is None:
                    self.add(self._passed_as_written(image, mine))
            if self.renames[image.position] and self.retargeted(image):
                renamed = ", ".join(self.renames[image.position])
                raise self.flow.refusal(
                    image.build.site,
                    f"the build image is still used, so it is now built from the merged Dockerfile, where its ARG {renamed} "
                    "must be renamed: that build would no longer set it",
                )

    def add(self, arg: BuildArgValue) -> None:
        """Pass ``arg`` too, unless an arg written the same way is passed already."""
        if all(_spelling(arg) != _spelling(other) for other in self.added):
            self.added.append(arg)

    def _passed_as_written(self, image: BuiltImage, arg: BuildArg) -> BuildArgValue:
        return BuildArgValue(arg.name, image.build.site, self._syntax(image), value=arg.value, written=arg.text)

    def _syntax(self, image: BuiltImage) -> str:
        return driver_kind(self.flow.reading.driver, image.build.site.file)

    def _conflicts(self, image, name, mine: BuildArg | None, theirs: BuildArg | None, declared_here, declared_elsewhere) -> bool:
        mine_key = _arg_key(mine)
        theirs_key = _arg_key(theirs)
        if name in declared_here and theirs is not None and theirs_key != mine_key:
            return True
        if name in declared_elsewhere and mine is not None and theirs is None:
            return True
        my_global = _global_default(image.dockerfile, name)
        for other in self.merged:
            if other is image:
                continue
            their_global = _global_default(other.dockerfile, name)
            if my_global is not _MISSING and their_global is not _MISSING and my_global != their_global:
                return True
            if my_global is not _MISSING and their_global is _MISSING and name in _declared_in_stages(other.dockerfile):
                return True
            if their_global is not _MISSING and my_global is _MISSING and name in _declared_in_stages(image.dockerfile):
                return True
        return False

    def stage_renames(self, image: BuiltImage, stage: Stage) -> tuple[ArgRename, ...]:
        renames = self.renames.get(image.position, {})
        if not renames:
            return ()
        found = []
        own = _passed(image.build)
        for instruction in stage.instructions:
            if instruction.keyword != "ARG":
                continue
            pairs = instruction.key_values()
            for name, default in pairs:
                if name not in renames:
                    continue
                if len(pairs) > 1:
                    raise self.flow.refusal(
                        instruction_site(image.dockerfile.path, instruction), f"ARG {name} must be renamed; declare it on a line of its own"
                    )
                # Without a default of its own, the stage sees the build arg, else the global ARG's default; a global
                # `ARG NAME` without one (or none at all) leaves it unset, which an ENV set from the renamed arg would not.
                unset = default is None and name not in own and _global_default(image.dockerfile, name) in (_MISSING, None)
                found.append(self._rename(image, instruction, name, renames[name], default, keep_unset=unset))
        leaking = [rename for rename in found if not rename.keep_unset]
        if leaking and self._stage_is_a_base(image, stage):
            raise self.flow.refusal(
                instruction_site(image.dockerfile.path, leaking[0].instruction),
                f"ARG {leaking[0].name} must be renamed, and the ENV that keeps its value would leak into the stages built on this one "
                "(a later build FROM it, or a `docker run` of it turned into a stage)",
            )
        return tuple(found)

    def renamed_base(self, image: BuiltImage, stage: Stage) -> str | None:
        """The stage's FROM image with its renamed global ARGs written under their new names; None when it uses none."""
        renames = self.renames.get(image.position, {})
        if not renames:
            return None
        platform = stage.from_instruction.flag("platform") or ""
        if any(name in renames for name in _variables(platform)):
            raise self.flow.refusal(
                instruction_site(image.dockerfile.path, stage.from_instruction), f"--platform={platform} uses a global ARG that must be renamed"
            )
        if not any(name in renames for name in _variables(stage.base)):
            return None
        return _VARIABLE.sub(lambda m: m.group(0).replace(m.group(2), renames.get(m.group(2), m.group(2)), 1), stage.base)

    def _rename(self, image: BuiltImage, instruction: Instruction, name: str, new_name: str, default: str | None, *, keep_unset: bool = False) -> ArgRename:
        written = renamed_arg_text(instruction.text, name, new_name)
        if written is None and not keep_unset:
            # The ENV written after it would read a build arg nothing declares.
            raise self.flow.refusal(
                instruction_site(image.dockerfile.path, instruction),
                f"cannot find the name {name} in this ARG to rename it; write `ARG {name}` on a line of its own",
            )
        return ArgRename(name, new_name, instruction, default, written or "", keep_unset=keep_unset)

    def _stage_is_a_base(self, image: BuiltImage, stage: Stage) -> bool:
        if any(base is image and image.stage is stage for _i, _s, base in self.flow.chains):
            return True
        if image.stage is stage and any(run.state.image is image for run in self.runs):
            # A `docker run` of the image never saw the ARG; its stage would inherit the ENV.
            return True
        return any(other.base == stage.name for other in image.dockerfile.stages if stage.name)

    def global_block(self) -> tuple[Instruction | Trivia | ArgRename, ...]:
        """The merged pre-FROM block: each file's ARGs and comments, renamed where needed, without repeats."""
        block: list[Instruction | Trivia | ArgRename] = []
        seen: set[str] = set()
        for image in self.merged:
            renames = self.renames.get(image.position, {})
            for item in image.dockerfile.preamble:
                if isinstance(item, Trivia):
                    if item.text.strip():
                        block.append(item)
                    continue
                pairs = item.key_values()
                if any(name in renames for name, _ in pairs):
                    if len(pairs) > 1:
                        raise self.flow.refusal(instruction_site(image.dockerfile.path, item), "a global ARG that must be renamed shares its line")
                    name, default = pairs[0]
                    block.append(self._rename(image, item, name, renames[name], default))
                    continue
                text = item.text.strip()
                if text in seen:
                    continue
                seen.add(text)
                block.append(item)
        return tuple(block)


_MISSING = object()
_VARIABLE = re.compile(r"\$(\{)?([A-Za-z_][A-Za-z0-9_]*)")
_ARG_NAME_PREFIX = r"^(\s*\S+(?:\s|[\\`]\r?\n|#[^\n]*\n)+)"
"""``ARG`` and what stands between it and the name: blanks, and line continuations with the comments Docker skips in them."""


def renamed_arg_text(text: str, name: str, new_name: str) -> str | None:
    """The ARG instruction ``text`` declaring ``new_name`` where it declared ``name``; None when the name cannot be found."""
    renamed, found = re.subn(_ARG_NAME_PREFIX + re.escape(name) + r"(?=[=\s]|$)", lambda m: m.group(1) + new_name, text, count=1)
    return renamed if found else None


def taken_arg_names(merged: Iterable[BuiltImage]) -> set[str]:
    """Every build arg name the merged Dockerfiles declare or their builds pass: a new arg must take another."""
    merged = list(merged)
    taken = {name for image in merged for name in declared_args(image.dockerfile)}
    return taken | {arg.name for image in merged for arg in image.build.build_args}


def driver_kind(driver: DriverReading, file: Path) -> str:
    """``shell``, ``make`` or ``python``: the kind of the driver file ``file`` (the driver, or a script it runs)."""
    return next((reading.kind for reading in (driver, *driver.parts) if reading.path == file), driver.kind)


def _spelling(arg: BuildArgValue) -> tuple:
    """What makes two build args the same words on the command line."""
    return (arg.name, arg.written, arg.value.text if arg.value is not None else None, arg.environment)


def _variables(text: str) -> set[str]:
    return {match.group(2) for match in _VARIABLE.finditer(text)}


def _global_default(dockerfile: Dockerfile, name: str):
    for instruction in dockerfile.global_args:
        for arg, default in instruction.key_values():
            if arg == name:
                return default
    return _MISSING


def global_arg_values(image: BuiltImage) -> dict[str, str]:
    """The known values of a Dockerfile's global ARGs in its own build: the --build-arg passed, else the default."""
    passed = {arg.name: arg.value.key for arg in image.build.build_args if arg.value is not None and arg.value.known}
    values = {}
    for instruction in image.dockerfile.global_args:
        for name, default in instruction.key_values():
            value = passed.get(name, default)
            if value is not None:
                values[name] = value
    return values


def declared_args(dockerfile: Dockerfile) -> set[str]:
    names = _declared_in_stages(dockerfile)
    for instruction in dockerfile.global_args:
        names.update(name for name, _ in instruction.key_values())
    return names


def _declared_in_stages(dockerfile: Dockerfile) -> set[str]:
    return {name for stage in dockerfile.stages for i in stage.instructions if i.keyword == "ARG" for name, _ in i.key_values()}


def _passed(build: Build) -> dict[str, BuildArg]:
    return {arg.name: arg for arg in build.build_args}


def _arg_key(arg: BuildArg | None) -> str | None:
    if arg is None:
        return None
    return arg.value.key if arg.value is not None else f"\x00env:{arg.name}\x00"


def fresh_arg_name(stage_name: str, variable: str, taken: set[str]) -> str:
    """A build arg name for ``variable`` of the stage ``stage_name`` (``builder``, VERSION → ``BUILDER_VERSION``) not in ``taken``; it is taken then."""
    prefix = re.sub(r"[^A-Za-z0-9]+", "_", stage_name).upper().strip("_")
    candidate = f"{prefix}_{variable}"
    number = 2
    while candidate in taken:
        candidate = f"{prefix}_{variable}_{number}"
        number += 1
    taken.add(candidate)
    return candidate
