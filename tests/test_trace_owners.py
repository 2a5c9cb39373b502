"""Who owns an artifact in its stage: COPY --from gets --chown=0:0 unless root provably wrote it (issue 11, item 2)."""

from __future__ import annotations

import pytest

from support import make_project, migrate, texts_after
from migrate.trace.owners import official_runs_as_root

DRIVER = (
    "#!/bin/sh\n"
    "docker build -t app:build -f Dockerfile.build .\n"
    "docker create --name c app:build\n"
    "docker cp c:/src/build/libs/app.jar app.jar\n"
    "docker rm c\n"
    "docker build -t app .\n"
)
RUNTIME = "FROM eclipse-temurin:21-jre\nCOPY app.jar /app.jar\n"


def final_copy(tmp_path, build: str) -> str:
    root = make_project(tmp_path / "project", {"build.sh": DRIVER, "Dockerfile.build": build, "Dockerfile": RUNTIME})
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    dockerfile = texts_after(outcome, root)["Dockerfile"]
    return next(line for line in dockerfile.splitlines() if line.startswith("COPY --from="))


@pytest.mark.parametrize(
    "build",
    [
        # Old gradle tags run as uid 1000: the jar is 1000:1000 in the stage.
        "FROM gradle:4.6-jdk8\nCOPY . /src\nWORKDIR /src\nRUN gradle build\n",
        "FROM gradle:5.4.1-jdk11\nCOPY . /src\nWORKDIR /src\nRUN gradle build\n",
        # A floating tag may be a copy pulled before the change.
        "FROM gradle:jdk8\nCOPY . /src\nWORKDIR /src\nRUN gradle build\n",
        "FROM gradle\nCOPY . /src\nWORKDIR /src\nRUN gradle build\n",
        "FROM docker.io/library/gradle:4.6-jdk8@sha256:" + "a" * 64 + "\nCOPY . /src\nWORKDIR /src\nRUN gradle build\n",
        # USER root comes after the WORKDIR, which BuildKit makes owned by the base's user.
        "FROM gradle:4.6-jdk8\nWORKDIR /src\nUSER root\nCOPY . .\nRUN gradle build\n",
        # An image dmigrate knows nothing of may run ONBUILD steps as its own user before USER root.
        "FROM myorg/jdk:8\nUSER root\nCOPY . /src\nWORKDIR /src\nRUN gradle build\n",
        # A stage's ONBUILD runs in the stage built FROM it.
        "FROM golang:1.22 AS base\nONBUILD USER 1000\nFROM base\nCOPY . /src\nWORKDIR /src\nRUN make\n",
        # USER root back after a non-root user does not give the files written before back.
        "FROM golang:1.22\nUSER 1000\nRUN make\nUSER root\n",
    ],
    ids=["gradle-4.6", "gradle-5.4.1", "gradle-jdk8", "gradle-latest", "gradle-digest", "workdir-first", "unknown-image", "onbuild", "user-back"],
)
def test_an_owner_not_proven_root_gets_chown(tmp_path, build):
    assert "--chown=0:0" in final_copy(tmp_path, build)


@pytest.mark.parametrize(
    "build",
    [
        # Gradle 5.5 and later were only ever published running as root.
        "FROM gradle:5.5-jdk11\nCOPY . /src\nWORKDIR /src\nRUN gradle build\n",
        "FROM gradle:8.5.0-jdk21-alpine\nCOPY . /src\nWORKDIR /src\nRUN gradle build\n",
        # The stage itself says root before it writes anything.
        "FROM gradle:4.6-jdk8\nUSER root\nCOPY . /src\nWORKDIR /src\nRUN gradle build\n",
        "FROM gradle:4.6-jdk8\nUSER 0\nCOPY . /src\nWORKDIR /src\nRUN gradle build\n",
        "FROM golang:1.22\nCOPY . /src\nWORKDIR /src\nRUN make\n",
    ],
    ids=["gradle-5.5", "gradle-8.5", "user-root", "user-0", "golang"],
)
def test_a_stage_proven_root_needs_no_chown(tmp_path, build):
    assert "--chown" not in final_copy(tmp_path, build)


@pytest.mark.parametrize(
    "reference, root",
    [
        ("golang:1.22", True),
        ("golang", True),
        ("gradle:4.6-jdk8", False),
        ("gradle:4.10.3", False),
        ("gradle:5.5", True),
        ("gradle:7.6.1-jdk17", True),
        ("gradle:jdk17", False),
        ("gradle", False),
        ("myorg/gradle:8.5", False),
        ("ghcr.io/acme/golang:1.22", False),
        # No official image has this name (the real one is crystallang/crystal): a local image of that name may be anything.
        ("crystal:1.10", False),
    ],
)
def test_which_images_run_as_root(reference, root):
    assert official_runs_as_root(reference) is root
