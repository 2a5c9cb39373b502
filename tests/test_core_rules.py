"""Core rules of the tracer, each pinned by a case that fails when the rule is broken.

A mutation of each of these rules once survived the whole suite: a fresh ARG
name that may already be taken, and a Dockerfile's own ``NAME.dockerignore``.
"""

from __future__ import annotations

import pytest

from migrate.trace.args import fresh_arg_name
from migrate.trace.paths import ContainerSource, container_source, is_directory_target, is_pattern, is_under, landing_path
from support import d, make_project, migrate, migrate_leaving_disk_unchanged, texts_after

# -- a renamed build ARG takes a name nothing else uses -------------------------------------------------


def test_a_fresh_arg_name_is_the_stage_and_the_variable():
    taken: set[str] = set()
    assert fresh_arg_name("builder", "VERSION", taken) == "BUILDER_VERSION"
    assert taken == {"BUILDER_VERSION"}
    assert fresh_arg_name("app-build.1", "GOOS", taken) == "APP_BUILD_1_GOOS"


def test_a_fresh_arg_name_skips_every_name_already_taken():
    taken = {"BUILDER_VERSION", "BUILDER_VERSION_2"}
    assert fresh_arg_name("builder", "VERSION", taken) == "BUILDER_VERSION_3"
    assert "BUILDER_VERSION_3" in taken
    # Asked again, it does not hand out the same name twice.
    assert fresh_arg_name("builder", "VERSION", taken) == "BUILDER_VERSION_4"


def test_a_renamed_arg_does_not_take_the_name_of_an_arg_the_runtime_file_has(tmp_path):
    files = {
        "build.sh": d(
            """
            #!/bin/sh
            set -e
            docker build --build-arg VERSION=1.0 -f Dockerfile.build -t app:build .
            docker create --name x app:build
            docker cp x:/out/app app
            docker rm x
            docker build --build-arg VERSION=2.0 -t app .
            """
        ),
        "Dockerfile.build": "FROM alpine:3.19\nARG VERSION\nRUN mkdir -p /out && echo \"$VERSION\" > /out/app\n",
        "Dockerfile": "FROM alpine:3.19\nARG VERSION\nARG BUILDER_VERSION=none\nLABEL v=$VERSION b=$BUILDER_VERSION\nCOPY app /app\n",
    }
    root = make_project(tmp_path / "project", files)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    after = texts_after(outcome, root)
    assert "ARG BUILDER_VERSION_2\nENV VERSION=${BUILDER_VERSION_2}\n" in after["Dockerfile"]
    assert "docker build --build-arg BUILDER_VERSION_2=1.0 --build-arg VERSION=2.0 -t app ." in after["build.sh"]


# -- a Dockerfile's own NAME.dockerignore is the one its build uses --------------------------------------

OWN_IGNORE_FLOW = d(
    """
    #!/bin/sh
    set -e
    docker build -f Dockerfile.build -t app:build .
    docker create --name c app:build
    docker cp c:/out/dist dist
    docker rm c
    docker build -t app .
    """
)
DIST_BUILD = "FROM alpine:3.19\nRUN mkdir -p /out/dist && echo js > /out/dist/main.js && echo t > /out/dist/test.txt\n"
TAKES_BACK_ONE_FILE = "dist\n!dist/main.js\n"


def test_the_runtime_dockerfiles_own_dockerignore_is_the_one_that_leaves_out_part_of_an_artifact(tmp_path):
    files = {
        "build.sh": OWN_IGNORE_FLOW,
        "Dockerfile.build": DIST_BUILD,
        "Dockerfile": "FROM alpine:3.19\nCOPY dist /app/\n",
        "Dockerfile.dockerignore": TAKES_BACK_ONE_FILE,
        ".dockerignore": ".git\n",
    }
    root = make_project(tmp_path / "project", files)
    outcome = migrate_leaving_disk_unchanged(root / "build.sh")
    assert outcome.status == "refused", outcome.message
    assert (outcome.location.file.name, outcome.location.line) == ("Dockerfile", 2)
    assert ".dockerignore leaves out part of the extracted dist" in outcome.message


