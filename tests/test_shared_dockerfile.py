"""Drivers that share a file: nothing is written for any of them, in every mode, and each driver's image stays the same.

Two drivers (an amd64 and an armhf builder) each extract their binary and
build the same runtime Dockerfile.  Migrating either one would make that
Dockerfile build the first one's binary for both, so each is refused, naming
the other driver and the file, whether the run plans both (``dmigrate .``) or
is given only one of them: the other is found among the project's files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import make_project, migrate

BUILD = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN mkdir -p /out && go build {flags}-o /out/app .\n"
RUNTIME = "FROM debian:bookworm-slim\nCOPY app /usr/local/bin/app\nENTRYPOINT [\"/usr/local/bin/app\"]\n"


def driver(variant: str, runtime: str = "") -> str:
    """A driver that builds its binary with ``Dockerfile.build.<variant>`` and the runtime Dockerfile (``runtime``, or the default)."""
    return (
        "#!/bin/sh\nset -e\n"
        f"docker build -t dmt-shared:build-{variant} -f Dockerfile.build.{variant} .\n"
        f"docker create --name dmt-shared-{variant} dmt-shared:build-{variant}\n"
        f"docker cp dmt-shared-{variant}:/out/app app\n"
        f"docker rm dmt-shared-{variant}\n"
        f"docker build -t dmt-shared:{variant}{' -f ' + runtime if runtime else ''} .\n"
    )


def shared_files() -> dict[str, str]:
    return {
        "build.sh": driver("amd64"),
        "build.armhf.sh": driver("armhf"),
        "Dockerfile.build.amd64": BUILD.format(flags=""),
        "Dockerfile.build.armhf": BUILD.format(flags="-trimpath "),
        "Dockerfile": RUNTIME,
        "go.mod": "module example.com/app\n\ngo 1.22\n",
        "main.go": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("app") }\n',
    }


def tree(root: Path) -> dict[str, bytes]:
    """Every file of the work tree, and git's index and HEAD: a refusal changes none of them."""
    files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}
    files[".git/index"] = (root / ".git" / "index").read_bytes()
    files[".git/HEAD"] = (root / ".git" / "HEAD").read_bytes()
    return files


def dmigrate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}
    )


MODES = {
    "write": [],
    "dry-run": ["--dry-run"],
    "check": ["--check"],
    "explain": ["--explain"],
    "explain json": ["--explain", "--format", "json"],
    "json": ["--format", "json"],
    "sarif": ["--format", "sarif"],
    "dry-run json": ["--dry-run", "--format", "json"],
}


def refusals(mode: str, result: subprocess.CompletedProcess) -> list[str]:
    """Each refusal as ``file:line: message``, however the mode reports it; an error if anything else is reported."""
    if mode == "explain json":
        items = json.loads(result.stdout)["projects"]
        assert {item["result"] for item in items} == {"refused"}, items
        return [item["refusal"] for item in items]
    if mode in ("json", "dry-run json"):
        entries = json.loads(result.stdout)["projects"]
        assert {entry["status"] for entry in entries} == {"refused"}, entries
        return [f"{entry['location']}: {entry['message']}" for entry in entries]
    if mode == "sarif":
        (run,) = json.loads(result.stdout)["runs"]
        assert run["results"] == [], "no migration is offered as a fix"
        found = []
        for note in run["invocations"][0]["toolExecutionNotifications"]:
            where = note["locations"][0]["physicalLocation"]
            assert note["message"]["text"].startswith("refused: ")
            found.append(f"{where['artifactLocation']['uri']}:{where['region']['startLine']}: {note['message']['text'][9:]}")
        return found
    text = result.stdout if mode == "explain" else result.stderr
    assert "would migrate" not in text and "result: one multi-stage Dockerfile" not in text, text
    return [line.split("refused: ", 1)[1] if mode == "explain" else line.replace(": refused", "", 1) for line in text.splitlines() if "refused: " in line]


