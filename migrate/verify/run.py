"""``dmigrate --verify``: build a project both ways and prove the final images equal.

The user's working tree is never touched and never built in.  Two temporary
copies are made of what git tracks (or of the driver's directory outside
git): the legacy flow runs in the first; dmigrate migrates the second, and
the migrated flow runs there.  Both final images are snapshotted and
compared (files and config, see :mod:`migrate.verify.compare`).

Both flows tag the same names, which the user may already use.  Before
anything runs, every image the flows name is recorded and held under a
``dmigrate-verify/held`` tag, so that not even a ``docker rmi`` in the driver
can delete it; afterwards each name points at what it pointed at before, or
at nothing, and what the flows built is removed unless asked to keep it as
``dmigrate-verify/NAME:legacy`` and ``:migrated``.  Every such step is
reported.

Running the user's driver is what ``--verify`` is for, and only it does so.
Expected failures come back as a :class:`Verification` with a status; this
module never prints (progress goes to the ``progress`` callback).
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from migrate.errors import Location
from migrate.verify.compare import Difference, compare
from migrate.verify.engine import Engine, EngineError, first_line
from migrate.verify.snapshot import ImageSnapshot, snapshot_image

EQUIVALENT = "equivalent"
DIFFERENT = "different"
NOTHING = "nothing to verify"
REFUSED = "refused"
ERROR = "error"

LEGACY = "legacy"
MIGRATED = "migrated"

VERIFY_REPOSITORY = "dmigrate-verify"
HELD_REPOSITORY = f"{VERIFY_REPOSITORY}/held"
OUTPUT_TAIL_LINES = 40

_GIT_IDENTITY = (
    "-c", "user.name=dmigrate verify", "-c", "user.email=verify@dmigrate.invalid",
    "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", "-c", "init.defaultBranch=main",
)  # fmt: skip

Progress = Callable[[str], None]


@dataclass(frozen=True)
class VerifyOptions:
    target_rule: str | None = None
    keep_legacy: bool = False
    keep_images: bool = False
    """Keep both final images as ``dmigrate-verify/NAME:legacy`` and ``:migrated``."""
    driver_argv: tuple[str, ...] | None = None
    """How to run the driver, relative to its directory; by default from its kind."""
    final_image: str | None = None
    """The final image's tag; by default read from the build of the runtime Dockerfile."""
    flow_timeout: float | None = None


@dataclass(frozen=True)
class LeftImage:
    ref: str
    image_id: str
    size: int


@dataclass(frozen=True)
class LeftContainer:
    name: str
    container_id: str
    image_id: str
    state: str


@dataclass(frozen=True)
class Leftovers:
    """What a flow leaves besides its final image."""

    images: tuple[LeftImage, ...] = ()
    containers: tuple[LeftContainer, ...] = ()
    host_paths: tuple[str, ...] = ()
    """Files the flow left in the project, relative to its root: ``app``, ``dist/ (3 files)``, ``x (modified)``."""

    @property
    def empty(self) -> bool:
        return not (self.images or self.containers or self.host_paths)


