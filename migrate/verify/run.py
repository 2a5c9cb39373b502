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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from migrate.errors import Location
from migrate.verify.compare import compare
from migrate.verify.engine import Engine, EngineError
from migrate.verify.leftovers import LeftImage, Leftovers, container_ids, host_leftovers, image_size, new_containers, tree_state
from migrate.verify.project_copy import ProjectCopy, copy_project, translate
from migrate.verify.result import (
    DIFFERENT,
    EQUIVALENT,
    ERROR,
    LEGACY,
    MIGRATED,
    NOTHING,
    REFUSED,
    FlowRun,
    Verification,
    VerifyStop,
    exit_code,
)
from migrate.verify.snapshot import snapshot_image
from migrate.verify.tag_guard import VERIFY_REPOSITORY, TagGuard, short_id
from migrate.verify.touches import DriverTouches, driver_command, driver_touches, normalize_ref

__all__ = [
    "DIFFERENT", "EQUIVALENT", "ERROR", "NOTHING", "REFUSED", "FlowRun", "Verification", "VerifyOptions",
    "exit_code", "normalize_ref", "tree_state", "verify_driver", "verify_paths",
]  # fmt: skip

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
            raise VerifyStop(status, translate(outcome.message, migrated_copy), location)
        plan = outcome.plan
        from migrate.change import describe_changes

        summary = describe_changes(outcome.changes, migrated_copy.root)
        notes = tuple(translate(text, migrated_copy) for text in (*plan.warnings, *plan.decisions))
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
        containers_before = container_ids(self.engine)
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
        containers = new_containers(self.engine, containers_before, built.values(), touches.container_names)
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
        images = tuple(LeftImage(tag, image_id, image_size(self.engine, image_id)) for tag, image_id in built.items() if tag != touches.final_image)
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
            self.cleanup.append(f"kept the {label} image as {ref} ({short_id(image_id)})")

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


