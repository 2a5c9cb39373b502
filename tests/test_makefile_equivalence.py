"""A migrated Makefile keeps working the ways people call it, and builds the legacy image (real Docker).

test_equivalence.py runs each project's declared command (``make``); here the
old targets are called by name, a command-line override is passed, and the
emptied rules are still made.
"""

from __future__ import annotations

import pytest

from engine import flows
from migrate.discover import drivers_in
from migrate.migration import MIGRATED, Options, migrate_driver
from migrate.verify.compare import compare, render
from migrate.verify.snapshot import snapshot_image

PROJECT = flows.PROJECTS_DIR / "make-prereqs"
OVERRIDE = "dmt-make-prereqs-override"


@pytest.mark.docker
def test_old_targets_and_overrides_still_build_the_legacy_image(docker_engine, docker_env, tmp_path):
    described = flows.load_project(PROJECT)
    flows.remove_test_containers(docker_engine)
    legacy = flows.build_and_snapshot(flows.committed_copy(PROJECT, tmp_path / "legacy"), docker_env, docker_engine, driver=described.driver, image=described.final_image)
    assert not flows.expectation_problems(described, legacy, docker_engine)
    docker_engine.remove_images([described.final_image, *described.build_images])

    migrated = flows.committed_copy(PROJECT, tmp_path / "migrated")
    [driver] = drivers_in(migrated)
    outcome = migrate_driver(driver, Options(write=True))
    assert outcome.status == MIGRATED, f"{outcome.location}: {outcome.message}"
    try:
        flows.run_driver(migrated, ["make", "image"], docker_env)
        differences = compare(legacy, snapshot_image(described.final_image, docker_engine))
        assert differences == (), render(differences)
        assert not any(docker_engine.image_exists(ref) for ref in described.build_images), "the build image is no longer made"

        # The rules that extracted the artifact are still there to be made, and do nothing.
        made = flows.run_driver(migrated, ["make", "greeter", "build.stamp"], docker_env)
        assert "docker" not in made.output
        assert not (migrated / "greeter").exists()

        flows.run_driver(migrated, ["make", f"IMAGE={OVERRIDE}"], docker_env)
        overridden = snapshot_image(f"{OVERRIDE}:latest", docker_engine)
        assert compare(legacy, overridden) == ()

        flows.run_driver(migrated, ["make", "clean"], docker_env)
        assert not (migrated / "build.stamp").exists()
    finally:
        docker_engine.remove_images([described.final_image, f"{OVERRIDE}:latest"])


@pytest.mark.docker
def test_a_builder_rule_other_rules_use_builds_the_stage(docker_engine, docker_env, tmp_path):
    project = flows.PROJECTS_DIR / "make-builder-target"
    described = flows.load_project(project)
    flows.remove_test_containers(docker_engine)
    legacy = flows.build_and_snapshot(flows.committed_copy(project, tmp_path / "legacy"), docker_env, docker_engine, driver=described.driver, image=described.final_image)
    legacy_check = printed(flows.run_driver(tmp_path / "legacy", ["make", "-s", "check"], docker_env).output)
    assert any("NODE_ENV=production" in line for line in legacy_check), legacy_check
    docker_engine.remove_images([described.final_image, *described.build_images])

    migrated = flows.committed_copy(project, tmp_path / "migrated")
    outcome = migrate_driver(migrated / "Makefile", Options(write=True))
    assert outcome.status == MIGRATED, f"{outcome.location}: {outcome.message}"
    try:
        flows.run_driver(migrated, ["make"], docker_env)
        differences = compare(legacy, snapshot_image(described.final_image, docker_engine))
        assert differences == (), render(differences)
        assert docker_engine.image_exists(described.build_images[0]), "make check still needs the build image"
        assert printed(flows.run_driver(migrated, ["make", "-s", "check"], docker_env).output) == legacy_check
        assert not (migrated / "site").exists()
    finally:
        docker_engine.remove_images([described.final_image, *described.build_images])


def printed(output: str) -> list[str]:
    """What a make run printed itself, without docker build's progress lines."""
    return [line for line in output.splitlines() if not line.startswith("#") and "docker build" not in line and line.strip()]
