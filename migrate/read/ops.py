"""What a driver does, as the read step sees it: docker and host operations in order.

Every driver reader (shell, Makefile, Python) produces these.  Values that
depend on something the reader cannot know are kept symbolically in
``Word.key`` so that two mentions of the same unknown still compare equal
(``app:$TAG`` built and then ``docker create app:$TAG``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path

UNKNOWN_MARK = "\x00"


@dataclass(frozen=True)
class Word:
    text: str
    """Source text, exactly as written in the driver."""
    key: str
    """The value, with each part that cannot be known as ``\\0expr\\0``."""
    splits: bool = field(default=False, compare=False)
    """An unknown value that may stand for any number of words, none included (an unquoted ``$OPTS``, a ``*args``)."""

    @property
    def value(self) -> str | None:
        return None if UNKNOWN_MARK in self.key else self.key

    @property
    def known(self) -> bool:
        return UNKNOWN_MARK not in self.key

    def shown(self) -> str:
        return self.key.replace(UNKNOWN_MARK, "") if self.known else self.text

    @staticmethod
    def literal(value: str, text: str | None = None) -> "Word":
        return Word(text if text is not None else value, value)


@dataclass(frozen=True)
class Site:
    """Where an operation stands in its driver, plus what its emitter needs to rewrite it."""

    file: Path
    line: int
    anchor: object = field(repr=False)
    """Reader-specific handle (a shell command's spans, a Makefile recipe line, a Python call node)."""
    guard: str | None = None
    """Why the operation may not run every time (inside an ``if``, a loop, a ``case``), or None."""

    @property
    def place(self) -> tuple:
        """The driver text this step comes from; a function called twice gives two sites with one place."""
        return (self.file, getattr(self.anchor, "span", self.line))

    def __hash__(self) -> int:
        # Sites key many dicts and sets while tracing; hashing the anchor's nested tuples each time cost more than the rare clash of two steps on one line.
        return hash((self.file, self.line))


def where(site: Site) -> str:
    """``build.sh:12``: a site as messages show it."""
    return f"{site.file.name}:{site.line}"


@dataclass(frozen=True)
class BuildArg:
    name: str
    value: Word | None
    """None for ``--build-arg NAME``, which takes the value from the environment."""
    text: str
    """The flag and its value as written, ready to be carried into another build."""


@dataclass(frozen=True)
class Build:
    site: Site
    context: Word
    dockerfile: Word | None
    tags: tuple[Word, ...]
    build_args: tuple[BuildArg, ...]
    target: Word | None
    cwd: Word
    """The host directory the command ran in."""
    other_flags: tuple[tuple[str, Word | None], ...] = ()
    """Flags kept as they are: name and value (None for a boolean flag)."""


@dataclass(frozen=True)
class Volume:
    host: Word
    container: str
    options: str = ""
    written: Word | None = field(default=None, compare=False)
    """The whole ``-v``/``--mount`` value as the driver wrote it, for messages."""


@dataclass(frozen=True)
class Container:
    """``docker create`` and ``docker run``: a container made from an image."""

    site: Site
    image: Word
    name: Word | None
    captured_as: str | None
    """The variable an anonymous id was captured into (``id=$(docker create IMG)``)."""
    runs: bool
    """True for ``docker run``: the command executes at once."""
    remove: bool
    """``--rm``: the container is gone after it ran."""
    command: tuple[Word, ...]
    entrypoint: Word | None
    workdir: Word | None
    user: Word | None
    env: tuple[Word, ...]
    volumes: tuple[Volume, ...]
    stdout: Word | None = None
    """Host file the container's standard output is redirected to."""
    stdout_appends: bool = False
    """``>> FILE``: the output is added to what the file held."""
    stdout_pipe: tuple[Word, ...] | None = None
    """The host command its standard output is piped into."""
    cwd: Word = Word.literal(".")
    other_flags: tuple[tuple[str, Word | None], ...] = ()


@dataclass(frozen=True)
class Copy:
    """``docker cp CONTAINER:SRC DEST`` (or DEST ``-`` piped into ``tar -x``)."""

    site: Site
    container: Word
    source: Word
    destination: Word
    follow_links: bool
    cwd: Word
    stream_into: tuple[Word, ...] | None = None
    """For ``docker cp C:S - | tar -x ...``: the tar command's words."""


@dataclass(frozen=True)
class Remove:
    """``docker rm``: removing containers."""

    site: Site
    containers: tuple[Word, ...]


@dataclass(frozen=True)
class RemoveImage:
    """``docker rmi`` / ``docker image rm``."""

    site: Site
    images: tuple[Word, ...]


@dataclass(frozen=True)
class OtherDocker:
    """Any other docker command: kept as it is, and checked for touching the flow."""

    site: Site
    subcommand: str
    arguments: tuple[Word, ...]


@dataclass(frozen=True)
class HostCommand:
    """A non-docker command that can touch the files the flow moves (rm, mkdir, chmod, mv, cp, tar, ...).

    A file the shell itself opens for a command is one too, named by the redirect: ``(">", "app")`` for
    ``... > app``, ``(">>", ...)``, ``("<", ...)``.
    """

    site: Site
    argv: tuple[Word, ...]
    cwd: Word


@dataclass(frozen=True)
class Opaque:
    """Something the reader could not follow, such as ``eval``, ``source`` or a loop over a command's output."""

    site: Site
    reason: str
    mentions_docker: bool


Operation = Build | Container | Copy | Remove | RemoveImage | OtherDocker | HostCommand | Opaque


@dataclass(frozen=True)
class Mention:
    """Driver text that no step the reader followed stands for, and that may name a file or an image.

    A recipe line of a Makefile rule the goal does not run; a Python string.  The tracer looks in it for
    the files the migration deletes or stops making and for the build images it takes away.
    """

    site: Site
    text: str
    rule: str | None = None
    """The Makefile target whose recipe holds it."""
    goes_with: tuple[frozenset[Site], ...] = ()
    """It leaves the driver when every step of one of these sets does (a Python string in the statement that
    runs them, or in a helper only they call); with none, it always stays."""


@dataclass(frozen=True)
class MakeTarget:
    """A target of a Makefile: what make makes before it, and whether the followed goal makes it."""

    name: str
    line: int
    prerequisites: tuple[str, ...]
    made: bool
    """The goal dmigrate followed makes it."""
    steps: tuple[Site, ...] = ()
    """The sites of the steps its own recipe ran (a script it runs included)."""


@dataclass(frozen=True)
class DriverReading:
    """The read step's output for one driver."""

    path: Path
    kind: str
    """``shell``, ``make`` or ``python``."""
    text: str
    operations: tuple[Operation, ...]
    start_dir: Path
    """The directory the driver is taken to run from."""
    notes: tuple[str, ...] = ()
    parts: tuple["DriverReading", ...] = ()
    """Other drivers this one runs whose steps are among ``operations`` (a Makefile calling ``./build.sh``)."""
    mentions: tuple[Mention, ...] = ()
    """Text outside the steps that may name files or images (see :class:`Mention`)."""
    make_targets: tuple[MakeTarget, ...] = ()
    """For a Makefile: every target but the special and pattern ones, in the order the Makefile gives them."""



def map_words(value, change: Callable[[Word], Word]):
    """``value`` (an operation, or any part of one) with ``change`` applied to each of its words; the site stays."""
    if isinstance(value, Word):
        return change(value)
    if isinstance(value, tuple):
        return tuple(map_words(item, change) for item in value)
    if is_dataclass(value) and not isinstance(value, (Site, type)):
        return replace(value, **{f.name: map_words(getattr(value, f.name), change) for f in fields(value) if f.name != "site"})
    return value


def build_paths(build: Build) -> tuple[str | None, str | None]:
    """The absolute context directory and Dockerfile of a build, or None where unknown.

    ``-f`` is read relative to the directory docker runs in, not to the context.
    """
    if not build.cwd.known or not build.context.known or build.context.key == "-" or "://" in build.context.key:
        return None, None
    context = _joined(build.cwd.key, build.context.key)
    if build.dockerfile is None:
        return context, _joined(context, "Dockerfile")
    if not build.dockerfile.known or build.dockerfile.key == "-":
        return context, None
    return context, _joined(build.cwd.key, build.dockerfile.key)


@functools.lru_cache(maxsize=512)
def _joined(directory: str, path: str) -> str:
    """Every step asks for the paths of every build, so each is joined once."""
    import posixpath

    return posixpath.normpath(posixpath.join(directory, path))
