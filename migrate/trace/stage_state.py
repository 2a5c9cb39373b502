"""What a build stage is at each of its lines, read once from its Dockerfile text and its base.

Modelled on BuildKit's ``dispatchState`` (dockerfile2llb): a stage's
instructions, read on top of what its base starts it with, give its working
directory and user at every line, its environment, the ENTRYPOINT, CMD,
WORKDIR and USER an image built from it starts a container with, the VOLUMEs
it declares, the paths it makes (and whether each is a file or a directory),
the context paths it reads, and whether every file it writes is provably
root's.  The base is known across builds: another stage of the file, an image
the driver built earlier (whose stage has a state of its own), or an outside
image looked up in :mod:`migrate.trace.base_images`.
:class:`~migrate.trace.graph.ArtifactGraph` makes one state per stage per
trace.  Each fact is worked out once, when first asked for (most traces ask
only a few of them), and every later question is a lookup.

Where the text cannot tell (a ``WORKDIR $DIR`` whose value is not set in the
stage, a RUN in an unknown directory), the answer is None or the safe side,
never a guess.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple, Union

from migrate.read.dockerfile import Dockerfile, Instruction, Stage
from migrate.trace.base_images import ImageFacts, base_image_facts
from migrate.trace.config import RunDefaults
from migrate.trace.image_ref import ImageRef
from migrate.trace.paths import is_under, joined

LOOP = RunDefaults(None, None, None, None, "the stages are built from each other in a loop")

_OUTPUT_FLAG = re.compile(r"(?:^|\s)(?:-o|--output|--out|-out)(?:\s+|=)(\S+)")
_MKDIR = re.compile(r"mkdir\s+(?:-p\s+)?([^\s;&|]+)")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")

OWNERSHIP_CHANGERS = re.compile(
    r"\b(chown|chgrp|tar|cpio|rsync|unzip|bsdtar|npm|yarn|pnpm|su|sudo|gosu|su-exec|runuser|setpriv|install\s+[^&;|]*-[og]\b)"
)
"""Commands that can leave files owned by someone other than the user running them."""


class _once:
    """A property computed on first use and kept in the instance (``functools.cached_property`` without its lock, which 3.11 takes on every first use)."""

    def __init__(self, compute) -> None:
        self.compute = compute
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


Base = Union["StageState", ImageRef, None]
"""What a stage is FROM: another stage's state, an outside image, or None when the stages are built from each other in a loop."""


class Made(NamedTuple):
    """A path an instruction makes: ``file``, ``dir`` or None when the text does not say which."""

    line: int
    path: str
    kind: str | None


class Write(NamedTuple):
    """An instruction that may put files somewhere: a COPY or ADD to ``destination``, or a RUN."""

    line: int
    destination: str | None
    """Where a COPY or ADD writes; None for a RUN, or when the destination cannot be known."""
    whole_context: bool = False
    """``COPY . <destination>``: the build context itself, nothing else."""
    run: str | None = None
    """A RUN's command text."""
    workdir: str | None = None
    """The working directory a RUN runs in; None when unknown."""


@dataclass(frozen=True)
class Volume:
    path: str
    declared_at: str
    """``Dockerfile.build:4`` or ``the base image golang:1.22``."""


@dataclass
class _Text:
    """What a stage's instructions say by themselves, whatever its base: one pass, no values substituted."""

    mounts_context: bool = False
    volumes: list[Volume] = field(default_factory=list)
    volumes_unknown: str | None = None
    triggers: bool = False


@dataclass
class _Walk:
    """What the walk over a stage's instructions, from what its base starts it with, finds."""

    workdirs: list[tuple[int, str | None]] = field(default_factory=list)
    """``(line, working directory from that line on)`` at every WORKDIR."""
    users: list[tuple[int, str | None]] = field(default_factory=list)
    """``(line, user from that line on)`` at every USER."""
    env: _Environment | None = None
    defaults: RunDefaults | None = None
    writers: list[tuple[Instruction, str | None]] = field(default_factory=list)
    """Each RUN, COPY and ADD, with the working directory it runs in."""


