"""Build args as values (plan.BuildArgValue) and how the builds' args share one ``docker build`` (trace/args.py), in memory."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from migrate.errors import Refusal
from migrate.plan import BuildArgValue
from migrate.read.docker_cli import parse_docker_command
from migrate.read.dockerfile import parse_dockerfile
from migrate.read.ops import DriverReading, Site, Word
from migrate.trace.args import ArgMerge, renamed_arg_text, taken_arg_names
from migrate.trace.flow import BuiltImage, Flow

ROOT = Path("/project")
UNKNOWN = "\0$V\0"


def value(text: str, key: str | None = None) -> Word:
    return Word(text, text if key is None else key)


# -- how a value is written on a shell or make command line ---------------------------------------------


@pytest.mark.parametrize(
    ("arg", "kind", "expected"),
    [
        # Carried within its own kind of text: as the driver wrote it.
        (BuildArgValue("V", Site(ROOT / "build.sh", 2, None), "shell", value("$V", UNKNOWN), written="--build-arg V=$V"), "shell", "--build-arg V=$V"),
        (BuildArgValue("V", Site(ROOT / "Makefile", 2, None), "make", value("$(V)", "1"), written="--build-arg V=$(V)"), "make", "--build-arg V=$(V)"),
        # Renamed: the new name, the value's own text.
        (BuildArgValue("BUILDER_V", Site(ROOT / "build.sh", 2, None), "shell", value('"$V"', UNKNOWN)), "shell", '--build-arg BUILDER_V="$V"'),
        # From the environment.
        (BuildArgValue("V", Site(ROOT / "build.sh", 2, None), "shell"), "shell", "--build-arg V"),
        # From another kind of driver text: the value it is known to have, quoted for the shell, $ doubled for make.
        (BuildArgValue("V", Site(ROOT / "build.sh", 2, None), "shell", value("$V", "1.0")), "make", "--build-arg V=1.0"),
        (BuildArgValue("V", Site(ROOT / "build.sh", 2, None), "shell", value("$V", "a b$c")), "make", "--build-arg 'V=a b$$c'"),
        (BuildArgValue("V", Site(ROOT / "Makefile", 2, None), "make", value("$(V)", "a b")), "shell", "--build-arg 'V=a b'"),
        (BuildArgValue("V", Site(ROOT / "build.sh", 2, None), "shell"), "make", "--build-arg V"),
        # A `docker run -e NAME` turned into a stage: the variable, in the receiving file's syntax.
        (BuildArgValue("RUN_V", Site(ROOT / "Makefile", 3, None), "make", environment="V"), "shell", '--build-arg RUN_V="${V}"'),
        (BuildArgValue("RUN_V", Site(ROOT / "build.sh", 3, None), "shell", environment="V"), "make", '--build-arg RUN_V="$${V}"'),
    ],
)
def test_command_words(arg, kind, expected):
    assert arg.command_words(kind) == expected


# -- renaming an ARG in its own text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ARG VERSION\n", "ARG BUILDER_VERSION\n"),
        ("ARG VERSION=1.0\n", "ARG BUILDER_VERSION=1.0\n"),
        ("arg  VERSION=1.0", "arg  BUILDER_VERSION=1.0"),
        # Across a line continuation, and a comment Docker skips inside one.
        ("ARG \\\n  VERSION=1\n", "ARG \\\n  BUILDER_VERSION=1\n"),
        ("ARG \\\n# the version\n  VERSION\n", "ARG \\\n# the version\n  BUILDER_VERSION\n"),
        # Only the whole name.
        ("ARG VERSIONS=1\n", None),
    ],
)
def test_renamed_arg_text(text, expected):
    assert renamed_arg_text(text, "VERSION", "BUILDER_VERSION") == expected


# -- the builds' args in one build ------------------------------------------------------------------------


def image(position: int, text: str, command: str, *, name: str) -> BuiltImage:
    dockerfile = parse_dockerfile(text, ROOT / name)
    words = [Word.literal(word) for word in command.split()]
    build = parse_docker_command(words, Site(ROOT / "build.sh", position + 1, None), Word.literal(str(ROOT)))
    return BuiltImage(build, position, str(ROOT), str(ROOT / name), dockerfile, dockerfile.stages[-1], tuple(t.key for t in build.tags))


def merge(build: str, builder_args: str, runtime: str, final_args: str, *, retargeted: bool = False) -> ArgMerge:
    builder = image(0, build, f"build {builder_args} -f Dockerfile.build -t app:build .", name="Dockerfile.build")
    final = image(1, runtime, f"build {final_args} -t app .", name="Dockerfile")
    driver = DriverReading(ROOT / "build.sh", "shell", "", (builder.build, final.build), ROOT)
    flow = Flow(reading=SimpleNamespace(driver=driver))
    merged = (builder, final)
    plan = ArgMerge(flow, merged, final, lambda image: "builder", taken_arg_names(merged), retargeted=lambda image: retargeted)
    plan.run()
    return plan


def passed(plan: ArgMerge) -> list[str]:
    return [arg.command_words("shell") for arg in plan.added]


BUILD = "FROM alpine:3.19\nARG VERSION\nRUN echo $VERSION > /out\n"


@pytest.mark.parametrize(
    ("builder_args", "runtime", "final_args", "expected_passed", "expected_renames"),
    [
        # Both builds pass the same value: the runtime build passes it already.
        ("--build-arg VERSION=1", "FROM alpine:3.19\nARG VERSION\n", "--build-arg VERSION=1", [], {}),
        # Only the build image's build passes it, and the runtime file does not declare it: it is passed as written.
        ("--build-arg VERSION=1", "FROM alpine:3.19\n", "", ["--build-arg VERSION=1"], {}),
        # Different values: the build image's copy is renamed.
        ("--build-arg VERSION=1", "FROM alpine:3.19\nARG VERSION\n", "--build-arg VERSION=2", ["--build-arg BUILDER_VERSION=1"], {"VERSION": "BUILDER_VERSION"}),
        # Only the build image's build passes it, but the runtime file declares it too: renamed, or it would reach the runtime stage.
        ("--build-arg VERSION=1", "FROM alpine:3.19\nARG VERSION=0\n", "", ["--build-arg BUILDER_VERSION=1"], {"VERSION": "BUILDER_VERSION"}),
        # The runtime build passes it, the build image's did not: renamed, so that the build stage keeps its unset ARG.
        ("", "FROM alpine:3.19\nARG VERSION\n", "--build-arg VERSION=2", [], {"VERSION": "BUILDER_VERSION"}),
        # A proxy arg Docker predefines goes along as it was.
        ("--build-arg HTTP_PROXY=http://proxy:3128", "FROM alpine:3.19\n", "", ["--build-arg HTTP_PROXY=http://proxy:3128"], {}),
    ],
)
def test_the_builds_args_in_one_build(builder_args, runtime, final_args, expected_passed, expected_renames):
    plan = merge(BUILD, builder_args, runtime, final_args)
    assert passed(plan) == expected_passed
    assert dict(plan.renames.get(0, {})) == expected_renames


def test_a_renamed_stage_arg_keeps_its_value_in_an_env():
    plan = merge(BUILD, "--build-arg VERSION=1", "FROM alpine:3.19\nARG VERSION\n", "--build-arg VERSION=2")
    builder = plan.merged[0]
    [rename] = plan.stage_renames(builder, builder.stage)
    assert (rename.name, rename.new_name, rename.written, rename.keep_unset) == ("VERSION", "BUILDER_VERSION", "ARG BUILDER_VERSION\n", False)


def test_a_stage_arg_no_build_set_stays_unset():
    plan = merge(BUILD, "", "FROM alpine:3.19\nARG VERSION\n", "--build-arg VERSION=2")
    builder = plan.merged[0]
    [rename] = plan.stage_renames(builder, builder.stage)
    assert rename.keep_unset


def test_a_global_arg_with_another_default_is_renamed_in_the_from_line():
    build = "ARG BASE=alpine:3.19\nFROM ${BASE}\n"
    plan = merge(build, "", "ARG BASE=alpine:3.20\nFROM ${BASE}\n", "")
    builder = plan.merged[0]
    assert plan.renamed_base(builder, builder.stage) == "${BUILDER_BASE}"
    [renamed, *_] = plan.global_block()
    assert renamed.written == "ARG BUILDER_BASE=alpine:3.19\n"


@pytest.mark.parametrize(
    ("builder_args", "final_args", "retargeted", "reason"),
    [
        ("--build-arg VERSION", "--build-arg VERSION=2", False, "--build-arg VERSION takes its value from the environment and clashes"),
        ("--build-arg VERSION=1", "--build-arg VERSION=2", True, "its ARG VERSION must be renamed: that build would no longer set it"),
    ],
)
def test_args_that_cannot_share_one_build_are_refused(builder_args, final_args, retargeted, reason):
    with pytest.raises(Refusal) as refused:
        merge(BUILD, builder_args, "FROM alpine:3.19\nARG VERSION\n", final_args, retargeted=retargeted)
    assert refused.value.location.line == 1
    assert reason in refused.value.reason


def test_an_arg_whose_name_cannot_be_found_to_rename_is_refused():
    # Docker reads VERSION=1 across the continuation; the rename would have to split the line.
    build = "FROM alpine:3.19\nARG VERSION\\\n=1\nRUN echo $VERSION > /out\n"
    plan = merge(build, "--build-arg VERSION=1", "FROM alpine:3.19\nARG VERSION\n", "--build-arg VERSION=2")
    builder = plan.merged[0]
    with pytest.raises(Refusal) as refused:
        plan.stage_renames(builder, builder.stage)
    assert (refused.value.location.file.name, refused.value.location.line) == ("Dockerfile.build", 2)
    assert "cannot find the name VERSION in this ARG to rename it" in refused.value.reason