@pytest.fixture
def shared(tmp_path) -> Path:
    return make_project(tmp_path / "shared", shared_files())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("named", [".", "build.sh", "build.armhf.sh"])
def test_drivers_that_build_one_runtime_dockerfile_are_each_refused_in_every_mode(shared, mode, named):
    before = tree(shared)
    result = dmigrate(*MODES[mode], named, cwd=shared)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert tree(shared) == before, "a refusal changes nothing"
    found = refusals(mode, result)
    migrated = ["build.sh", "build.armhf.sh"] if named == "." else [named]
    assert len(found) == len(migrated), found
    for driver_name in migrated:
        other = "build.armhf.sh" if driver_name == "build.sh" else "build.sh"
        # Each refusal stands at the other driver's line that builds the Dockerfile, and names the driver being migrated.
        (message,) = [text for text in found if f"which migrating {driver_name} rewrites" in text]
        assert message.startswith(f"{other}:7: this line builds (or names) Dockerfile"), message


def test_the_library_entry_refuses_too_and_writes_nothing(shared):
    from migrate.migration import Options, migrate_driver

    before = tree(shared)
    outcome = migrate_driver(shared / "build.sh", Options(write=True))
    assert (outcome.status, outcome.location.file.name, outcome.location.line) == ("refused", "build.armhf.sh", 7)
    assert tree(shared) == before


@pytest.mark.parametrize(
    "name, text, line",
    [
        ("docker-compose.yml", "services:\n  app:\n    build: .\n    image: dmt-shared:compose\n", 3),
        ("compose.yaml", "services:\n  app:\n    build:\n      context: .\n      dockerfile: Dockerfile\n", 5),
        ("Makefile", "image:\n\tdocker build -t dmt-shared:make .\n", 2),
        (".github/workflows/ci.yml", "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v5\n        with:\n          context: .\n", 6),
        ("release.sh", '#!/bin/sh\nDIR=.\ndocker build -t dmt-shared:release "$DIR"\n', 3),
        ("docker-bake.hcl", 'target "app" {\n  context = "."\n}\n', 2),
        ("release.py", 'import subprocess\nsubprocess.run(["docker", "build", "-t", "x", "."], check=True)\n', 2),
    ],
    ids=["compose build", "compose dockerfile", "Makefile rule", "CI workflow", "a variable context", "bake", "Python"],
)
def test_another_file_that_builds_the_runtime_dockerfile_is_found_when_one_driver_is_named(tmp_path, name, text, line):
    files = {k: v for k, v in shared_files().items() if k != "build.armhf.sh"}
    root = make_project(tmp_path / "p", {**files, name: text})
    before = tree(root)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "refused", outcome.message
    assert (outcome.location.file.resolve(), outcome.location.line) == ((root / name).resolve(), line)
    assert "which migrating build.sh rewrites" in outcome.message
    assert tree(root) == before


@pytest.mark.parametrize(
    "name, text",
    [
        ("build.armhf.sh", driver("armhf", runtime="Dockerfile.armhf")),
        ("compose.yaml", "services:\n  app:\n    build:\n      context: .\n      dockerfile: Dockerfile.dev\n"),
        (".pre-commit-hooks.yaml", "# fails while a build can be one multi-stage Dockerfile\n- id: x\n  entry: dmigrate --check\n"),
        ("sub.sh", "#!/bin/sh\ndocker build -t other sub\n"),
        (".github/workflows/ci.yml", "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v5\n        with:\n          context: .\n          file: Dockerfile.dev\n"),
    ],
    ids=["its own runtime Dockerfile", "compose with another Dockerfile", "prose", "another context", "CI with another file"],
)
def test_files_that_build_something_else_do_not_stop_the_migration(tmp_path, name, text):
    files = {k: v for k, v in shared_files().items() if k != "build.armhf.sh"}
    extra = {"Dockerfile.armhf": RUNTIME, "Dockerfile.dev": RUNTIME, "sub/Dockerfile": RUNTIME}
    root = make_project(tmp_path / "p", {**files, **extra, name: text})
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message