class StageState:
    """One stage of a Dockerfile, as built on its base: queried, never recomputed."""

    def __init__(self, dockerfile: Dockerfile | None, stage: Stage, base: Base, *, start: RunDefaults | None = None) -> None:
        self.dockerfile = dockerfile
        """The Dockerfile the stage is in, for naming its lines; None for a stage read on its own."""
        self.stage = stage
        self.base = base
        self._start = start

    # -- what the stage starts with ---------------------------------------------------
    @_once
    def base_facts(self) -> ImageFacts | None:
        """The facts of the outside image the stage is FROM; None when its base is a stage."""
        return base_image_facts(self.base) if isinstance(self.base, ImageRef) else None

    @_once
    def start(self) -> RunDefaults:
        """The ENTRYPOINT, CMD, WORKDIR and USER the stage starts with: its base's."""
        if self._start is not None:
            return self._start
        if isinstance(self.base, StageState):
            return self.base.defaults
        if self.base is None:
            return LOOP
        return self.base_facts.defaults

    # -- at each line --------------------------------------------------------------------
    def workdir_at(self, line: int) -> str | None:
        """The working directory an instruction at ``line`` runs in; None when it cannot be known."""
        workdir = self.start.workdir
        for at, value in self._walk.workdirs:
            if at >= line:
                break
            workdir = value
        return workdir

    def user_at(self, line: int) -> str | None:
        """The user an instruction at ``line`` runs as (``""``: root by default); None when it cannot be known."""
        user = self.start.user
        for at, value in self._walk.users:
            if at >= line:
                break
            user = value
        return user

    @property
    def env(self) -> dict[str, str]:
        """The ENV the stage itself sets, by name; ``\\0`` for a value that cannot be known."""
        return self._walk.env.read()

    # -- what an image of it is -------------------------------------------------------------
    @property
    def defaults(self) -> RunDefaults:
        """What a container of an image built from this stage starts with."""
        return self._walk.defaults

    @property
    def volumes(self) -> tuple[Volume, ...]:
        """Every VOLUME the stage has, its own first, then its base's."""
        return self._volumes[0]

    @property
    def volumes_unknown(self) -> str | None:
        """What may declare a VOLUME dmigrate cannot see (``the VOLUME at Dockerfile:3``), or None."""
        return self._volumes[1]

    @property
    def root_owned(self) -> bool:
        """Whether every file of the stage, its base's included, is provably owned by root (0:0)."""
        return self._root_owned

    @property
    def triggers(self) -> bool:
        """An ONBUILD in the stage: it runs in a stage built FROM this one, as whatever user that has.

        (One in a stage below already kept that one's files, and so this one's, from being proven root's.)
        """
        return self._text.triggers

    @property
    def context_reads(self) -> tuple[tuple[Instruction, tuple[str, ...]], ...]:
        """Each COPY or ADD of the build context, with the context paths it names."""
        return self._context_reads

    @property
    def mounts_context(self) -> bool:
        """A ``RUN --mount`` of the build context."""
        return self._text.mounts_context

    def lineage(self) -> Iterator[StageState]:
        """This state, then its base's, and so on down to a stage FROM an outside image."""
        state: StageState | None = self
        seen: set[int] = set()
        while isinstance(state, StageState) and id(state) not in seen:
            seen.add(id(state))
            yield state
            state = state.base if isinstance(state.base, StageState) else None

    # -- the paths it makes ------------------------------------------------------------------
    def kind_of(self, path: str, before_line: int | None = None) -> str | None:
        """``file`` or ``dir`` when the stage's own instructions (those above ``before_line``) show what ``path`` is, else None.

        A path something is made below is a directory.
        """
        kind = None
        for made in self._made:
            if before_line is not None and made.line >= before_line:
                break
            if made.path == path and made.kind is not None:
                kind = made.kind
            elif made.path != path and is_under(made.path, path):
                kind = "dir"
        return kind

    def writes_below(self, path: str, *, before_line: int | None = None, allow_context_copy: bool = False) -> bool:
        """Whether the stage (above ``before_line``) may put anything at or below ``path`` (a bind mount there would hide it).

        WORKDIR alone makes an empty directory, which a mount hides harmlessly.
        ``allow_context_copy`` lets ``COPY . <path>`` through: the mount shows
        the same context there.
        """
        for write in self._writes:
            if before_line is not None and write.line >= before_line:
                break
            if write.run is not None:
                if write.workdir is None or is_under(write.workdir, path) or _mentions(write.run, path):
                    return True
                continue
            if write.destination is None:
                return True
            if not (is_under(write.destination, path) or is_under(path, write.destination)):
                continue
            if not (allow_context_copy and write.whole_context and write.destination == path):
                return True
        return False

    def may_link(self, path: str) -> bool:
        """Whether a RUN of the stage may make ``path`` a symbolic link (``ln -s``)."""
        return any(command_may_link(run, path) for run in self._runs)

    # -- the walks ------------------------------------------------------------------------
    @_once
    def _text(self) -> _Text:
        text = _Text()
        name = self.dockerfile.path.name if self.dockerfile is not None else "Dockerfile"
        for instruction in self.stage.instructions:
            keyword = instruction.keyword
            if keyword == "RUN":
                text.mounts_context = text.mounts_context or bool(instruction.flags) and mounts_context(instruction)
            elif keyword == "VOLUME":
                for path in instruction.words():
                    if "$" in path or not path.startswith("/"):
                        text.volumes_unknown = text.volumes_unknown or f"the VOLUME at {name}:{instruction.line}"
                        continue
                    text.volumes.append(Volume(posixpath.normpath(path), f"{name}:{instruction.line}"))
            elif keyword == "ONBUILD":
                text.triggers = True
                if instruction.arguments.lstrip().upper().startswith("VOLUME"):
                    text.volumes_unknown = text.volumes_unknown or f"the ONBUILD at {name}:{instruction.line}"
        return text

    @_once
    def _context_reads(self) -> tuple[tuple[Instruction, tuple[str, ...]], ...]:
        return tuple(
            (instruction, context_sources(instruction))
            for instruction in self.stage.instructions
            if instruction.keyword in ("COPY", "ADD") and instruction.flag("from") is None
        )

    @_once
    def _runs(self) -> list[str]:
        return [instruction.arguments for instruction in self.stage.instructions if instruction.keyword == "RUN"]

    @_once
    def _volumes(self) -> tuple[tuple[Volume, ...], str | None]:
        """The stage's VOLUMEs, then its base's; and the first thing that may declare one dmigrate cannot see."""
        own, unknown = tuple(self._text.volumes), self._text.volumes_unknown
        base = self.base
        if isinstance(base, StageState):
            return own + base.volumes, unknown or base.volumes_unknown
        if base is None:
            return own, unknown or "the stages, built from each other in a loop,"
        declared = self.base_facts.volumes
        if declared is None:
            unknown = unknown or f"the base image {self.stage.base}"
        return own + tuple(Volume(path, f"the base image {self.stage.base}") for path in declared or ()), unknown

    @_once
    def _walk(self) -> _Walk:
        walk = _Walk()
        start = self.start
        entrypoint, cmd, workdir, user, unknown = start.entrypoint, start.cmd, start.workdir, start.user, start.unknown
        shell: tuple[str, ...] = ("/bin/sh", "-c")
        cmd_set = False
        env = walk.env = _Environment()
        for instruction in self.stage.instructions:
            keyword = instruction.keyword
            if keyword in ("RUN", "COPY", "ADD"):
                walk.writers.append((instruction, workdir))
            elif keyword == "WORKDIR":
                path = env.substitute(instruction.arguments)
                if path is None or workdir is None and not path.startswith("/"):
                    workdir, unknown = None, f"the WORKDIR at line {instruction.line} cannot be known"
                else:
                    workdir = posixpath.normpath(posixpath.join(workdir or "/", path))
                walk.workdirs.append((instruction.line, workdir))
            elif keyword == "USER":
                user = env.substitute(instruction.arguments)
                walk.users.append((instruction.line, user))
                if user is None:
                    unknown = f"the USER at line {instruction.line} cannot be known"
            elif keyword == "ENV":
                env.pending.append(instruction)
            elif keyword == "SHELL":
                words = _json_words(instruction)
                if words is None:
                    if walk.defaults is None:
                        # What ENTRYPOINT and CMD run from here on cannot be read: the image's defaults stop here.
                        walk.defaults = RunDefaults(entrypoint, cmd, workdir, user, f"cannot read SHELL at line {instruction.line}")
                else:
                    shell = tuple(words)
            elif keyword in ("ENTRYPOINT", "CMD"):
                words = _command_words(instruction, shell)
                if keyword == "CMD":
                    cmd, cmd_set = words, True
                else:
                    entrypoint, cmd = words, cmd if cmd_set else ()
        if walk.defaults is None:
            walk.defaults = RunDefaults(entrypoint, cmd, workdir, user, unknown)
        return walk

    @_once
    def _made(self) -> list[Made]:
        """The paths the stage makes, in order."""
        made: list[Made] = [Made(line, workdir, "dir") for line, workdir in self._walk.workdirs if workdir is not None]
        for instruction, workdir in self._walk.writers:
            line = instruction.line
            if instruction.keyword == "RUN":
                arguments = instruction.arguments
                if "-o" in arguments:
                    for output in _OUTPUT_FLAG.findall(arguments):
                        output = output.strip("'\"")
                        # ``go build -o /out/ ./...`` writes into the directory /out.
                        _add_made(made, line, joined(workdir, output), "dir" if output.endswith("/") else "file")
                if "mkdir" in arguments:
                    for match in _MKDIR.finditer(arguments):
                        _add_made(made, line, joined(workdir, match.group(1).strip("'\"")), "dir")
                continue
            words = instruction.words()
            if len(words) >= 2:
                _add_made(made, line, joined(workdir, words[-1]), "dir" if words[-1].endswith("/") or len(words) > 2 else None)
        if self._walk.workdirs:
            made.sort(key=lambda found: found.line)
        return made

    @_once
    def _writes(self) -> list[Write]:
        """The instructions that may put files somewhere, in order."""
        writes: list[Write] = []
        for instruction, workdir in self._walk.writers:
            if instruction.keyword == "RUN":
                writes.append(Write(instruction.line, None, run=instruction.arguments, workdir=workdir))
                continue
            words = instruction.words()
            if len(words) >= 2:
                plain = instruction.keyword == "COPY" and words[:-1] == ["."] and instruction.flag("from") is None
                writes.append(Write(instruction.line, joined(workdir, words[-1]), whole_context=plain))
        return writes

    @_once
    def _root_owned(self) -> bool:
        root, may_switch = self._root_at_start()
        users = None
        for instruction in self.stage.instructions:
            keyword = instruction.keyword
            if keyword == "USER":
                users = users or iter(self._walk.users)
                _, user = next(users)
                if user is None or not is_root_user(user):
                    return False
                root = root or may_switch
            elif keyword in ("RUN", "WORKDIR") and not root:
                # BuildKit makes a WORKDIR's directory with the current user as its owner.
                return False
            if keyword in ("COPY", "ADD") and (instruction.flag("chown") is not None or instruction.flag("from") is not None):
                return False
            if keyword == "ADD" and any(keeps_archive_owners(word) for word in instruction.words()[:-1]):
                return False
            if keyword == "RUN" and (OWNERSHIP_CHANGERS.search(instruction.arguments) or instruction.heredocs):
                return False
        return root

    def _root_at_start(self) -> tuple[bool, bool]:
        """Whether the stage starts with only root's files, and whether a ``USER root`` makes it so.

        A base whose user is not known still gives root files when the stage
        says ``USER root`` before it runs anything; only for an official image,
        which has no ONBUILD steps that would run before that line.  Files a
        base stage wrote as another user stay, and an ONBUILD of a base stage
        runs here as whatever user this one has then.
        """
        if isinstance(self.base, StageState):
            return self.base.root_owned and not self.base.triggers, False
        if self.base is None:
            return False, False
        return self.base_facts.runs_as_root, self.base_facts.without_triggers



