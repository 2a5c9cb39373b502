"""A file the migration rewrites, deletes or creates must not reach the final image.

Whether the runtime Dockerfile copies it from the context itself (``COPY .
/app``) or a build stage puts it into an extracted artifact, the migrated image
would hold its new text, lack it, or gain it: both are refused, at the COPY
that brings it from the host.
"""

from __future__ import annotations

import pytest

from support import d, make_project
from migrate.migration import Options, migrate_driver

GO_BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"


def extract(middle: str = "docker cp c:/out/app bin/app") -> str:
    return d(
        """
        #!/bin/sh
        set -e
        docker build -t app:build -f Dockerfile.build .
        docker create --name c app:build
        {middle}
        docker rm c
        docker build -t app .
        """
    ).format(middle=middle)


def tree(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def refused_unchanged(root, driver: str = "build.sh", **options):
    """Run the migration for real; it must refuse and leave every file as it was."""
    before = tree(root)
    outcome = migrate_driver(root / driver, Options(write=True, **options))
    assert outcome.status == "refused", outcome.message
    assert tree(root) == before
    return outcome


def test_a_runtime_copy_of_the_project_a_run_built_in_is_refused(tmp_path):
    # wolanx/go-fs: the project mounted and built in place, then `COPY . /myapp/` (used to migrate with a warning).
    files = {
        "build.sh": '#!/bin/bash\ndocker run --rm -v "$PWD":/usr/src/myapp -w /usr/src/myapp golang:1.21 go build -v\n'
        "docker build -t go-fs-img-1:v1 .\n",
        "Dockerfile": 'FROM alpine:3.19\nWORKDIR /myapp\nCOPY . /myapp/\nCMD ["./myapp"]\n',
        "fs.go": "package main\n",
    }
    root = make_project(tmp_path / "project", files)
    outcome = refused_unchanged(root)
    assert (outcome.location.file.name, outcome.location.line) == ("Dockerfile", 3)
    assert outcome.message == (
        "`COPY . /myapp/` copies Dockerfile, build.sh into the image, and the migration rewrites them, so the image would hold "
        "their new text: add them to .dockerignore first (the legacy image then leaves them out too), or copy only what the image needs"
    )


def test_the_same_flow_in_a_makefile_is_refused_alike(tmp_path):
    files = {
        "Makefile": "default:\n\tdocker run --rm -v $(CURDIR):/usr/src/myapp -w /usr/src/myapp golang:1.21 go build -v\n"
        "\tdocker build -t go-fs-img-1:v1 .\n",
        "Dockerfile": 'FROM alpine:3.19\nWORKDIR /myapp\nCOPY . /myapp/\nCMD ["./myapp"]\n',
        "fs.go": "package main\n",
    }
    root = make_project(tmp_path / "project", files)
    outcome = refused_unchanged(root, "Makefile")
    assert (outcome.location.file.name, outcome.location.line) == ("Dockerfile", 3)
    assert "copies Dockerfile, Makefile into the image, and the migration rewrites them" in outcome.message


def test_the_files_kept_out_by_dockerignore_let_it_migrate(tmp_path):
    files = {
        "build.sh": extract(),
        "bin/.keep": "",
        "Dockerfile.build": GO_BUILD,
        "Dockerfile": "FROM alpine:3.19\nCOPY . /srv\n",
        ".dockerignore": ".dockerignore\nDockerfile*\nbuild.sh\n",
    }
    root = make_project(tmp_path / "project", files)
    outcome = migrate_driver(root / "build.sh", Options(write=False))
    assert outcome.status == "pending", outcome.message


def test_the_same_files_through_an_extracted_directory_are_refused_in_the_same_words(tmp_path):
    # PLEILEILEI/welcome: the build's WORKDIR holds its COPY . . and is extracted whole.
    files = {
        "build.sh": extract("docker cp c:/welcome ./welcome"),
        "Dockerfile.build": "FROM golang:1.21\nWORKDIR /welcome\nCOPY . .\nRUN go build -o app .\n",
        "Dockerfile": "FROM alpine:3.19\nCOPY welcome /welcome\n",
    }
    root = make_project(tmp_path / "project", files)
    outcome = refused_unchanged(root)
    assert (outcome.location.file.name, outcome.location.line) == ("Dockerfile.build", 3)
    assert (
        "the migration deletes Dockerfile.build and rewrites Dockerfile, build.sh, so the image would lose Dockerfile.build and "
        "hold the new text of Dockerfile, build.sh" in outcome.message
    )


ETC_FLOW = {
    # greshilov/AsyncAlohalytics: the build Dockerfile lives in a directory the runtime image copies.
    "build.sh": d(
        """
        #!/bin/sh
        set -e
        docker build -t aloha-temp . -f etc/Dockerfile.build
        mkdir -p temp
        docker container create --name extract aloha-temp
        docker container cp extract:/out/app ./temp/app
        docker container rm -f extract
        docker build -t aloha:latest .
        """
    ),
    "etc/Dockerfile.build": GO_BUILD,
    "etc/config.env": "A=1\n",
    "Dockerfile": "FROM alpine:3.19\nCOPY ./etc /aloha/etc\nCOPY ./temp/app /aloha/app\n",
}


def test_a_runtime_copy_of_the_directory_holding_the_deleted_build_dockerfile_is_refused(tmp_path):
    root = make_project(tmp_path / "project", ETC_FLOW)
    outcome = refused_unchanged(root)
    assert (outcome.location.file.name, outcome.location.line) == ("Dockerfile", 2)
    assert outcome.message.startswith(
        "`COPY ./etc /aloha/etc` copies etc/Dockerfile.build into the image, and the migration deletes it, so the image would lose it:"
    )
    assert outcome.message.endswith("or pass --keep-legacy to keep etc/Dockerfile.build")


def test_keep_legacy_keeps_the_build_dockerfile_so_that_copy_is_the_same(tmp_path):
    root = make_project(tmp_path / "project", ETC_FLOW)
    outcome = migrate_driver(root / "build.sh", Options(write=False, keep_legacy=True))
    assert outcome.status == "pending", outcome.message
    assert all(change.after is not None for change in outcome.changes)


def test_keep_legacy_does_not_excuse_a_rewritten_file(tmp_path):
    runtime = "FROM alpine:3.19\nCOPY ./etc /aloha/etc\nCOPY build.sh /aloha/\nCOPY ./temp/app /aloha/app\n"
    root = make_project(tmp_path / "project", {**ETC_FLOW, "Dockerfile": runtime})
    outcome = refused_unchanged(root, keep_legacy=True)
    assert (outcome.location.file.name, outcome.location.line) == ("Dockerfile", 3)
    assert outcome.message.startswith("`COPY build.sh /aloha/` copies build.sh into the image, and the migration rewrites it")


def test_keep_legacy_reaches_a_build_stage_that_copies_the_build_dockerfile_into_the_artifact(tmp_path):
    files = {
        "build.sh": extract("docker cp c:/welcome ./welcome"),
        "Dockerfile.build": "FROM golang:1.21\nWORKDIR /welcome\nCOPY . .\nRUN go build -o app .\n",
        "Dockerfile": "FROM alpine:3.19\nCOPY welcome /welcome\n",
        ".dockerignore": "Dockerfile\nbuild.sh\n.dockerignore\n",
    }
    root = make_project(tmp_path / "project", files)
    outcome = refused_unchanged(root)
    assert (outcome.location.file.name, outcome.location.line) == ("Dockerfile.build", 3)
    assert "the migration deletes it, so the image would lose it" in outcome.message
    kept = migrate_driver(root / "build.sh", Options(write=False, keep_legacy=True))
    assert kept.status == "pending", kept.message


def test_a_dockerignore_the_migration_adds_a_line_to_is_refused_when_the_image_copies_it(tmp_path):
    files = {
        "build.sh": extract(),
        "bin/.keep": "",
        "Dockerfile.build": GO_BUILD,
        "Dockerfile": "FROM alpine:3.19\nCOPY . /srv\n",
        ".dockerignore": "Dockerfile*\nbuild.sh\n",
    }
    root = make_project(tmp_path / "project", files)
    outcome = refused_unchanged(root)
    assert (outcome.location.file.name, outcome.location.line) == ("Dockerfile", 2)
    assert outcome.message.startswith("`COPY . /srv` copies .dockerignore into the image, and the migration rewrites it, so the image would hold its new text")


@pytest.mark.parametrize(
    "runtime, line",
    [
        ("FROM alpine:3.19 AS assets\nCOPY . /src\nFROM alpine:3.19\nCOPY --from=assets /src /srv\nCOPY app /usr/local/bin/app\n", 2),
        ("FROM alpine:3.19 AS base\nCOPY build.sh /opt/\nFROM base\nCOPY app /usr/local/bin/app\n", 2),
    ],
    ids=["COPY --from of a stage that copied the context", "a base stage that copied the driver"],
)
def test_a_stage_the_final_image_is_made_from_counts(tmp_path, runtime, line):
    root = make_project(tmp_path / "project", {"build.sh": extract("docker cp c:/out/app app"), "Dockerfile.build": GO_BUILD, "Dockerfile": runtime})
    outcome = refused_unchanged(root)
    assert (outcome.location.file.name, outcome.location.line) == ("Dockerfile", line)


def test_a_stage_the_final_image_does_not_use_is_left_alone(tmp_path):
    runtime = "FROM alpine:3.19 AS docs\nCOPY . /src\nFROM alpine:3.19\nCOPY app /usr/local/bin/app\n"
    root = make_project(tmp_path / "project", {"build.sh": extract("docker cp c:/out/app app"), "Dockerfile.build": GO_BUILD, "Dockerfile": runtime})
    outcome = migrate_driver(root / "build.sh", Options(write=False))
    assert outcome.status == "pending", outcome.message


SCRIPT_FLOW = {
    "build.sh": extract("docker cp c:/out/app app"),
    "Dockerfile.build": "FROM golang:1.21\nWORKDIR /src\nCOPY main.go .\nRUN go build -o /out/app .\n",
    "Dockerfile": "FROM alpine:3.19\nCOPY Makefile /opt/\nCOPY app /app\n",
    "main.go": "package main\n",
}


def test_a_makefile_whose_prerequisite_on_the_deleted_dockerfile_is_rewritten_counts(tmp_path):
    root = make_project(tmp_path / "project", {**SCRIPT_FLOW, "Makefile": "image: Dockerfile.build\n\t./build.sh\n"})
    outcome = refused_unchanged(root, "Makefile")
    assert (outcome.location.file.name, outcome.location.line) == ("Dockerfile", 2)
    assert "copies Makefile into the image, and the migration rewrites it" in outcome.message


def test_a_makefile_the_migration_leaves_as_it_is_may_be_copied(tmp_path):
    root = make_project(tmp_path / "project", {**SCRIPT_FLOW, "Makefile": "image:\n\t./build.sh\n"})
    outcome = migrate_driver(root / "Makefile", Options(write=False))
    assert outcome.status == "pending", outcome.message
    assert all(change.path.name != "Makefile" for change in outcome.changes)