def test_two_plans_that_change_one_file_refuse_both_whatever_the_order(tmp_path):
    # Neither driver names or builds the other's Dockerfile from where it lies, but both migrations delete one shared build Dockerfile.
    files = {
        "a/build.sh": driver("amd64").replace("Dockerfile.build.amd64", "../common/Dockerfile.build"),
        "b/build.sh": driver("armhf").replace("Dockerfile.build.armhf", "../common/Dockerfile.build"),
        "common/Dockerfile.build": BUILD.format(flags=""),
        "a/Dockerfile": RUNTIME,
        "b/Dockerfile": RUNTIME,
    }
    root = make_project(tmp_path / "p", files)
    before = tree(root)
    for mode in ("dry-run json", "json"):
        result = dmigrate(*MODES[mode], ".", cwd=root)
        assert result.returncode == 2
        entries = {entry["driver"]: entry for entry in json.loads(result.stdout)["projects"]}
        for name, other in (("a/build.sh", "b/build.sh"), ("b/build.sh", "a/build.sh")):
            assert entries[name]["status"] == "refused", entries[name]
            assert entries[name]["location"] == "common/Dockerfile.build"
            assert f"the migration of {other} changes common/Dockerfile.build too" in entries[name]["message"]
        assert tree(root) == before
    explained = dmigrate("--explain", "--format", "json", ".", cwd=root)
    assert explained.returncode == 2
    assert [item["result"] for item in json.loads(explained.stdout)["projects"]] == ["refused", "refused"]


# --- the images stay the same where dmigrate migrates ------------------------------------------


@pytest.mark.docker
def test_drivers_with_their_own_runtime_dockerfiles_are_both_migrated_and_each_image_stays_the_same(docker_engine, docker_env, tmp_path):
    """Two drivers in one directory that share only sources and build images: ``dmigrate .`` migrates both, and each image is the legacy one."""
    from engine import flows
    from migrate.verify.compare import compare, render
    from migrate.verify.snapshot import snapshot_image

    files = {**shared_files(), "build.armhf.sh": driver("armhf", runtime="Dockerfile.armhf"), "Dockerfile.armhf": RUNTIME}
    source = make_project(tmp_path / "source", files, commit=False)
    legacy = flows.committed_copy(source, tmp_path / "legacy")
    migrated = flows.committed_copy(source, tmp_path / "migrated")

    legacy_images = {}
    for variant, script in (("amd64", "build.sh"), ("armhf", "build.armhf.sh")):
        flows.remove_test_containers(docker_engine)
        flows.run_driver(legacy, ("sh", script), docker_env)
        legacy_images[variant] = snapshot_image(f"dmt-shared:{variant}", docker_engine)
        docker_engine.remove_images([f"dmt-shared:{variant}", f"dmt-shared:build-{variant}"])

    result = dmigrate(".", cwd=migrated)
    assert result.returncode == 0, result.stderr
    assert "migrated build.sh" in result.stderr and "migrated build.armhf.sh" in result.stderr
    assert not (migrated / "Dockerfile.build.amd64").exists() and not (migrated / "Dockerfile.build.armhf").exists()
    assert "COPY --from=" in (migrated / "Dockerfile").read_text() and "COPY --from=" in (migrated / "Dockerfile.armhf").read_text()
    for variant, script in (("amd64", "build.sh"), ("armhf", "build.armhf.sh")):
        flows.remove_test_containers(docker_engine)
        flows.run_driver(migrated, ("sh", script), docker_env)
        found = compare(legacy_images[variant], snapshot_image(f"dmt-shared:{variant}", docker_engine))
        docker_engine.remove_images([f"dmt-shared:{variant}"])
        assert found == (), f"{script}: {render(found)}"
    assert legacy_images["amd64"] != legacy_images["armhf"], "the two variants' binaries differ, so the comparison tells them apart"
