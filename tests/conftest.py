"""Shared test setup: the ``docker`` marker and the fixtures for the real engine.

A test marked ``docker`` is skipped, with the reason, when no engine answers;
under ``CI=true`` that is a failure instead, so CI cannot pass by skipping.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from engine import flows, images
from migrate.verify.engine import Engine, EngineError
from migrate.verify.snapshot import ImageSnapshot


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


@functools.cache
def _engine_status() -> tuple[Engine | None, str]:
    try:
        engine = Engine.from_environment()
        engine.ping()
    except EngineError as error:
        return None, str(error)
    return engine, ""


def _require_engine() -> Engine:
    engine, reason = _engine_status()
    if engine is not None:
        return engine
    if _in_ci():
        pytest.fail(f"CI=true and no Docker engine: {reason}", pytrace=False)
    pytest.skip(f"no Docker engine: {reason}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("docker") is not None:
        _require_engine()


@pytest.fixture(scope="session")
def docker_engine() -> Engine:
    """The engine the tests use (``DMIGRATE_DOCKER`` or Debian's client), known to answer."""
    return _require_engine()


@pytest.fixture(scope="session")
def stub_images(docker_engine: Engine) -> tuple[str, ...]:
    """Every stub base image, built once per session when its recipe changed; their refs."""
    images.ensure_stub_images(docker_engine.client)
    return tuple(image.ref for image in images.STUB_IMAGES)


@pytest.fixture
def docker_env(docker_engine: Engine, stub_images: tuple[str, ...]) -> dict[str, str]:
    """Environment for running a flow: the test ``docker`` wrapper first on PATH, BuildKit on, no build cache."""
    return flows.docker_test_env(real_docker=docker_engine.client)


class LegacySnapshots:
    """Each project's legacy final image, built and snapshotted at most once per session.

    Tests that compare something against a project's legacy image share it
    here instead of running the legacy flow again.
    """

    def __init__(self, engine: Engine, scratch: Path) -> None:
        self.engine = engine
        self.scratch = scratch
        self.found: dict[Path, ImageSnapshot] = {}

    def put(self, project_dir: Path, snapshot: ImageSnapshot) -> None:
        self.found[Path(project_dir).resolve()] = snapshot

    def get(self, project_dir: Path) -> ImageSnapshot:
        key = Path(project_dir).resolve()
        if key not in self.found:
            project = flows.load_project(key)
            copy = flows.committed_copy(key, self.scratch / f"{key.name}-{len(self.found)}")
            flows.remove_test_containers(self.engine)
            env = flows.docker_test_env(real_docker=self.engine.client)
            self.found[key] = flows.build_and_snapshot(copy, env, self.engine, driver=project.driver, image=project.final_image)
        return self.found[key]


@pytest.fixture(scope="session")
def legacy_snapshots(docker_engine: Engine, stub_images: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory) -> LegacySnapshots:
    """Legacy final images by project directory, shared by every test of the session."""
    return LegacySnapshots(docker_engine, tmp_path_factory.mktemp("legacy-flows"))