@dataclass(frozen=True)
class FlowRun:
    label: str
    argv: tuple[str, ...]
    seconds: float
    returncode: int
    output: str = field(repr=False)
    image_id: str | None = None

    @property
    def command(self) -> str:
        return shlex.join(self.argv)

    def output_tail(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        kept = self.output.rstrip("\n").splitlines()[-lines:]
        return "\n".join(kept)


@dataclass(frozen=True)
class Verification:
    driver: Path
    status: str
    message: str = ""
    location: Location | None = None
    engine: str = ""
    engine_version: str = ""
    final_image: str = ""
    migration: str = ""
    """What the migration changed, in the copy."""
    notes: tuple[str, ...] = ()
    """The migration's warnings and decisions."""
    legacy: FlowRun | None = None
    migrated: FlowRun | None = None
    legacy_leftovers: Leftovers | None = None
    migrated_leftovers: Leftovers | None = None
    differences: tuple[Difference, ...] = ()
    compared_paths: int = 0
    cleanup: tuple[str, ...] = ()
    kept_images: tuple[tuple[str, str], ...] = ()
    """``(flow, ref)`` for the final images kept with ``keep_images``."""
    legacy_snapshot: ImageSnapshot | None = field(default=None, repr=False, compare=False)
    migrated_snapshot: ImageSnapshot | None = field(default=None, repr=False, compare=False)

    @property
    def exit_code(self) -> int:
        if self.status in (EQUIVALENT, NOTHING):
            return 0
        if self.status == DIFFERENT:
            return 1
        return 2


class VerifyStop(Exception):
    """An expected reason to stop; becomes a :class:`Verification` with ``status``."""

    def __init__(self, status: str, message: str, location: Location | None = None, **details) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.location = location
        self.details = details


def exit_code(verifications: Iterable[Verification]) -> int:
    return max((v.exit_code for v in verifications), default=0)


def verify_paths(
    paths: Sequence[Path],
    options: VerifyOptions,
    *,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> list[Verification]:
    """Verify every driver the paths name (directories are searched as dmigrate does), on the engine the environment names."""
    from migrate.batch import NO_DRIVER, find_drivers

    environ = dict(os.environ if environ is None else environ)
    try:
        engine = Engine.from_environment(environ)
        version = engine.ping()
    except EngineError as error:
        return [Verification(Path(path), ERROR, str(error)) for path in paths]
    found: list[Verification] = []
    for driver, problem in find_drivers(paths):
        if problem == NO_DRIVER:
            found.append(Verification(Path(driver), NOTHING, problem))
        elif problem is not None:
            found.append(Verification(Path(driver), ERROR, problem, Location(Path(driver))))
        else:
            found.append(verify_driver(driver, options, engine=engine, environ=environ, progress=progress, engine_version=version))
    return found


def verify_driver(
    driver: Path,
    options: VerifyOptions = VerifyOptions(),
    *,
    engine: Engine | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    engine_version: str | None = None,
) -> Verification:
    """Run both flows of one driver in temporary copies and compare their final images."""
    environ = dict(os.environ if environ is None else environ)
    driver = Path(driver)
    try:
        engine = engine or Engine.from_environment(environ)
        version = engine_version or engine.ping()
    except EngineError as error:
        return Verification(driver, ERROR, str(error))
    try:
        scratch = Path(tempfile.mkdtemp(prefix="dmigrate-verify-"))
    except OSError as error:
        return Verification(driver, ERROR, f"cannot make a temporary directory: {error.strerror}")
    try:
        verifier = _Verifier(driver, options, engine, environ, scratch, progress or (lambda message: None))
        result = verifier.run()
        return replace(result, engine=engine.describe(), engine_version=version)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# --- the copies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectCopy:
    """A temporary copy of the project the driver belongs to."""

    original_root: Path
    root: Path
    in_git: bool

    def inside(self, original: Path) -> Path:
        return self.root / Path(os.path.realpath(original)).relative_to(self.original_root)

    def outside(self, path: Path) -> Path:
        """The user's path for a path in this copy (unchanged when it lies elsewhere)."""
        absolute = Path(os.path.abspath(path))
        try:
            return self.original_root / absolute.relative_to(self.root)
        except ValueError:
            return Path(path)


def project_root(driver: Path) -> tuple[Path, bool]:
    """The git work tree holding ``driver``, else its directory; and whether it is in git."""
    directory = Path(os.path.realpath(driver)).parent
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    except OSError:
        return directory, False
    if done.returncode != 0 or not done.stdout.strip():
        return directory, False
    return Path(os.path.realpath(done.stdout.strip())), True


def copy_project(driver: Path, destination: Path) -> ProjectCopy:
    """Copy what the driver's migration may read: what git tracks, as it is in the working tree.

    Untracked files are left out because dmigrate takes them as not there
    before the driver runs; outside git the driver's whole directory is copied.
    """
    root, in_git = project_root(driver)
    target = destination / root.name
    try:
        if not in_git:
            shutil.copytree(root, target, symlinks=True, ignore=shutil.ignore_patterns(".git"))
            return ProjectCopy(root, target, False)
        listing = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached"], capture_output=True, stdin=subprocess.DEVNULL)
        if listing.returncode != 0:
            raise VerifyStop(ERROR, f"git ls-files in {root} failed: {listing.stderr.decode(errors='replace').strip()}")
        target.mkdir(parents=True)
        for name in sorted({name for name in listing.stdout.decode("utf-8", "surrogateescape").split("\0") if name}):
            _copy_entry(root / name, target / name)
    except shutil.Error as error:
        # copytree goes on past what it cannot copy (a FIFO, an unreadable file) and names it all at the end.
        raise VerifyStop(ERROR, f"cannot make the temporary copy of {root}: {error.args[0][0][2]}") from None
    except OSError as error:
        detail = f"{error.filename}: {error.strerror}" if error.filename and error.strerror else str(error)
        raise VerifyStop(ERROR, f"cannot make the temporary copy of {root}: {detail}") from None
    _git(target, "init", "-q")
    # Forced: a tracked file may match .gitignore, and it must stay tracked in the copy.
    _git(target, "add", "--force", "--all", ".")
    _git(target, "commit", "-q", "--no-verify", "--allow-empty", "-m", "dmigrate --verify copy")
    return ProjectCopy(root, target, True)


def _copy_entry(source: Path, target: Path) -> None:
    if not os.path.lexists(source):
        return  # deleted in the working tree
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
    elif source.is_dir():  # a submodule
        shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".git"), dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)


