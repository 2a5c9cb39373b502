"""Stage naming (trace/stage_names.py), in memory: built images from Dockerfile texts, no driver, no git."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.errors import Refusal
from migrate.read.dockerfile import parse_dockerfile
from migrate.read.ops import Build, Site, Word
from migrate.trace.flow import BuiltImage, Flow
from migrate.trace.stage_names import name_stages, unique_name

ROOT = Path("/project")


def image(position: int, text: str, *, name: str = "Dockerfile.build", tags: tuple[str, ...] = ()) -> BuiltImage:
    dockerfile = parse_dockerfile(text, ROOT / name)
    build = Build(
        Site(ROOT / "build.sh", position + 1, None), Word.literal("."), Word.literal(name), tuple(Word.literal(t) for t in tags), (), None, Word.literal(str(ROOT))
    )
    return BuiltImage(build, position, str(ROOT), str(ROOT / name), dockerfile, dockerfile.stages[-1], tags)


def names_of(builder_text: str, final_text: str, *, tags: tuple[str, ...] = ("app:build",)) -> list[str | None]:
    builder = image(0, builder_text, tags=tags)
    final = image(1, final_text, name="Dockerfile", tags=("app",))
    names = name_stages(Flow(reading=None), (builder, final), final)
    return [names.get((img.position, stage.index)) for img in (builder, final) for stage in img.dockerfile.stages]


@pytest.mark.parametrize(
    ("builder", "final", "tags", "expected"),
    [
        # An unnamed build stage is named from its image's tag: app:build gives "builder".
        ("FROM golang:1.22\n", "FROM alpine:3.19\n", ("app:build",), ["builder", None]),
        # A tag with a word for a version names it after the version.
        ("FROM golang:1.22\n", "FROM alpine:3.19\n", ("app:compile",), ["compile", None]),
        # No tag: the Dockerfile's suffix.
        ("FROM golang:1.22\n", "FROM alpine:3.19\n", (), ["builder", None]),
        # A build stage keeps its own name.
        ("FROM golang:1.22 AS toolchain\n", "FROM alpine:3.19\n", ("app:build",), ["toolchain", None]),
        # ... unless the runtime file names a stage so (the runtime's named stages keep theirs): then the build
        # image's stage is named from its tag, and an earlier stage is numbered.
        ("FROM golang:1.22 AS base\n", "FROM alpine:3.19 AS base\nFROM base\n", ("app:build",), ["builder", "base", None]),
        ("FROM golang:1.22 AS base\nFROM base\n", "FROM alpine:3.19 AS base\nFROM base\n", ("app:build",), ["base-2", "builder", "base", None]),
        # A new name must not be an image the runtime file uses: the stage would shadow it.
        ("FROM golang:1.22\n", "FROM builder\n", ("app:build",), ["app-build", None]),
        # An earlier stage named like an image the runtime file uses is renamed.
        ("FROM golang:1.22 AS tools\nFROM tools\n", "FROM tools\n", ("app:build",), ["tools-2", "builder", None]),
        # Every earlier stage of the build Dockerfile that has a name comes along; unnamed ones stay unnamed.
        ("FROM golang:1.22 AS deps\nFROM deps\n", "FROM alpine:3.19\n", ("app:build",), ["deps", "builder", None]),
        ("FROM golang:1.22\nFROM alpine:3.19\n", "FROM alpine:3.19\n", ("app:build",), [None, "builder", None]),
    ],
)
def test_stage_names(builder, final, tags, expected):
    assert names_of(builder, final, tags=tags) == expected


def test_a_runtime_stage_named_like_an_image_the_build_file_uses_is_refused():
    builder = image(0, "FROM tools AS compile\n", tags=("app:build",))
    final = image(1, "FROM alpine:3.19 AS tools\nFROM tools\n", name="Dockerfile")
    with pytest.raises(Refusal) as refused:
        name_stages(Flow(reading=None), (builder, final), final)
    assert (refused.value.location.file.name, refused.value.location.line) == ("Dockerfile", 1)
    assert "the stage tools has the name of an image the build image's Dockerfile or the driver uses" in refused.value.reason


def test_a_fresh_name_for_a_run_stage_is_not_any_name_in_use():
    builder = image(0, "FROM golang:1.22\n", tags=("app:build",))
    final = image(1, "FROM tools\n", name="Dockerfile")
    names = name_stages(Flow(reading=None), (builder, final), final)
    # "tools" is an image the runtime file uses; "builder" is taken by the build stage.
    assert names.fresh(["tools", "builder"]) == "tools-2"
    assert names.fresh(["run"]) == "run"
    assert names.fresh(["run"]) == "run-2"


@pytest.mark.parametrize(
    ("candidates", "taken", "expected"),
    [
        (["builder"], set(), "builder"),
        (["builder", "compile"], {"builder"}, "compile"),
        (["builder"], {"builder", "builder-2"}, "builder-3"),
        # An invalid name (upper case, a leading digit) is never chosen, nor numbered.
        (["App", "1x", "tools"], set(), "tools"),
        # No valid candidate: a numbered "builder".
        (["App"], set(), "builder-2"),
        # "scratch" and "context" mean something else to a FROM.
        (["scratch", "tools"], set(), "tools"),
    ],
)
def test_unique_name(candidates, taken, expected):
    assert unique_name(candidates, taken) == expected
