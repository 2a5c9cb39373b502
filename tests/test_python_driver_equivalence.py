"""`python3 build.py` still builds the legacy image after the migration (real Docker).

The SDK project imports the ``docker`` package; the drivers run with the
tests' own interpreter (see ``flows.docker_test_env``), so it runs wherever
the test extra is installed and is skipped, saying why, where it is not.
"""

from __future__ import annotations

import importlib.util
import subprocess

import pytest

from engine import flows
from migrate.discover import drivers_in
from migrate.migration import MIGRATED, Options, migrate_driver
from migrate.verify.compare import compare, render
from migrate.verify.snapshot import snapshot_image

PROJECTS = sorted(path for path in flows.PROJECTS_DIR.iterdir() if path.name.startswith("python-"))


def missing_modules(project_dir) -> list[str]:
    settings = flows._read_toml(project_dir)
    return [name for name in settings.get("needs_python_modules", ()) if importlib.util.find_spec(name) is None]


@pytest.mark.docker
@pytest.mark.parametrize("project_dir", PROJECTS, ids=lambda path: path.name)
def test_python_driver_builds_the_legacy_image_after_migration(docker_engine, docker_env, tmp_path, project_dir):
    missing = missing_modules(project_dir)
    if missing:
        pytest.skip(f"the driver imports {', '.join(missing)}, which this interpreter lacks (pip install '.[test]')")
    described = flows.load_project(project_dir)
    flows.remove_test_containers(docker_engine)
    legacy = flows.build_and_snapshot(flows.committed_copy(project_dir, tmp_path / "legacy"), docker_env, docker_engine, driver=described.driver, image=described.final_image)
    problems = flows.expectation_problems(described, legacy, docker_engine)
    assert not problems, "\n".join(problems)
    docker_engine.remove_images([described.final_image, *described.build_images])

    migrated = flows.committed_copy(project_dir, tmp_path / "migrated")
    [driver] = drivers_in(migrated)
    outcome = migrate_driver(driver, Options(write=True))
    assert outcome.status == MIGRATED, f"{outcome.location}: {outcome.message}"
    try:
        subprocess.run(["python3", "-m", "py_compile", "build.py"], cwd=migrated, env=docker_env, check=True)
        flows.run_driver(migrated, ["python3", "build.py"], docker_env)
        differences = compare(legacy, snapshot_image(described.final_image, docker_engine))
        assert differences == (), render(differences)
        assert not any(docker_engine.image_exists(ref) for ref in described.build_images)
        leftovers = docker_engine.output(["ps", "--all", "--format", "{{.Names}}"]).split()
        assert not [name for name in leftovers if name.startswith(project_dir.name)], leftovers
    finally:
        docker_engine.remove_images([described.final_image])
