"""``--verify`` on real drivers, on a real engine: a flow that fails or makes no final image shows its output,
and the time comparison says, measured, whether the build cache was warm for each flow."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from engine import flows
from migrate.verify.result import ERROR
from migrate.verify.run import VerifyOptions, verify_driver
from support import make_project

NAME = "dmt-verify-real"
BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = 'FROM alpine:3.19\nCOPY app /usr/local/bin/app\nCMD ["app"]\n'
DRIVER = (
    "#!/bin/sh\n"
    "set -e\n"
    "echo building the tool\n"
    f"docker build -t {NAME}:build -f Dockerfile.build .\n"
    f"docker create --name {NAME}-extract {NAME}:build\n"
    f"docker cp {NAME}-extract:/out/app app\n"
    f"docker rm {NAME}-extract\n"
    f"docker build -t {NAME}:latest .\n"
    "echo all done\n"
)


def project(root: Path, **changes: str) -> Path:
    files = {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME, "go.mod": "module example.com/app\n",
             "main.go": "package main\n\nfunc main() {}\n", "token": uuid.uuid4().hex, **changes}  # fmt: skip
    return make_project(root, files)


def dmigrate(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env={**env, "NO_COLOR": "1"})


@pytest.mark.docker
def test_a_failing_flow_shows_its_command_exit_status_and_output_tail(docker_engine, docker_env, tmp_path):
    root = project(tmp_path / "project", **{"Dockerfile.build": BUILD + "RUN echo the compiler broke && exit 3\n"})
    done = dmigrate("--verify", "--format", "json", ".", cwd=root, env=docker_env)
    report = json.loads(done.stdout)["verifications"][0]
    assert done.returncode == 2 and report["status"] == ERROR
    assert report["message"].startswith("the legacy flow `/bin/sh build.sh` failed with exit status 1; its output ends with:\n")
    assert "the compiler broke" in report["message"]
    assert report["legacy"]["exit_status"] == 1
    assert "the compiler broke" in report["legacy"]["output_tail"]
    assert report["migrated"] is None


@pytest.mark.docker
def test_a_flow_that_makes_no_final_image_shows_its_output(docker_engine, docker_env, tmp_path):
    root = project(tmp_path / "project")
    flows.remove_test_containers(docker_engine)
    result = verify_driver(root / "build.sh", VerifyOptions(final_image="dmt-verify-elsewhere:1"), engine=docker_engine, environ=docker_env)
    assert result.status == ERROR
    assert result.message.startswith(
        "the legacy flow `/bin/sh build.sh` exited with status 0 but did not tag dmt-verify-elsewhere:1; its output ends with:\n"
    )
    assert result.message.rstrip().endswith("all done")
    assert result.legacy is not None and result.legacy.failed and result.legacy.returncode == 0
    assert docker_engine.run(["image", "inspect", f"{NAME}:latest"], check=False).returncode != 0, "what the flow built is removed"


@pytest.mark.docker
def test_the_time_comparison_says_whether_the_cache_was_warm(docker_engine, docker_env, tmp_path):
    """The same project three times, with the build cache on: a file no build saw before makes the first legacy
    flow's steps after it run, and the migrated flow's build stage reuses them; the second time the cache serves
    every step."""
    # Only named files: the whole context holds the copy's own .git, new with each verification.
    build = "FROM golang:1.21\nWORKDIR /src\nCOPY go.mod main.go token ./\nRUN go build -o /out/app .\n"
    root = project(tmp_path / "project", **{"Dockerfile.build": build})
    cached_env = {name: value for name, value in docker_env.items() if name != "DMIGRATE_TEST_NO_CACHE"}
    first, second = (json.loads(dmigrate("--verify", "--format", "json", ".", cwd=root, env=cached_env).stdout)["verifications"][0] for _ in range(2))
    assert first["status"] == second["status"] == "equivalent"
    assert first["legacy"]["build_steps"]["cached"] < first["legacy"]["build_steps"]["run"]
    assert first["migrated"]["build_steps"]["cached"] > first["legacy"]["build_steps"]["cached"], "the build stage reuses the legacy build"
    assert second["legacy"]["build_steps"]["cached"] == second["legacy"]["build_steps"]["run"] == first["legacy"]["build_steps"]["run"]
    assert second["migrated"]["build_steps"]["cached"] == second["migrated"]["build_steps"]["run"]
    for report in (first, second):
        records = report["legacy"]["build_cache_records_before"], report["migrated"]["build_cache_records_before"]
        assert all(isinstance(count, int) for count in records) and records[1] >= records[0]

    text = dmigrate("--verify", ".", cwd=root, env=cached_env).stdout
    steps = second["legacy"]["build_steps"]["run"]
    assert f"{steps} of its {steps} build steps came from the cache: warm for this flow" in text
    assert "the migrated flow ran second, after the legacy flow's builds, with " in text
