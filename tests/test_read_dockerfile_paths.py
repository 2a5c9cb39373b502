"""The Dockerfile a build names: short options with their value joined on, standard input, a directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.read.ops import Build, Opaque
from migrate.read.shell import read_shell
from support import make_project, migrate_leaving_disk_unchanged

STDIN = "the Dockerfile comes from standard input (`-f -`), which dmigrate cannot read"


def read(text: str):
    return read_shell(Path("/project/build.sh"), text + "\n").operations


@pytest.mark.parametrize(
    "command, dockerfile, tags",
    [
        ("docker build -fDockerfile.build -tapp:build .", "Dockerfile.build", ("app:build",)),
        ('docker build -f"build/Dockerfile" .', "build/Dockerfile", ()),
    ],
)
def test_a_short_option_with_its_value_joined_on(command, dockerfile, tags):
    [build] = read(command)
    assert isinstance(build, Build) and build.dockerfile.key == dockerfile and tuple(tag.key for tag in build.tags) == tags
    assert build.context.key == "."


@pytest.mark.parametrize(
    "command",
    ["docker build -f- . <<'EOF'\nFROM alpine:3.19\nEOF", "docker build -f - . < Dockerfile.alt", "docker build --file=- ."],
)
def test_a_dockerfile_from_standard_input_is_opaque(command):
    [opaque] = [op for op in read(command) if isinstance(op, Opaque)]
    assert opaque.mentions_docker and STDIN in opaque.reason


FLOW = (
    "#!/bin/sh\n"
    "docker build -f Dockerfile.build -t app:build .\n"
    "docker create --name x app:build\n"
    "docker cp x:/out/app app\n"
    "docker rm x\n"
)


def test_a_runtime_dockerfile_on_standard_input_is_refused_as_such(tmp_path):
    driver = FLOW + "docker build -t app -f- . <<'EOF'\nFROM alpine:3.19\nCOPY app /app\nEOF\n"
    root = make_project(tmp_path / "project", {"build.sh": driver, "Dockerfile.build": "FROM alpine:3.19\nRUN mkdir /out && echo a > /out/app\n"})
    outcome = migrate_leaving_disk_unchanged(root / "build.sh")
    assert (outcome.status, outcome.location.line) == ("refused", 6) and STDIN in outcome.message


def test_a_dockerfile_that_is_a_directory_is_refused_as_such(tmp_path):
    files = {"build.sh": FLOW + "docker build -t app .\n", "Dockerfile.build/notes": "", "Dockerfile": "FROM alpine:3.19\nCOPY app /app\n"}
    root = make_project(tmp_path / "project", files)
    outcome = migrate_leaving_disk_unchanged(root / "build.sh")
    assert (outcome.status, outcome.location.line) == ("refused", 2)
    assert "the Dockerfile Dockerfile.build is a directory, not a file" in outcome.message