def test_the_context_dockerignore_does_not_count_when_the_dockerfile_has_its_own(tmp_path):
    files = {
        "build.sh": OWN_IGNORE_FLOW,
        "Dockerfile.build": DIST_BUILD,
        "Dockerfile": "FROM alpine:3.19\nCOPY dist /app/\n",
        "Dockerfile.dockerignore": ".git\n",
        ".dockerignore": TAKES_BACK_ONE_FILE,
    }
    root = make_project(tmp_path / "project", files)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    assert "COPY --from=builder /out/dist /app/" in texts_after(outcome, root)["Dockerfile"]


# -- docker cp and COPY path rules (trace/paths.py) ------------------------------------------------------


@pytest.mark.parametrize(
    "raw, path, contents_only",
    [
        ("/out/app", "/out/app", False),
        ("out/app", "/out/app", False),
        ("/out/dist/.", "/out/dist", True),
        (".", "/", True),
        ("/a/../b/", "/b", False),
    ],
)
def test_a_docker_cp_source_starts_at_the_root_and_knows_its_contents_form(raw, path, contents_only):
    assert container_source(raw) == ContainerSource(path, contents_only)


@pytest.mark.parametrize(
    "source, destination, state, slash, kind, landing",
    [
        ("/out/app", "/p/bin", "dir", False, "file", "/p/bin/app"),
        ("/out/app", "/p/app2", None, False, "file", "/p/app2"),
        ("/out/app", "/p/app2", "file", False, "file", "/p/app2"),
        ("/out/dist/.", "/p/site", "dir", False, "dir", "/p/site"),
        ("/out/dist", "/p/site", None, True, "dir", "/p/site"),
        ("/out/app", "/p/bin", None, True, "file", "/p/bin/app"),
        ("/out/app", "/p/bin", None, True, None, None),
        # An existing file named with a slash: docker fails; the rule does not guess a directory.
        ("/out/app", "/p/bin", "file", True, "file", "/p/bin"),
    ],
)
def test_where_docker_cp_lands(source, destination, state, slash, kind, landing):
    assert landing_path(container_source(source), destination, state, slash, kind) == landing


def test_is_under_takes_whole_path_parts():
    assert is_under("/p/dist/app", "/p/dist") and is_under("/p/dist", "/p/dist")
    assert not is_under("/p/distribution", "/p/dist")
    assert is_under("/anything", "/") and is_under("dist/app", "dist/")


@pytest.mark.parametrize(
    "destination, sources, directory",
    [
        ("/opt/app", 1, False),
        ("/opt/app/", 1, True),
        (".", 1, True),
        ("..", 1, True),
        ("sub/.", 1, True),
        ("/opt/x", 2, True),
    ],
)
def test_which_copy_destinations_name_a_directory(destination, sources, directory):
    assert is_directory_target(destination, sources) is directory


@pytest.mark.parametrize("source, pattern", [("app", False), ("*.js", True), ("ap?", True), ("ap[p]", True), ("$NAME", True), ("dist/app", False)])
def test_which_copy_sources_cannot_be_told_from_their_text(source, pattern):
    assert is_pattern(source) is pattern


def test_a_bracket_wildcard_that_may_match_an_artifact_is_refused(tmp_path):
    files = dict(ARG_FILES, Dockerfile="FROM alpine:3.19\nCOPY ap[p] /srv/\n")
    files["build.sh"] = ARG_FLOW.format(builder="", final="")
    root = make_project(tmp_path / "project", files)
    outcome = migrate_leaving_disk_unchanged(root / "build.sh")
    assert (outcome.status, outcome.location.line) == ("refused", 2)
    assert "has a wildcard or a variable and may match the extracted app" in outcome.message


# -- how the builds' build args share one docker build (trace/args.py) -----------------------------------

ARG_FLOW = d(
    """
    #!/bin/sh
    set -e
    docker build{builder} -f Dockerfile.build -t app:build .
    docker create --name x app:build
    docker cp x:/out/app app
    docker rm x
    docker build{final} -t app .
    """
)
ARG_FILES = {"Dockerfile.build": "FROM alpine:3.19\nRUN mkdir -p /out && echo a > /out/app\n"}


def merged_texts(tmp_path, builder_args: str, final_args: str, build: str, runtime: str):
    files = {"build.sh": ARG_FLOW.format(builder=builder_args, final=final_args), "Dockerfile.build": build, "Dockerfile": runtime}
    root = make_project(tmp_path / "project", files)
    return root, migrate(root / "build.sh")


