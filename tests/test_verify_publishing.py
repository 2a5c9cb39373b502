"""``--verify`` on drivers that publish, on a real engine: what publishes is intercepted and reported, never run.

The test engine reaches no registry, so a push, a login or a ``--pull``
that did run would fail the flow (every driver here runs under ``set -e``):
a flow that succeeds shows that none of them ran.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support import make_project

BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = 'FROM alpine:3.19\nCOPY app /usr/local/bin/app\nCMD ["app"]\n'
GO_FILES = {"go.mod": "module example.com/app\n", "main.go": "package main\n\nfunc main() {}\n"}
NAME = "dmt-verify-pub"
HEAD = (
    "#!/bin/sh\n"
    "set -e\n"
    f"docker build --pull -t {NAME}:build -f Dockerfile.build .\n"
    f"docker create --name {NAME}-extract {NAME}:build\n"
    f"docker cp {NAME}-extract:/out/app app\n"
    f"docker rm {NAME}-extract\n"
)
PUBLISHING = (
    "docker login -u ci -p s3cret localhost:5999\n"
    + HEAD
    + f"docker build --push --output type=registry,name=localhost:5999/{NAME}:0 -t {NAME}:latest .\n"
    f"docker push {NAME}:latest\n"
    f"docker tag {NAME}:latest localhost:5999/{NAME}:1\n"
    f"docker image push localhost:5999/{NAME}:1\n"
    "docker buildx bake --push\n"
    f"docker manifest create localhost:5999/{NAME}:list localhost:5999/{NAME}:1\n"
    f"docker manifest push localhost:5999/{NAME}:list\n"
    f"docker buildx imagetools create -t localhost:5999/{NAME}:2 localhost:5999/{NAME}:1\n"
    "docker compose push\n"
    f"docker trust sign localhost:5999/{NAME}:1\n"
    "docker logout localhost:5999\n"
)


def project(root: Path, driver: str) -> Path:
    return make_project(root, {"build.sh": driver, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **GO_FILES})


def dmigrate(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env={**env, "NO_COLOR": "1"})


def image_id(engine, ref: str) -> str | None:
    done = engine.run(["image", "inspect", "--format", "{{.Id}}", ref], check=False)
    return done.stdout.decode().strip() if done.returncode == 0 else None


def held_images(engine) -> list[str]:
    return [line for line in engine.output(["images", "--format", "{{.Repository}}:{{.Tag}}"]).splitlines() if line.startswith("dmigrate-verify/held")]


@pytest.mark.docker
def test_a_driver_that_publishes_is_verified_with_every_publishing_command_intercepted(docker_engine, docker_env, tmp_path):
    root = project(tmp_path / "project", PUBLISHING)
    done = dmigrate("--verify", "--format", "json", ".", cwd=root, env=docker_env)
    report = json.loads(done.stdout)["verifications"][0]
    assert done.returncode == 0, done.stderr + json.dumps(report, indent=1)
    assert report["status"] == "equivalent"
    legacy = {" ".join(entry["command"]): entry for entry in report["legacy"]["intercepted"]}
    not_run = [
        "docker login -u ci -p *** localhost:5999",
        f"docker push {NAME}:latest",
        f"docker image push localhost:5999/{NAME}:1",
        "docker buildx bake --push",
        f"docker manifest create localhost:5999/{NAME}:list localhost:5999/{NAME}:1",
        f"docker manifest push localhost:5999/{NAME}:list",
        f"docker buildx imagetools create -t localhost:5999/{NAME}:2 localhost:5999/{NAME}:1",
        "docker compose push",
        f"docker trust sign localhost:5999/{NAME}:1",
        "docker logout localhost:5999",
    ]
    for command in not_run:
        assert legacy[command]["action"] == "intercepted" and legacy[command]["ran"] is None, command
    pulled = legacy[f"docker build --pull -t {NAME}:build -f Dockerfile.build ."]
    assert (pulled["action"], pulled["ran"]) == ("changed", ["docker", "build", "-t", f"{NAME}:build", "-f", "Dockerfile.build", "."])
    pushed = legacy[f"docker build --push --output type=registry,name=localhost:5999/{NAME}:0 -t {NAME}:latest ."]
    assert (pushed["action"], pushed["ran"]) == ("changed", ["docker", "build", "-t", f"{NAME}:latest", "."])
    assert "--push publishes the image" in pushed["reason"]
    assert len(legacy) == len(not_run) + 2
    assert "s3cret" not in done.stdout + done.stderr
    assert {" ".join(entry["command"]) for entry in report["migrated"]["intercepted"]} >= set(not_run)
    assert held_images(docker_engine) == []
    assert image_id(docker_engine, f"localhost:5999/{NAME}:1") is None, "the tag the flows made is removed"


@pytest.mark.docker
def test_the_text_report_lists_what_was_intercepted(docker_engine, docker_env, tmp_path):
    root = project(tmp_path / "project", HEAD + f"docker build -t {NAME}:latest .\ndocker push {NAME}:latest\n")
    done = dmigrate("--verify", ".", cwd=root, env=docker_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "both flows' docker commands that --verify did not run as written:" not in done.stdout, "the --pull build is gone from the migrated flow"
    assert "the legacy flow's docker commands that --verify did not run as written:" in done.stdout
    assert f"  - not run: docker push {NAME}:latest: `docker push` publishes an image" in done.stdout
    assert f"  - changed: docker build --pull -t {NAME}:build -f Dockerfile.build .: ran `docker build -t {NAME}:build -f Dockerfile.build .`" in done.stdout
    migrated = done.stdout.split("the migrated flow's docker commands that --verify did not run as written:")[1]
    assert f"not run: docker push {NAME}:latest" in migrated


@pytest.mark.docker
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/usr/bin/docker push {name}:latest", "reached the Docker engine without the `docker` on PATH (POST /v"),
        ("docker -H \"$DOCKER_HOST\" push {name}:latest", "-H"),
        ("DOCKER_HOST=unix:///var/run/docker.sock docker images", "the driver sets DOCKER_HOST=unix:///var/run/docker.sock"),
        ("docker context use default", "changes your docker contexts"),
    ],
    ids=["absolute-path", "-H", "DOCKER_HOST", "context-use"],
)
def test_a_driver_that_reaches_docker_another_way_is_refused(docker_engine, docker_env, tmp_path, line, message):
    users_image = image_id(docker_engine, "busybox:latest")
    docker_engine.run(["tag", users_image, f"{NAME}:latest"])
    root = project(tmp_path / "project", HEAD + f"docker build -t {NAME}:latest .\n" + line.format(name=NAME) + "\n")
    try:
        done = dmigrate("--verify", ".", cwd=root, env=docker_env)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "the legacy flow" in done.stderr and "refused" in done.stderr
        assert message.format(name=NAME) in done.stderr, done.stderr
        if line.startswith("/usr/bin/docker"):
            assert f"/images/{NAME}/push), which --verify refused: it publishes an image" in done.stderr
        assert image_id(docker_engine, f"{NAME}:latest") == users_image, "the user's tag is restored"
        assert image_id(docker_engine, f"{NAME}:build") is None
        assert held_images(docker_engine) == []
    finally:
        docker_engine.run(["image", "rm", f"{NAME}:latest"], check=False)


@pytest.mark.docker
def test_a_driver_on_the_docker_sdk_reaches_the_engine_through_the_gate(docker_engine, docker_env, tmp_path):
    pytest.importorskip("docker")
    driver = (
        "import docker\n"
        "client = docker.from_env()\n"
        f"client.images.build(path='.', dockerfile='Dockerfile.build', tag='{NAME}:build', network_mode='none', rm=True)\n"
        f"container = client.containers.create('{NAME}:build', network_disabled=True)\n"
        "import io, tarfile\n"
        "stream, _ = container.get_archive('/out/app')\n"
        "tarfile.open(fileobj=io.BytesIO(b''.join(stream))).extractall('.')\n"
        "container.remove()\n"
        f"client.images.build(path='.', tag='{NAME}:latest', network_mode='none', rm=True)\n"
    )
    root = make_project(tmp_path / "project", {"build.py": driver, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **GO_FILES})
    done = dmigrate("--verify", "--format", "json", ".", cwd=root, env=docker_env)
    report = json.loads(done.stdout)["verifications"][0]
    assert done.returncode == 0, done.stderr + json.dumps(report, indent=1)
    assert report["legacy"]["direct_engine_requests"] > 0 and report["legacy"]["intercepted"] == []
