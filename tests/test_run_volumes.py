"""A docker run turned stage that reads a path under a VOLUME needs BuildKit (issue 11, item 3).

The classic builder throws away what a RUN writes under a VOLUME its image
declares; BuildKit keeps it.  The equivalence project ``run-volume`` builds
the BuildKit case both ways; here the rule itself, and on a real engine the
fact it rests on.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from engine import flows
from support import make_project
from migrate.migration import PENDING, Options, migrate_driver

BUILD = 'FROM alpine:3.19\nRUN mkdir /out\nVOLUME /out\nCMD ["sh", "-c", "echo built > /out/app"]\n'
RUNTIME = "FROM alpine:3.19\nCOPY app /app\n"
FLOW = "docker build -t app:build -f Dockerfile.build .\ndocker run --name c app:build\ndocker cp c:/out/app app\ndocker rm c\ndocker build -t app .\n"
CLASSIC = "export DOCKER_BUILDKIT=0\n"


def project(tmp_path, *, classic: bool, build: str = BUILD, flow: str = FLOW, **files: str):
    driver = "#!/bin/sh\n" + (CLASSIC if classic else "") + flow
    return make_project(tmp_path / "project", {"build.sh": driver, "Dockerfile.build": build, "Dockerfile": RUNTIME, **files})


def snapshot(root):
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file() and ".git" not in path.parts}


def assert_refused_at_the_setting(root, *fragments: str) -> None:
    before = snapshot(root)
    outcome = migrate_driver(root / "build.sh", Options(write=True))
    assert outcome.status == "refused", outcome.message
    assert (outcome.location.file.name, outcome.location.line) == ("build.sh", 2)
    assert "`DOCKER_BUILDKIT=0` may make docker build with the classic builder, which discards what a RUN writes under a VOLUME" in outcome.message
    for fragment in fragments:
        assert fragment in outcome.message, outcome.message
    assert snapshot(root) == before


def notes(root) -> tuple[str, ...]:
    outcome = migrate_driver(root / "build.sh", Options(write=False))
    assert outcome.status == PENDING, outcome.message
    return outcome.plan.decisions


@pytest.mark.parametrize(
    "build",
    [
        BUILD,
        BUILD.replace("VOLUME /out", 'VOLUME ["/out"]'),
        BUILD.replace("VOLUME /out", "VOLUME /cache /out/"),
        # The VOLUME holds the path read, or lies inside it.
        BUILD.replace("VOLUME /out", "VOLUME /"),
        # Declared by a stage the build image is FROM.
        "FROM alpine:3.19 AS base\nRUN mkdir /out\nVOLUME /out\nFROM base\n" + 'CMD ["sh", "-c", "echo built > /out/app"]\n',
    ],
    ids=["plain", "json", "several", "root", "base-stage"],
)
def test_a_run_stage_under_a_volume_is_refused_with_the_classic_builder(tmp_path, build):
    assert_refused_at_the_setting(project(tmp_path, classic=True, build=build), "reads /out/app, under the VOLUME")


def test_a_volume_inside_the_directory_read_counts(tmp_path):
    flow = FLOW.replace("docker cp c:/out/app app", "docker cp c:/out out")
    build = 'FROM alpine:3.19\nRUN mkdir -p /out/data\nVOLUME /out/data\nCMD ["sh", "-c", "echo built > /out/data/app"]\n'
    root = project(tmp_path, classic=True, build=build, flow=flow, Dockerfile="FROM alpine:3.19\nCOPY out /srv\n")
    assert_refused_at_the_setting(root, "reads /out, which holds the VOLUME /out/data that Dockerfile.build:3 declares")


def test_a_volume_an_earlier_build_of_the_driver_declares_counts(tmp_path):
    flow = "docker build -t base -f Dockerfile.base .\n" + FLOW
    base = "FROM alpine:3.19\nRUN mkdir /out\nVOLUME /out\n"
    build = 'FROM base\nCMD ["sh", "-c", "echo built > /out/app"]\n'
    assert_refused_at_the_setting(project(tmp_path, classic=True, build=build, flow=flow, **{"Dockerfile.base": base}), "Dockerfile.base:3 declares")


def test_a_bind_mount_under_a_volume_is_refused_with_the_classic_builder(tmp_path):
    flow = 'mkdir -p out\ndocker build -t app:build -f Dockerfile.build .\ndocker run --rm -v "$PWD/out":/out app:build\ndocker build -t app .\n'
    build = 'FROM alpine:3.19\nVOLUME /out\nCMD ["sh", "-c", "echo built > /out/app"]\n'
    root = project(tmp_path, classic=True, build=build, flow=flow, Dockerfile="FROM alpine:3.19\nCOPY out/app /app\n")
    assert_refused_at_the_setting(root, "reads /out, under the VOLUME /out that Dockerfile.build:2 declares")


def test_a_base_image_dmigrate_cannot_see_is_refused_with_the_classic_builder(tmp_path):
    build = 'FROM myorg/base:1\nENTRYPOINT []\nWORKDIR /\nUSER root\nCMD ["sh", "-c", "mkdir -p /out && echo built > /out/app"]\n'
    assert_refused_at_the_setting(project(tmp_path, classic=True, build=build), "cannot tell whether the base image myorg/base:1 declares one over /out/app")


def test_with_buildkit_a_note_says_the_migration_needs_it(tmp_path):
    found = [note for note in notes(project(tmp_path, classic=False)) if "needs BuildKit" in note]
    assert found == [
        "build.sh:3: the stage c (the run at build.sh:3) reads /out/app, under the VOLUME /out that Dockerfile.build:3 declares; "
        "the classic builder would discard what the RUN writes there, so the migrated build needs BuildKit (the default from Docker 23, or DOCKER_BUILDKIT=1)"
    ]


@pytest.mark.parametrize(
    "classic, build",
    [
        # No VOLUME, on a base whose VOLUMEs are known (none).
        (True, BUILD.replace("VOLUME /out\n", "")),
        # A VOLUME away from what is read.
        (True, BUILD.replace("VOLUME /out", "VOLUME /cache")),
        # An unknown base is no matter for BuildKit.
        (False, 'FROM myorg/base:1\nENTRYPOINT []\nWORKDIR /\nUSER root\nCMD ["sh", "-c", "mkdir -p /out && echo built > /out/app"]\n'),
    ],
)
def test_a_run_stage_clear_of_volumes_is_migrated_without_a_note(tmp_path, classic, build):
    assert not [note for note in notes(project(tmp_path, classic=classic, build=build)) if "VOLUME" in note]


def test_a_run_of_a_known_official_image_is_migrated_with_the_classic_builder(tmp_path):
    flow = 'mkdir -p out\ndocker run --rm -v "$PWD/out":/out -w /src golang:1.22 go build -o /out/app\ndocker build -t app .\n'
    root = project(tmp_path, classic=True, flow=flow, Dockerfile="FROM alpine:3.19\nCOPY out/app /app\n")
    assert not [note for note in notes(root) if "VOLUME" in note]


@pytest.mark.docker
def test_the_classic_builder_drops_what_a_stage_writes_under_a_volume(docker_engine, docker_env, tmp_path):
    """The fact the refusal rests on: the migrated run-volume project, built by the classic builder, copies the image's old file."""
    source = flows.committed_copy(flows.PROJECTS_DIR / "run-volume", tmp_path / "run-volume")
    outcome = migrate_driver(source / "build.sh", Options(write=True))
    assert outcome.status == "migrated", outcome.message
    tag = "dmt-run-volume-classic:latest"
    env = {**os.environ, "DOCKER_HOST": docker_env.get("DOCKER_HOST", ""), "DOCKER_BUILDKIT": "0"}
    env = {name: value for name, value in env.items() if value}
    try:
        built = subprocess.run([docker_engine.client, "build", "--network=none", "--no-cache", "-q", "-t", tag, "."], cwd=source, env=env, capture_output=True, text=True)
        assert built.returncode == 0, built.stderr
        content = docker_engine.run(["run", "--rm", "--network=none", tag, "cat", "/srv/app.txt"]).stdout.decode()
        assert content == "made by the image\n"
    finally:
        docker_engine.remove_images([tag])