def _add_made(made: list[Made], line: int, path: str | None, kind: str | None) -> None:
    if path is not None:
        made.append(Made(line, path, kind))


class _Environment:
    """The ENV a stage sets, read when a value needs it: most stages never substitute one."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.pending: list[Instruction] = []

    def read(self) -> dict[str, str]:
        self.flush()
        return dict(self.values)

    def substitute(self, text: str) -> str | None:
        if "$" in text:
            self.flush()
        return _substitute(text, self.values)

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        for instruction in pending:
            for key, value in instruction.key_values():
                known = _substitute(value, self.values)
                self.values[key] = known if known is not None else "\x00"


def standalone_state(stage: Stage, start_workdir: str | None = "/") -> StageState:
    """A stage's state read on its own, starting in ``start_workdir``: for questions about its text alone."""
    return StageState(None, stage, ImageRef.parse(stage.base), start=RunDefaults(None, None, start_workdir, None))


def is_root_user(user: str) -> bool:
    """Whether a ``USER`` or ``-u`` value runs as uid 0 *and* gid 0 (``""`` is the default, root).

    ``root:staff`` or ``0:50`` is uid 0 with another group, whose files are not owned by 0:0.
    """
    name, _, group = user.partition(":")
    return name in ("", "root", "0") and group in ("", "root", "0")