def test_a_proxy_arg_only_the_build_image_had_is_still_passed(tmp_path):
    root, outcome = merged_texts(tmp_path, " --build-arg HTTP_PROXY=http://proxy:3128", "", ARG_FILES["Dockerfile.build"], "FROM alpine:3.19\nCOPY app /app\n")
    assert outcome.status == "pending", outcome.message
    assert "docker build --build-arg HTTP_PROXY=http://proxy:3128 -t app .\n" in texts_after(outcome, root)["build.sh"]


def test_an_arg_only_the_build_image_gets_is_renamed_when_the_runtime_file_declares_it(tmp_path):
    build = "FROM alpine:3.19\nARG FLAVOR\nRUN mkdir -p /out && echo $FLAVOR > /out/app\n"
    runtime = "FROM alpine:3.19\nARG FLAVOR=plain\nLABEL flavor=$FLAVOR\nCOPY app /app\n"
    root, outcome = merged_texts(tmp_path, " --build-arg FLAVOR=x", "", build, runtime)
    assert outcome.status == "pending", outcome.message
    after = texts_after(outcome, root)
    # Passed as FLAVOR, it would reach the runtime stage too and change its label.
    assert "ARG BUILDER_FLAVOR\nENV FLAVOR=${BUILDER_FLAVOR}\n" in after["Dockerfile"]
    assert "docker build --build-arg BUILDER_FLAVOR=x -t app .\n" in after["build.sh"]


def test_an_arg_the_runtime_build_takes_from_the_environment_does_not_reach_the_build_stage(tmp_path):
    build = "FROM alpine:3.19\nARG VERSION=dev\nRUN mkdir -p /out && echo $VERSION > /out/app\n"
    runtime = "FROM alpine:3.19\nARG VERSION\nLABEL v=$VERSION\nCOPY app /app\n"
    root, outcome = merged_texts(tmp_path, "", " --build-arg VERSION", build, runtime)
    assert outcome.status == "pending", outcome.message
    assert "ARG BUILDER_VERSION=dev\nENV VERSION=${BUILDER_VERSION}\n" in texts_after(outcome, root)["Dockerfile"]


def test_a_platform_that_reads_a_renamed_global_arg_is_refused(tmp_path):
    build = "ARG PLAT=linux/amd64\nFROM --platform=$PLAT alpine:3.19\nRUN mkdir -p /out && echo a > /out/app\n"
    runtime = "ARG PLAT=linux/arm64\nFROM --platform=$PLAT alpine:3.19\nCOPY app /app\n"
    _, outcome = merged_texts(tmp_path, "", "", build, runtime)
    assert (outcome.status, outcome.location.file.name, outcome.location.line) == ("refused", "Dockerfile.build", 2)
    assert "--platform=$PLAT uses a global ARG that must be renamed" in outcome.message


def test_a_global_arg_both_files_declare_alike_is_written_once(tmp_path):
    build = "ARG BASE=alpine:3.19\nFROM ${BASE}\nRUN mkdir -p /out && echo a > /out/app\n"
    runtime = "ARG BASE=alpine:3.19\nFROM ${BASE}\nCOPY app /app\n"
    root, outcome = merged_texts(tmp_path, "", "", build, runtime)
    assert outcome.status == "pending", outcome.message
    assert texts_after(outcome, root)["Dockerfile"].count("ARG BASE=alpine:3.19") == 1


def test_the_image_a_global_arg_names_is_the_one_the_build_passes(tmp_path):
    # The build image is FROM tools (passed), not FROM alpine (the default): a runtime stage named tools would capture it.
    build = "ARG BASE=alpine:3.19\nFROM ${BASE}\nRUN mkdir -p /out && echo a > /out/app\n"
    runtime = "FROM alpine:3.19 AS tools\nRUN true\nFROM alpine:3.19\nCOPY app /app\n"
    _, outcome = merged_texts(tmp_path, " --build-arg BASE=tools", "", build, runtime)
    assert (outcome.status, outcome.location.file.name, outcome.location.line) == ("refused", "Dockerfile", 1)
    assert "the stage tools has the name of an image" in outcome.message