def _git(repo: Path, *args: str) -> None:
    done = subprocess.run(["git", *_GIT_IDENTITY, *args], cwd=repo, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise VerifyStop(ERROR, f"git {' '.join(args)} in the temporary copy failed: {(done.stderr or done.stdout).strip()}")


# --- what the driver touches -------------------------------------------------------------------


def driver_command(driver: Path, kind: str, target_rule: str | None = None) -> tuple[str, ...]:
    """How the driver is run from its own directory: by its kind, and a script by its shebang."""
    if kind == "make":
        return ("make", "-f", driver.name, *((target_rule,) if target_rule else ()))
    if kind == "python":
        return ("python3", driver.name)
    return (*shebang(driver), driver.name)


def shebang(script: Path) -> tuple[str, ...]:
    """The interpreter words of a script's ``#!`` line; ``sh`` without one."""
    try:
        with open(script, "rb") as handle:
            first = handle.readline(512)
    except OSError:
        first = b""
    if not first.startswith(b"#!"):
        return ("sh",)
    line = first[2:].decode("utf-8", "replace").strip()
    # The kernel passes everything after the interpreter as one argument.
    interpreter, _, argument = line.partition(" ")
    if not interpreter:
        return ("sh",)
    argument = argument.strip()
    return (interpreter, argument) if argument else (interpreter,)


def normalize_ref(ref: str) -> str:
    """``app`` and ``app:latest`` name one image; spell it the second way."""
    if "@" in ref:
        return ref
    last = ref.rsplit("/", 1)[-1]
    return ref if ":" in last else f"{ref}:latest"


@dataclass(frozen=True)
class DriverTouches:
    """The images and containers a driver names, read before it is run."""

    tags: tuple[str, ...]
    container_names: tuple[str, ...]
    final_image: str


def driver_touches(plan, migrated_reading, final_image: str | None) -> DriverTouches:
    """Image tags and container names the two flows use, and the final image's tag.

    Raises :class:`VerifyStop` for what ``--verify`` cannot do safely: a tag
    only known when the driver runs, a push.
    """
    from migrate.read.ops import Build, Container, OtherDocker, Remove, RemoveImage, build_paths

    tags: list[str] = []
    names: list[str] = []
    operations = list(plan.driver.operations) + (list(migrated_reading.operations) if migrated_reading else [])

    def image_word(word, site, what: str) -> None:
        if not word.known:
            raise VerifyStop(
                ERROR,
                f"{what} {word.text} is only known when the driver runs, so --verify cannot hold an image "
                "you may have under that name; set the variable, or verify a copy yourself",
                Location(site.file, site.line),
            )
        tags.append(normalize_ref(word.key))

    for operation in operations:
        site = operation.site
        if isinstance(operation, Build):
            for tag in operation.tags:
                image_word(tag, site, "the tag")
        elif isinstance(operation, RemoveImage):
            for image in operation.images:
                image_word(image, site, "the image")
        elif isinstance(operation, OtherDocker):
            if operation.subcommand in ("push", "image push"):
                raise VerifyStop(ERROR, "the driver pushes an image; --verify does not run a driver that publishes", Location(site.file, site.line))
            if operation.subcommand in ("tag", "image tag"):
                for word in operation.arguments:
                    if not word.text.startswith("-"):
                        image_word(word, site, "the image")
        elif isinstance(operation, Container):
            if operation.name is not None and operation.name.known:
                names.append(operation.name.key)
        elif isinstance(operation, Remove):
            names.extend(word.key for word in operation.containers if word.known)

    if final_image is None:
        merged = os.path.normpath(str(plan.merged_dockerfile))
        finals = [
            op for op in plan.driver.operations
            if isinstance(op, Build) and build_paths(op)[1] is not None and os.path.normpath(build_paths(op)[1]) == merged
        ]  # fmt: skip
        if not finals:
            raise VerifyStop(ERROR, f"no build of {plan.merged_dockerfile.name} found in the driver; cannot tell which image is final")
        final = finals[-1]
        if not final.tags:
            raise VerifyStop(
                ERROR, "the build of the final image has no tag, so --verify cannot find the image it makes", Location(final.site.file, final.site.line)
            )
        final_image = normalize_ref(final.tags[0].key)
    final_image = normalize_ref(final_image)
    tags.append(final_image)
    return DriverTouches(tuple(dict.fromkeys(tags)), tuple(dict.fromkeys(names)), final_image)


# --- the engine side ---------------------------------------------------------------------------


class TagGuard:
    """Hold the user's images under the flows' tags, clear the tags for each flow, put them back after.

    Every flow starts with none of its tags present, so what it built is
    exactly what carries them afterwards, and both flows start alike.  The
    user's images stay alive meanwhile under a ``dmigrate-verify/held`` tag.
    """

    def __init__(self, engine: Engine, tags: Sequence[str], token: str) -> None:
        self.engine = engine
        self.tags = tuple(tags)
        self.token = token
        self.before: dict[str, str | None] = {}
        self.held: dict[str, str] = {}

    def image_id(self, ref: str) -> str | None:
        done = self.engine.run(["image", "inspect", "--format", "{{.Id}}", ref], check=False)
        found = done.stdout.decode().strip()
        return found if done.returncode == 0 and found else None

    def present(self) -> dict[str, str]:
        """The flows' tags that exist now: tag → image id."""
        found = {}
        for tag in self.tags:
            image_id = self.image_id(tag)
            if image_id is not None:
                found[tag] = image_id
        return found

    def hold(self) -> None:
        for index, tag in enumerate(self.tags):
            found = self.image_id(tag)
            if found is not None:
                holding = f"{HELD_REPOSITORY}:{self.token}-{index}"
                self.engine.run(["tag", found, holding])
                self.held[tag] = holding
            # Recorded once held: should holding a later tag fail, restore() leaves that one alone.
            self.before[tag] = found

    def clear(self, actions: list[str], made_by: str | None) -> None:
        """Untag every flow tag, so that the next flow starts without them; the images the user had stay held.

        Raises when a tag stays: what the next flow builds could not be told
        from what was there.
        """
        for tag, image_id in self.present().items():
            reason = self._untag(tag)
            if made_by is not None:
                actions.append(self._untagged(tag, image_id, made_by, reason))
            if reason is not None and self.image_id(tag) is not None:
                raise EngineError(f"could not remove the tag {tag} before a flow runs: {reason}")

    def restore(self, actions: list[str], made_by: str | None) -> None:
        """Put every tag held back as it was before; say what was done.

        Each tag is tried whatever happened to the others, so this never
        raises for one of them: what cannot be done is said instead.
        """
        for tag, original in self.before.items():
            try:
                self._remove_built(tag, original, actions, made_by)
            except EngineError as error:
                actions.append(self._not_restored(tag, error))
        for tag, original in self.before.items():
            try:
                self._put_back(tag, original, actions)
            except EngineError as error:
                actions.append(self._not_restored(tag, error))

    def _not_restored(self, tag: str, error: EngineError) -> str:
        kept = f" (your image is kept as {self.held[tag]})" if tag in self.held else ""
        return f"could not restore {tag}{kept}: {error}"

    def _remove_built(self, tag: str, original: str | None, actions: list[str], made_by: str | None) -> None:
        current = self.image_id(tag)
        if current is not None and current != original:
            actions.append(self._untagged(tag, current, made_by, self._untag(tag)))

    def _put_back(self, tag: str, original: str | None, actions: list[str]) -> None:
        if original is None:
            return
        if self.image_id(tag) != original:
            done = self.engine.run(["tag", self.held[tag], tag], check=False)
            if done.returncode == 0:
                actions.append(f"restored {tag} to your image {_short(original)}")
            else:
                reason = first_line(done.stderr.decode(errors="replace"))
                actions.append(f"could not restore {tag} to your image {_short(original)} (kept as {self.held[tag]}): {reason}")
                return
        self.engine.run(["image", "rm", self.held[tag]], check=False)

    def _untag(self, tag: str) -> str | None:
        """Remove ``tag``; why it failed, or None."""
        done = self.engine.run(["image", "rm", tag], check=False)
        return None if done.returncode == 0 else first_line(done.stderr.decode(errors="replace"))

    @staticmethod
    def _untagged(tag: str, image_id: str, made_by: str | None, reason: str | None) -> str:
        built = f", which the {made_by} flow built" if made_by else ""
        if reason is None:
            return f"removed {tag} ({_short(image_id)}){built}"
        return f"could not remove {tag} ({_short(image_id)}){built}: {reason}"


def _container_ids(engine: Engine) -> frozenset[str]:
    return frozenset(engine.output(["ps", "--all", "--quiet", "--no-trunc"]).split())


def _new_containers(
    engine: Engine, before: frozenset[str], image_ids: Iterable[str], names: Iterable[str]
) -> tuple[LeftContainer, ...]:
    """Containers made since ``before`` from the flows' images or under the driver's names."""
    fresh = sorted(_container_ids(engine) - before)
    if not fresh:
        return ()
    images, wanted = set(image_ids), set(names)
    listed = engine.run(
        ["container", "inspect", "--format", "{{.Id}}\t{{.Name}}\t{{.Image}}\t{{.State.Status}}", *fresh], check=False
    )
    found = []
    for line in listed.stdout.decode(errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) != 4:
            continue
        container_id, name, image_id, state = parts
        name = name.lstrip("/")
        if image_id in images or name in wanted:
            found.append(LeftContainer(name, container_id, image_id, state))
    return tuple(found)


def _image_size(engine: Engine, ref: str) -> int:
    done = engine.run(["image", "inspect", "--format", "{{.Size}}", ref], check=False)
    try:
        return int(done.stdout.decode().strip())
    except ValueError:
        return 0


# --- host files --------------------------------------------------------------------------------


def tree_state(root: Path) -> dict[str, tuple]:
    """Every path under ``root`` (but ``.git``) with what tells a change: kind, size, mode, mtime, link."""
    found: dict[str, tuple] = {}
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(name for name in dirnames if not (directory == str(root) and name == ".git"))
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            relative = os.path.relpath(path, root)
            if os.path.islink(path):
                found[relative] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                found[relative] = ("dir", info.st_mode & 0o7777)
            else:
                found[relative] = ("file", info.st_size, info.st_mode & 0o7777, info.st_mtime_ns)
    return found


def host_leftovers(before: Mapping[str, tuple], after: Mapping[str, tuple]) -> tuple[str, ...]:
    """New, changed and deleted paths, a new directory shown once with its file count."""
    new = sorted(set(after) - set(before))
    new_dirs = [path for path in new if after[path][0] == "dir"]
    shown: list[str] = []
    for path in new:
        if any(path.startswith(directory + os.sep) for directory in new_dirs):
            continue
        if after[path][0] == "dir":
            count = sum(1 for other in new if other.startswith(path + os.sep) and after[other][0] != "dir")
            shown.append(f"{path}/ ({count} file{'s' if count != 1 else ''})")
        else:
            shown.append(path)
    for path in sorted(set(before) & set(after)):
        if before[path] != after[path] and before[path][0] != "dir":
            shown.append(f"{path} (modified)")
    gone = sorted(set(before) - set(after))
    for path in gone:
        if not any(path.startswith(other + os.sep) for other in gone):
            shown.append(f"{path} (deleted)")
    return tuple(shown)


# --- the whole verification --------------------------------------------------------------------


class _Verifier:
    def __init__(
        self, driver: Path, options: VerifyOptions, engine: Engine, environ: Mapping[str, str], scratch: Path, progress: Progress
    ) -> None:
        self.driver = driver
        self.options = options
        self.engine = engine
        self.environ = environ
        self.scratch = scratch
        self.progress = progress
        self.cleanup: list[str] = []
        self.kept: dict[str, tuple[str, str]] = {}
        self.last_flow: str | None = None

    def run(self) -> Verification:
        try:
            return self._run()
        except VerifyStop as stop:
            return Verification(
                self.driver, stop.status, stop.message, stop.location, cleanup=tuple(self.cleanup), kept_images=self._kept(), **stop.details
            )
        except KeyboardInterrupt:
            for action in self.cleanup:
                self.progress(action)
            raise
        except Exception as error:  # noqa: BLE001 - tags are restored by now; a bug of ours must not end the other verifications
            return Verification(
                self.driver, ERROR, f"internal error: {type(error).__name__}: {error}", cleanup=tuple(self.cleanup), kept_images=self._kept()
            )

    def _kept(self) -> tuple[tuple[str, str], ...]:
        return tuple((label, ref) for label, (ref, _) in self.kept.items())

    def _run(self) -> Verification:
        from migrate.migration import ERROR as MIGRATION_ERROR
        from migrate.migration import NOTHING as MIGRATION_NOTHING
        from migrate.migration import REFUSED as MIGRATION_REFUSED

        if not self.driver.is_file():
            raise VerifyStop(ERROR, "no such driver file", Location(self.driver))
        self.progress(f"copying the project into {self.scratch}")
        legacy_copy = copy_project(self.driver, self.scratch / LEGACY)
        migrated_copy = ProjectCopy(legacy_copy.original_root, self.scratch / MIGRATED / legacy_copy.root.name, legacy_copy.in_git)
        shutil.copytree(legacy_copy.root, migrated_copy.root, symlinks=True)
        try:
            legacy_driver = legacy_copy.inside(self.driver)
        except ValueError:
            raise VerifyStop(ERROR, "the driver lies outside its project", Location(self.driver)) from None
        if not legacy_driver.is_file():
            raise VerifyStop(ERROR, "the driver is not tracked by git; --verify copies only what git tracks", Location(self.driver))
        migrated_driver = migrated_copy.inside(self.driver)
        self._check_no_working_tree_paths(legacy_driver, legacy_copy)

        self.progress("migrating the copy")
        outcome = migrate_copy(migrated_driver, self.options, migrated_copy)
        if outcome.status in (MIGRATION_REFUSED, MIGRATION_ERROR, MIGRATION_NOTHING):
            location = outcome.location and Location(migrated_copy.outside(outcome.location.file), outcome.location.line)
            status = {MIGRATION_REFUSED: REFUSED, MIGRATION_ERROR: ERROR, MIGRATION_NOTHING: NOTHING}[outcome.status]
            raise VerifyStop(status, _translate(outcome.message, migrated_copy), location)
        plan = outcome.plan
        from migrate.change import describe_changes

        summary = describe_changes(outcome.changes, migrated_copy.root)
        notes = tuple(_translate(text, migrated_copy) for text in (*plan.warnings, *plan.decisions))
        migrated_reading = _read_driver_quietly(migrated_driver, self.options.target_rule)
        try:
            touches = driver_touches(plan, migrated_reading, self.options.final_image)
        except VerifyStop as stop:
            if stop.location is not None:
                stop.location = Location(migrated_copy.outside(stop.location.file), stop.location.line)
            raise
        self._check_containers_free(touches.container_names)

        argv_legacy = self.options.driver_argv or driver_command(legacy_driver, plan.driver.kind, self.options.target_rule)
        argv_migrated = self.options.driver_argv or driver_command(migrated_driver, plan.driver.kind, self.options.target_rule)
        details = {"migration": summary, "notes": notes, "final_image": touches.final_image}

        guard = TagGuard(self.engine, touches.tags, secrets.token_hex(4))
        try:
            guard.hold()
            guard.clear(self.cleanup, None)
            legacy, legacy_left, legacy_snapshot = self._flow(LEGACY, argv_legacy, legacy_driver.parent, legacy_copy.root, guard, touches, details)
            details.update(legacy=legacy, legacy_leftovers=legacy_left)
            guard.clear(self.cleanup, LEGACY)
            migrated, migrated_left, migrated_snapshot = self._flow(
                MIGRATED, argv_migrated, migrated_driver.parent, migrated_copy.root, guard, touches, details
            )
        except EngineError as error:
            raise VerifyStop(ERROR, str(error), **details) from None
        finally:
            guard.restore(self.cleanup, self.last_flow)
            self._report_kept_images()

        self.progress("comparing the final images")
        differences = compare(legacy_snapshot, migrated_snapshot)
        paths = {entry.path for entry in legacy_snapshot.files} | {entry.path for entry in migrated_snapshot.files}
        return Verification(
            self.driver,
            DIFFERENT if differences else EQUIVALENT,
            f"{len(differences)} difference{'s' if len(differences) != 1 else ''}" if differences else "the final images are the same",
            migration=summary,
            notes=notes,
            final_image=touches.final_image,
            legacy=legacy,
            migrated=migrated,
            legacy_leftovers=legacy_left,
            migrated_leftovers=migrated_left,
            differences=differences,
            compared_paths=len(paths),
            cleanup=tuple(self.cleanup),
            kept_images=self._kept(),
            legacy_snapshot=legacy_snapshot,
            migrated_snapshot=migrated_snapshot,
        )

    def _flow(self, label: str, argv, cwd: Path, root: Path, guard: TagGuard, touches: DriverTouches, details: dict):
        self.progress(f"running the {label} flow: {shlex.join(argv)}")
        self.last_flow = label
        files_before = tree_state(root)
        containers_before = _container_ids(self.engine)
        started = time.perf_counter()
        try:
            done = subprocess.run(
                argv, cwd=cwd, env=flow_environment(self.environ, cwd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                timeout=self.options.flow_timeout,
            )  # fmt: skip
            returncode, output = done.returncode, done.stdout.decode("utf-8", "replace")
        except subprocess.TimeoutExpired as expired:
            returncode, output = -1, (expired.stdout or b"").decode("utf-8", "replace")
            output += f"\n(stopped after {self.options.flow_timeout:g} s)"
        except OSError as error:
            raise VerifyStop(ERROR, f"cannot run the {label} flow `{shlex.join(argv)}`: {error.strerror}", **details) from None
        seconds = time.perf_counter() - started
        built = guard.present()
        run = FlowRun(label, tuple(argv), seconds, returncode, output, built.get(touches.final_image))
        containers = _new_containers(self.engine, containers_before, built.values(), touches.container_names)
        for container in containers:
            removed = self.engine.run(["rm", "--force", "--volumes", container.container_id], check=False).returncode == 0
            verb = "removed" if removed else "could not remove"
            self.cleanup.append(f"{verb} container {container.name} ({container.state}), which the {label} flow left")
        if run.image_id is not None and self.options.keep_images:
            ref = self._kept_ref(touches, label)
            self.engine.run(["tag", run.image_id, ref])
            self.kept[label] = (ref, run.image_id)
        if returncode != 0:
            raise VerifyStop(
                ERROR,
                f"the {label} flow `{run.command}` failed with exit status {returncode}; its output ends with:\n{run.output_tail()}",
                **{**details, label: run},
            )
        if run.image_id is None:
            raise VerifyStop(ERROR, f"the {label} flow ran but did not tag {touches.final_image}", **{**details, label: run})
        images = tuple(LeftImage(tag, image_id, _image_size(self.engine, image_id)) for tag, image_id in built.items() if tag != touches.final_image)
        leftovers = Leftovers(images, containers, host_leftovers(files_before, tree_state(root)))
        self.progress(f"snapshotting the {label} image")
        snapshot = snapshot_image(run.image_id, self.engine)
        return run, leftovers, snapshot

    def _kept_ref(self, touches: DriverTouches, label: str) -> str:
        repository = touches.final_image.rsplit("@", 1)[0].rsplit(":", 1)[0].rsplit("/", 1)[-1]
        name = re.sub(r"[^a-z0-9._-]+", "-", repository.lower()).strip("._-") or "image"
        return f"{VERIFY_REPOSITORY}/{name}:{label}"

    def _report_kept_images(self) -> None:
        for label, (ref, image_id) in self.kept.items():
            self.cleanup.append(f"kept the {label} image as {ref} ({_short(image_id)})")

    def _check_containers_free(self, names: Sequence[str]) -> None:
        for name in names:
            done = self.engine.run(["container", "inspect", "--format", "{{.Name}}", name], check=False)
            if done.returncode == 0:
                raise VerifyStop(
                    ERROR,
                    f"a container named {name} exists, and the legacy flow creates or removes one by that name; "
                    "remove or rename it, then verify again",
                )

    def _check_no_working_tree_paths(self, legacy_driver: Path, copy: ProjectCopy) -> None:
        """A driver that names the working tree by its absolute path would build or write there."""
        root = str(copy.original_root)
        for number, line in enumerate(legacy_driver.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if re.search(re.escape(root) + r"(?![\w.-])", line):
                raise VerifyStop(
                    ERROR,
                    f"the driver names {root} itself; --verify runs drivers only in temporary copies",
                    Location(self.driver, number),
                )


def flow_environment(environ: Mapping[str, str], cwd: Path) -> dict[str, str]:
    """The environment a flow runs in: the user's, but with ``PWD`` in the copy.

    A shell sets ``PWD`` itself, but make's ``$(PWD)`` and Python's
    ``os.environ["PWD"]`` take it as it comes: the directory dmigrate was
    started in, which may be the working tree itself.
    """
    env = dict(environ)
    env.setdefault("DOCKER_BUILDKIT", "1")
    env["PWD"] = str(cwd)
    env.pop("OLDPWD", None)
    return env


def migrate_copy(driver: Path, options: VerifyOptions, copy: ProjectCopy):
    """dmigrate's own migration, written into the migrated copy."""
    from migrate.migration import Options, migrate_driver

    return migrate_driver(
        driver, Options(write=True, allow_dirty=not copy.in_git, keep_legacy=options.keep_legacy, target_rule=options.target_rule)
    )


def _read_driver_quietly(driver: Path, target_rule: str | None):
    from migrate.errors import MigrationStop
    from migrate.read.project import read_driver

    try:
        return read_driver(driver, target_rule)
    except MigrationStop:
        return None


def _translate(text: str, copy: ProjectCopy) -> str:
    """Name the user's paths where a message names the temporary copy."""
    from migrate.change import display_path

    cwd = Path(os.getcwd())
    shown_copy = display_path(copy.root, cwd)
    shown_original = display_path(copy.original_root, cwd)
    if shown_copy != str(copy.root):
        text = text.replace(shown_copy + "/", "" if shown_original == "." else shown_original + "/")
    return text.replace(str(copy.root), str(copy.original_root))


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]