def keeps_archive_owners(source: str) -> bool:
    """ADD unpacks a local archive with the owners it records; a URL or a variable may be one."""
    return "://" in source or "$" in source or bool(re.search(r"\.(tar|tgz|tbz2?|txz|tzst|gz|bz2|xz|zst)$", source))


def context_sources(instruction: Instruction) -> tuple[str, ...]:
    """The context paths a COPY or ADD names: not its heredocs, URLs or git sources."""
    words = instruction.words()[:-1]
    if instruction.heredocs:
        heredocs = {f"<<{h.name}" for h in instruction.heredocs} | {f"<<-{h.name}" for h in instruction.heredocs}
        words = [w for w in words if w not in heredocs]
    return tuple(w for w in words if "://" not in w and not w.startswith("git@"))


def mounts_context(instruction: Instruction) -> bool:
    """A ``RUN --mount=type=bind`` (bind is the default type) of the build context rather than of another stage or image."""
    return instruction.keyword == "RUN" and any(
        flag.lower().startswith("--mount=") and "from=" not in flag and ("type=bind" in flag or "type=" not in flag) for flag in instruction.flags
    )


def command_may_link(command: str, path: str) -> bool:
    """Whether a shell command may make ``path`` a symbolic link: it runs ``ln -s`` naming the path or its name."""
    if "ln " not in command or "-s" not in command:
        return False
    words = command.replace(";", " ").replace("&&", " ").split()
    name = posixpath.basename(path)
    after = words[words.index("ln") :] if "ln" in words else words
    return path in words or any(word.endswith("/" + name) or word == name for word in after)


def _mentions(text: str, path: str) -> bool:
    return re.search(r"(?<![\w./-])" + re.escape(path.rstrip("/")) + r"(?![\w.-])", text) is not None


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

    result = _VARIABLE.sub(value, text)
    return None if unknown or "$" in result else result
