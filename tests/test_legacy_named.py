"""The build Dockerfile is deleted only when no other driver, compose or CI file of the project still names it."""

from __future__ import annotations

import pytest

from support import make_project, migrate

BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"
DRIVER = (
    "#!/bin/sh\n"
    "docker build -t app:build -f Dockerfile.build .\n"
    "docker create --name c app:build\n"
    "docker cp c:/out/app app\n"
    "docker rm c\n"
    "docker build -t app .\n"
)
COMPOSE = "services:\n  builder:\n    build:\n      context: .\n      dockerfile: Dockerfile.build\n"


@pytest.mark.parametrize(
    "path, text, line",
    [
        ("docker-compose.yml", COMPOSE, 5),
        (".github/workflows/ci.yml", "jobs:\n  b:\n    steps:\n      - run: docker build -f ./Dockerfile.build .\n", 4),
        ("Makefile", "builder:\n\tdocker build -f Dockerfile.build -t app:build .\n", 2),
        ("test.sh", "#!/bin/sh\ndocker build -f build/../Dockerfile.build .\n", 2),
        ("package.json", '{"scripts": {"image": "docker build -f Dockerfile.build ."}}\n', 1),
    ],
    ids=["compose", "CI workflow", "another driver", "another script", "package.json"],
)
def test_a_file_that_still_names_the_build_dockerfile_stops_its_deletion(tmp_path, path, text, line):
    root = make_project(tmp_path / "p", {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME, path: text})
    outcome = migrate(root / "build.sh")
    assert outcome.status == "refused"
    assert (outcome.location.file.resolve(), outcome.location.line) == ((root / path).resolve(), line)
    assert "which migrating build.sh deletes" in outcome.message and "--keep-legacy" in outcome.message
    kept = migrate(root / "build.sh", keep_legacy=True)
    assert kept.status == "pending" and all(change.after is not None for change in kept.changes)


@pytest.mark.parametrize(
    "path, text",
    [
        ("README.md", "Run `docker build -f Dockerfile.build .` to get the SDK image.\n"),
        ("docker-compose.yml", COMPOSE.replace("Dockerfile.build", "Dockerfile.builder")),
        ("Dockerfile.build.dockerignore", "*.md\n"),
        ("ci.yml", "# builds Dockerfile.build.dockerignore too\n"),
    ],
    ids=["documentation", "a longer name", "its own .dockerignore", "a longer file name"],
)
def test_other_mentions_do_not(tmp_path, path, text):
    root = make_project(tmp_path / "p", {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME, path: text})
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    assert any(change.after is None and change.path.name == "Dockerfile.build" for change in outcome.changes)


def test_the_files_of_the_flow_itself_do_not(tmp_path):
    driver = DRIVER.replace("docker create --name c app:build\ndocker cp c:/out/app app\n", "./extract.sh\n")
    extract = "#!/bin/sh\n# made from Dockerfile.build\ndocker create --name c app:build\ndocker cp c:/out/app app\n"
    root = make_project(tmp_path / "p", {"build.sh": driver, "extract.sh": extract, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    assert migrate(root / "build.sh").status == "pending"
