"""Read everything one migration needs: the driver, its Dockerfiles and a few host facts.

This is the only place of the read step that looks at the file system beyond
the driver itself, so that tracing works on a snapshot and never reaches back.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from migrate.read import file_mentions_docker, read_source_text
from migrate.errors import InputError, Location, MigrationStop, Refusal
from migrate.read.boundary import active_root, confined_to, outside_reason, outside_refusal, project_root, resolves_inside
from migrate.read.dockerfile import Dockerfile, read_dockerfile
from migrate.read.dockerignore import DockerIgnore
from migrate.read.files import UnreadableFile
from migrate.read.neighbours import files_naming
from migrate.read.ops import Build, Container, Copy, DriverReading, HostCommand, Opaque, Site, Word, build_paths

MAKEFILE_NAMES = ("GNUmakefile", "makefile", "Makefile")


@dataclass(frozen=True)
class HostFacts:
    root: str
    """The project root: the git work tree, or the driver's directory outside git."""
    tracked: frozenset[str] | None
    """Files git tracks, relative to the root; None outside git."""
    present: Mapping[str, str]
    """For each host path the flow mentions: ``file``, ``dir`` or ``link`` as it is now (absent paths left out)."""
    texts: Mapping[str, str]
    """Contents of the small files tracing reads: ``.dockerignore`` files, keyed by absolute path."""
    naming: Mapping[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    """For each Dockerfile a build names: the other files of the project that name or build it too (path, line)."""

    def relative(self, path: str) -> str:
        prefix = self.root.rstrip("/") + "/"
        if path.startswith(prefix) and "/." not in path and "//" not in path and not path.endswith("/"):
            return path[len(prefix) :]  # a normalised path below the root, the common case: relpath would find the same, slowly
        return posixpath.relpath(path, self.root)

    def inside_root(self, path: str) -> bool:
        return path == self.root or path.startswith(self.root.rstrip("/") + "/")

    def existed_before_run(self, path: str) -> str | None:
        """Whether ``path`` existed before the driver ran: ``dir``, ``file`` or None.

        What git tracks is there on every run; untracked leftovers from an
        earlier run are not, so they do not count.
        """
        if self.tracked is None:
            return self.present.get(path)
        relative = self.relative(path)
        if relative in self.tracked:
            return "file"
        prefix = "" if relative == "." else relative + "/"
        if any(name.startswith(prefix) for name in self.tracked):
            return "dir"
        return None


@dataclass(frozen=True)
class ProjectReading:
    driver: DriverReading
    dockerfiles: Mapping[str, Dockerfile]
    """Every Dockerfile a build of the driver names, keyed by absolute path."""
    facts: HostFacts
    classic_builder: tuple[Location, str] | None = None
    """Where the driver (or a file it runs) may choose the classic builder, and how it says so."""


def driver_kind(path: Path) -> str:
    if path.name in MAKEFILE_NAMES or path.suffix == ".mk":
        return "make"
    if path.suffix == ".py":
        return "python"
    return "shell"


class ReadAhead:
    """What discovery already read of a driver: its text, and maybe its reading (for a Makefile, of its default goal)."""

    __slots__ = ("text", "reading")

    def __init__(self, text: str, reading: DriverReading | None = None) -> None:
        self.text = text
        self.reading = reading


_read_ahead: Mapping[str, ReadAhead] = {}


@contextmanager
def reading_ahead(read_ahead: Mapping[str, ReadAhead]) -> Iterator[None]:
    """While the block runs, :func:`read_driver` takes a driver named in ``read_ahead`` from there instead of reading it again."""
    global _read_ahead
    previous, _read_ahead = _read_ahead, read_ahead
    try:
        yield
    finally:
        _read_ahead = previous


_WINDOWS_SCRIPTS = {".cmd": "batch file", ".bat": "batch file", ".ps1": "PowerShell script"}


def read_driver(path: Path, target_rule: str | None = None) -> DriverReading:
    windows = _WINDOWS_SCRIPTS.get(path.suffix.lower())
    if windows is not None:
        # Read as POSIX shell it is a syntax error at best, a wrong migration at worst: one step the tracer refuses.
        reason = (
            f"{path.name} is a Windows {windows}, which dmigrate does not read; it migrates POSIX shell scripts, "
            "Makefiles and Python drivers, so the flow would have to be written as one of those"
        )
        return DriverReading(path, "shell", "", (Opaque(Site(path, 1, None), reason, True),), path.resolve().parent)
    kind = driver_kind(path)
    ahead = _read_ahead.get(str(path))
    if ahead is not None and ahead.reading is not None and (kind == "shell" or kind == "make" and target_rule is None):
        return ahead.reading
    text = ahead.text if ahead is not None else _driver_text(path)
    if kind == "make":
        from migrate.read.makefile import read_makefile

        return read_makefile(path, text, target_rule=target_rule)
    if kind == "python":
        from migrate.read.python import read_python

        return read_python(path, text)
    from migrate.read.shell import read_shell

    return read_shell(path, text)


def _driver_text(path: Path) -> str:
    return read_source_text(path, "driver")


def read_project(driver_path: Path, target_rule: str | None = None, root: str | None = None) -> ProjectReading:
    """Everything the migration of ``driver_path`` needs, read only from inside its project root (:mod:`migrate.read.boundary`)
    and within the project's time budget (:mod:`migrate.read.budget`).

    ``root`` is that root (a real path); by default the one :func:`~migrate.read.boundary.project_root` finds.
    """
    from migrate.read.budget import project_budget

    root = root or project_root(driver_path)
    if not resolves_inside(driver_path, root):
        raise outside_refusal(driver_path, root, f"the driver {driver_path.name} leads to a file that")
    with confined_to(root), project_budget(driver_path):
        driver = read_driver(driver_path, target_rule)
        for part in driver.parts:
            if not resolves_inside(part.path, root):
                raise outside_refusal(part.path, root)
        driver = _directory_dockerfiles(_unfollowed_scripts(driver, root))
        dockerfiles: dict[str, Dockerfile] = {}
        for operation in driver.operations:
            if isinstance(operation, Build):
                _check_build_inside(operation, root)
                _, dockerfile = build_paths(operation)
                if dockerfile is not None and dockerfile not in dockerfiles and os.path.lexists(dockerfile) and not os.path.isdir(dockerfile):
                    try:
                        dockerfiles[dockerfile] = read_dockerfile(Path(dockerfile))
                    except UnreadableFile as problem:
                        if not problem.missing:  # a FIFO, a symlink loop, a huge file: said as it is, not as "does not exist"
                            raise
        return ProjectReading(driver, dockerfiles, _host_facts(driver, dockerfiles, root), classic_builder_setting(driver))


def _check_build_inside(build: Build, root: str) -> None:
    """A build whose Dockerfile or context leads out of the root is refused before anything there is read."""
    context, dockerfile = build_paths(build)
    for path, word, what in ((dockerfile, build.dockerfile, "the Dockerfile"), (context, build.context, "the build context")):
        if path is not None and not resolves_inside(path, root):
            shown = path if word is not None and word.key.startswith("/") else posixpath.relpath(path, build.cwd.key)
            raise Refusal(Location(build.site.file, build.site.line), outside_reason(path, root, f"{what} {shown}"))


_BUILDKIT_SETTING = re.compile(r"""\bDOCKER_BUILDKIT\b["']?\s*\]?\s*(?:::=|:=|\?=|\+=|=|:(?=[\s"'])|,)\s*(?P<value>[^\s;&|)#,}]*)""")


def classic_builder_setting(driver: DriverReading) -> tuple[Location, str] | None:
    """The first line of the driver (or a file it runs) that sets DOCKER_BUILDKIT to anything but 1 or true, and the setting."""
    for reading in (driver, *driver.parts):
        if "DOCKER_BUILDKIT" not in reading.text:
            continue
        for number, line in enumerate(reading.text.splitlines(), start=1):
            if line.lstrip().startswith("#"):
                continue
            for match in _BUILDKIT_SETTING.finditer(line):
                value = match.group("value").strip("\"'")
                if value.lower() in ("1", "true") or re.fullmatch(r"\$\{?DOCKER_BUILDKIT(?::?-(?:1|true))?\}?", value, re.IGNORECASE):
                    continue
                return Location(reading.path, number), match.group(0).strip()
    return None


_SYSTEM_DIRECTORIES = ("/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/")
"""Where a program named by its path is the system's, as one found on PATH would be, and not some other project's script."""


def _unfollowed_scripts(driver: DriverReading, root: str) -> DriverReading:
    """A host command that runs a script of the project that says docker hides docker steps: it is refused.

    So is one that runs a program by a path outside the root (but the
    system's own): dmigrate does not read it, so it cannot know what it does.
    (A Makefile's recipes follow the shell scripts they run; what is left here was not followed.)
    """
    operations = list(driver.operations)
    changed = False
    for index, operation in enumerate(operations):
        script = _script_of(operation)
        if script is None:
            continue
        path = posixpath.join(operation.cwd.key, script.key)
        reason = None
        if not resolves_inside(path, root):
            if not os.path.realpath(path).startswith(_SYSTEM_DIRECTORIES):
                reason = outside_reason(path, root, f"{script.key}, which {driver.path.name} runs,")
        elif file_mentions_docker(path):
            reason = f"{script.key} runs docker, and dmigrate does not follow a script {driver.path.name} runs"
        if reason is not None:
            operations[index] = Opaque(operation.site, reason, True)
            changed = True
    return replace(driver, operations=tuple(operations)) if changed else driver


def _directory_dockerfiles(driver: DriverReading) -> DriverReading:
    """A build whose Dockerfile is a directory fails; it is refused by that name rather than as a missing file."""
    operations = list(driver.operations)
    changed = False
    for index, operation in enumerate(operations):
        if isinstance(operation, Build):
            _, dockerfile = build_paths(operation)
            if dockerfile is not None and os.path.isdir(dockerfile):
                shown = posixpath.relpath(dockerfile, str(driver.start_dir))
                reason = f"the Dockerfile {shown} is a directory, not a file, so this `docker build` fails"
                operations[index] = Opaque(operation.site, reason, True)
                changed = True
    return replace(driver, operations=tuple(operations)) if changed else driver


def _script_of(operation) -> Word | None:
    """The file a host command runs as a program: ``./extract.py``, ``sh extract.sh``."""
    from migrate.read.shell import program_run_by

    if not isinstance(operation, HostCommand) or not operation.cwd.known:
        return None
    run = program_run_by(operation.argv)
    return run[0] if run is not None else None


def _host_facts(driver: DriverReading, dockerfiles: Mapping[str, Dockerfile], root: str) -> HostFacts:
    start = str(driver.start_dir)
    tracked = _git_files(root)
    mentioned: set[str] = set()
    texts: dict[str, str] = {}
    for operation in driver.operations:
        for word in _host_words(operation):
            if word.known:
                path = posixpath.normpath(posixpath.join(operation.cwd.key, word.key)) if operation.cwd.known else None
                if path:
                    mentioned.add(path)
                    mentioned.add(posixpath.dirname(path))
        if isinstance(operation, Build):
            context, dockerfile = build_paths(operation)
            for candidate in filter(None, (context and posixpath.join(context, ".dockerignore"), dockerfile and dockerfile + ".dockerignore")):
                if candidate not in texts and os.path.lexists(candidate) and not os.path.isdir(candidate):
                    # Docker reads it whatever it is: what cannot be read here is the project's error, never "no .dockerignore".
                    texts[candidate] = read_source_text(Path(candidate), ".dockerignore")
                    bad = DockerIgnore(texts[candidate]).first_bad_pattern()
                    if bad is not None:
                        raise InputError(Location(Path(candidate), bad[0]), f"{bad[1]}; docker build stops at it")
    present = {}
    for path in mentioned:
        kind = _kind_now(path)
        if kind is not None:
            present[path] = kind
    flow_files = {str(reading.path) for reading in (driver, *driver.parts)}
    directories = [start, root, *(posixpath.dirname(path) for path in dockerfiles)]
    naming = files_naming(dockerfiles, directories, root, flow_files, _builds_of)
    return HostFacts(root, tracked, present, texts, naming)


_builds_read: dict[tuple, list[tuple[str | None, str, int]] | None] = {}
"""What :func:`_builds_of` found, by file as it is now: the projects of one directory (or a monorepo's root Makefile) share their neighbours."""


def _builds_of(path: str) -> list[tuple[str | None, str, int]] | None:
    """What another driver of the project builds: each build's Dockerfile (None: cannot be known), file and line; None when unreadable."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    key = (path, status.st_ino, status.st_mtime_ns, status.st_size, active_root())
    if key in _builds_read:
        return _builds_read[key]
    try:
        reading = read_driver(Path(path))
    except (MigrationStop, RecursionError):
        return None
    builds = _builds_in(reading)
    if not reading.parts:  # a reading that follows other files is only good while they stay the same too
        _builds_read[key] = builds
    return builds


def _builds_in(reading: DriverReading) -> list[tuple[str | None, str, int]]:
    builds = []
    for operation in reading.operations:
        if isinstance(operation, Build):
            if operation.context.known and (operation.context.key == "-" or "://" in operation.context.key):
                continue  # the context is no directory, so no Dockerfile of the project is its default
            builds.append((build_paths(operation)[1], str(operation.site.file), operation.site.line))
    return builds


def _kind_now(path: str) -> str | None:
    """``link``, ``dir`` or ``file`` as ``path`` is now (one ``lstat``: a path that is no link is what it leads to); None when absent."""
    try:
        mode = os.lstat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISLNK(mode):
        return "link"
    return "dir" if stat.S_ISDIR(mode) else "file"


def _host_words(operation):
    if isinstance(operation, Copy):
        yield operation.destination
        if operation.stream_into:
            yield from operation.stream_into
    elif isinstance(operation, HostCommand):
        yield from operation.argv[1:]
    elif isinstance(operation, Container):
        if operation.stdout is not None:
            yield operation.stdout
        for volume in operation.volumes:
            yield volume.host
    elif isinstance(operation, Build):
        yield operation.context


def _git_files(root: str) -> frozenset[str] | None:
    """What git tracks in the work tree ``root``, relative to it; None outside git."""
    from migrate.read.gitindex import tracked_files

    read = tracked_files(root)
    if read is not None:
        return read[1] if os.path.realpath(read[0]) == root else None
    from migrate.gitcommand import GitProblem, run_git

    try:
        listing = run_git(["ls-files", "-z"], root)
    except GitProblem:
        return None
    if listing.returncode != 0:
        return None
    names = listing.stdout.decode("utf-8", "surrogateescape").split("\0")
    return frozenset(name for name in names if name)
