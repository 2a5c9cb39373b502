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

Each flow runs in a process group of its own, with the interceptor
(:mod:`migrate.verify.interceptor`) as the ``docker`` first on PATH and the
engine gate (:mod:`migrate.verify.engine_gate`) as its ``DOCKER_HOST``, so
that nothing it does publishes, logs in or reaches a registry.  SIGINT,
SIGTERM and SIGHUP stop the flow's whole group, put the tags back, remove
the copies, and exit 128 plus the signal (:mod:`migrate.verify.interrupts`).

Running the user's driver is what ``--verify`` is for, and only it does so.
Expected failures come back as a :class:`Verification` with a status; this
module never prints (progress goes to the ``progress`` callback).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from migrate.errors import Location
from migrate.verify.compare import compare
from migrate.verify.engine import Engine, EngineError
from migrate.verify.engine_gate import EngineGate, engine_socket
from migrate.verify.flow import FlowRunner
from migrate.verify.interrupts import Interrupted, interruptible, shielded
from migrate.verify.leftovers import tree_state
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
from migrate.verify.tag_guard import TagGuard, short_id
from migrate.verify.touches import driver_command, driver_touches, normalize_ref

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
    from migrate.discover.search import NO_DRIVER, find_drivers

    environ = dict(os.environ if environ is None else environ)
    try:
        engine = Engine.from_environment(environ)
        version = engine.ping()
    except EngineError as error:
        return [Verification(Path(path), ERROR, str(error)) for path in paths]
    found: list[Verification] = []
    with interruptible():
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
    progress = progress or (lambda message: None)
    try:
        with interruptible():
            verifier = _Verifier(driver, options, engine, environ, scratch, progress)
            result = verifier.run()
            return replace(result, engine=engine.describe(), engine_version=version)
    except Interrupted as interrupted:
        shutil.rmtree(scratch, ignore_errors=True)
        progress(f"removed the temporary copy {scratch}")
        progress(f"stopped by {interrupted.name}")
        raise
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

    def run(self) -> Verification:
        try:
            return self._run()
        except VerifyStop as stop:
            return Verification(
                self.driver, stop.status, stop.message, stop.location, cleanup=tuple(self.cleanup), kept_images=self._kept(), **stop.details
            )
        except (Interrupted, KeyboardInterrupt):
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
        with self._gate() as gate:
            runner = FlowRunner(
                self.engine, self.environ, self.scratch, gate, guard, touches,
                timeout=self.options.flow_timeout, keep_images=self.options.keep_images, progress=self.progress, cleanup=self.cleanup,
            )  # fmt: skip
            self.kept = runner.kept
            try:
                with shielded():
                    guard.hold()
                    guard.clear(self.cleanup, None)
                legacy, legacy_left, legacy_snapshot = runner.run(LEGACY, argv_legacy, legacy_driver.parent, legacy_copy.root, details)
                details.update(legacy=legacy, legacy_leftovers=legacy_left)
                with shielded():
                    guard.clear(self.cleanup, LEGACY)
                migrated, migrated_left, migrated_snapshot = runner.run(MIGRATED, argv_migrated, migrated_driver.parent, migrated_copy.root, details)
            except EngineError as error:
                raise VerifyStop(ERROR, str(error), **details) from None
            finally:
                with shielded():
                    guard.restore(self.cleanup, runner.last_flow)
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

    def _gate(self) -> EngineGate:
        """The engine address of both flows, for what reaches the engine without the interceptor."""
        upstream, reason = engine_socket(self.engine)
        return EngineGate(self.scratch / "engine.sock", upstream, reason)

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


