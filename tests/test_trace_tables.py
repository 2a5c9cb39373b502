"""Unit tables for the trace rules, run in memory (``trace_tables``): image references, base-image facts, stage state, and the tracer's rules.

Each row is one rule's input and what it must give; a mutation of the rule
fails a row here, in milliseconds, without git or a disk.
"""

from __future__ import annotations

import pytest

from migrate.trace.base_images import base_image_facts
from migrate.trace.image_ref import ImageRef
from migrate.trace.windows import windows_image
from trace_tables import graph_of, lines, plan_of, refusal_of, stage_states

# -- ImageRef -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, registry, path, tag, digest",
    [
        ("golang", None, "golang", None, None),
        ("golang:1.22-alpine", None, "golang", "1.22-alpine", None),
        ("docker.io/library/golang:1.21@sha256:ab", "docker.io", "library/golang", "1.21", "sha256:ab"),
        ("golang@sha256:ab", None, "golang", None, "sha256:ab"),
        ("localhost:5000/app", "localhost:5000", "app", None, None),
        ("localhost/app:2", "localhost", "app", "2", None),
        ("gcr.io/distroless/static:nonroot", "gcr.io", "distroless/static", "nonroot", None),
        ("myorg/app:build", None, "myorg/app", "build", None),
        ("app:", None, "app", "", None),
        # The text is not expanded: a variable's default has a colon of its own, and the tag follows the last one.
        ("golang:${GO:-1.22}", None, "golang:${GO", "-1.22}", None),
        # A registry is only a first part with a dot or a colon, or localhost.
        ("registry/app", None, "registry/app", None, None),
    ],
)
def test_an_image_reference_is_parsed_as_docker_reads_it(text, registry, path, tag, digest):
    ref = ImageRef.parse(text)
    assert (ref.registry, ref.path, ref.tag, ref.digest) == (registry, path, tag, digest)
    assert ref.text == text


@pytest.mark.parametrize(
    "text, name, key",
    [
        ("golang", "golang", "golang:latest"),
        ("golang:1.22", "golang", "golang:1.22"),
        ("library/golang:1.22", "golang", "golang:1.22"),
        ("docker.io/library/golang:1.22", "golang", "golang:1.22"),
        ("index.docker.io/library/golang", "golang", "golang:latest"),
        ("docker.io/myorg/app", "myorg/app", "myorg/app:latest"),
        ("index.docker.io/myorg/app:1", "myorg/app", "myorg/app:1"),
        ("golang@sha256:ab", "golang", "golang@sha256:ab"),
        ("golang:1.21@sha256:ab", "golang", "golang:1.21@sha256:ab"),
        # Another registry's golang is not the official one.
        ("localhost:5000/golang:1.22", "localhost:5000/golang", "localhost:5000/golang:1.22"),
        ("ghcr.io/library/golang", "ghcr.io/library/golang", "ghcr.io/library/golang:latest"),
        # What only the run knows parses too, and matches only itself.
        ("\x00$IMAGE\x00", "\x00$IMAGE\x00", "\x00$IMAGE\x00:latest"),
        ("app:\x00$TAG\x00", "app", "app:\x00$TAG\x00"),
    ],
)
def test_an_image_reference_has_a_name_and_a_key_as_docker_resolves_a_tag(text, name, key):
    ref = ImageRef.parse(text)
    assert (ref.name, ref.key) == (name, key)


@pytest.mark.parametrize(
    "text, version",
    [
        ("gradle:4.6-jdk8", (4, 6)),
        ("gradle:5.5", (5, 5)),
        ("node:20.11.0-alpine3.19", (20, 11, 0)),
        ("gradle:jdk8", None),
        ("gradle", None),
        ("gradle:latest", None),
        ("gradle@sha256:ab", None),
        ("gradle:8alpine", None),
    ],
)
def test_a_tag_version_is_the_numbers_it_starts_with(text, version):
    assert ImageRef.parse(text).tag_version == version


@pytest.mark.parametrize(
    "text, has_variable, known",
    [("golang:1.22", False, True), ("golang:${GO}", True, False), ("$BASE", True, False), ("\x00$(image)\x00", True, False), ("app:\x00`tag`\x00", False, False)],
)
def test_an_image_reference_knows_whether_the_run_decides_it(text, has_variable, known):
    ref = ImageRef.parse(text)
    assert (ref.has_variable, ref.known) == (has_variable, known)


@pytest.mark.parametrize(
    "text, windows",
    [
        ("mcr.microsoft.com/windows/servercore:ltsc2022", True),
        ("microsoft/nanoserver", True),
        ("golang:1.22-windowsservercore-ltsc2022", True),
        ("node:20-nanoserver-1809", True),
        ("GOLANG:1.22-NANOSERVER", True),
        ("golang:1.22", False),
        ("myorg/windows-tools-linux:1", False),
        ("localhost:5000/app:ltsc", False),
    ],
)
def test_a_windows_image_is_told_by_its_name_or_its_tag(text, windows):
    assert windows_image(text) is windows


# -- what dmigrate knows of outside images -----------------------------------------------------------------


@pytest.mark.parametrize(
    "reference, entrypoint, cmd, workdir, user",
    [
        ("golang:1.22", (), None, "/go", ""),
        ("docker.io/library/alpine:3.19", (), ("/bin/sh",), "/", ""),
        ("python:3.12-slim", (), ("python3",), "/", ""),
        ("scratch", (), (), "/", ""),
        ("node:20-alpine", ("docker-entrypoint.sh",), ("node",), "/", ""),
        ("node", ("docker-entrypoint.sh",), ("node",), "/", ""),
        ("node:lts-slim", ("docker-entrypoint.sh",), ("node",), "/", ""),
        # node set its ENTRYPOINT from 8.x on, counted from 10; a digest alone does not tell the version.
        ("node:8.9", None, None, None, None),
        ("node@sha256:ab", None, None, None, None),
        ("maven:3.9", None, None, None, None),
        ("myorg/golang:1.22", None, None, None, None),
        ("localhost:5000/golang:1.22", None, None, None, None),
        ("golang:${GO_VERSION}", None, None, None, None),
    ],
)
def test_what_a_container_of_an_outside_image_starts_with(reference, entrypoint, cmd, workdir, user):
    defaults = base_image_facts(reference).defaults
    assert (defaults.entrypoint, defaults.cmd, defaults.workdir, defaults.user) == (entrypoint, cmd, workdir, user)
    assert (defaults.unknown == "") is (entrypoint is not None)


def test_the_reason_an_outside_image_is_unknown_names_it():
    assert base_image_facts("golang:${GO}").defaults.unknown == "the image golang:${GO} depends on a build argument"
    assert base_image_facts("maven:3").defaults.unknown == "dmigrate does not know the ENTRYPOINT, CMD and WORKDIR of maven:3"


@pytest.mark.parametrize(
    "reference, root",
    [
        ("golang:1.22", True),
        ("maven:3.9-eclipse-temurin-21", True),
        ("opensuse/leap:15.5", True),
        # A tag a build argument gives is still a tag of an image that is root in every tag.
        ("golang:${GO_VERSION}", True),
        ("gradle:5.5-jdk11", True),
        ("gradle:8.5.0-jdk21-alpine", True),
        ("gradle:5.4.1-jdk11", False),
        ("gradle:jdk8", False),
        ("gradle", False),
        ("gradle:${V}", False),
        ("scratch", False),
        ("myorg/jdk:8", False),
        ("${BASE}", False),
    ],
)
def test_which_outside_images_are_proven_to_run_as_root(reference, root):
    assert base_image_facts(reference).runs_as_root is root


@pytest.mark.parametrize(
    "reference, volumes, without_triggers",
    [
        ("golang:1.22", (), True),
        ("node:8", (), True),
        ("scratch", (), False),
        ("maven:3", None, True),
        ("python:3-onbuild", (), False),
        ("golang:${GO}", None, False),
        ("\x00$IMAGE\x00", None, False),
        ("myorg/app", None, False),
    ],
)
def test_the_volumes_and_triggers_of_outside_images(reference, volumes, without_triggers):
    facts = base_image_facts(reference)
    assert (facts.volumes, facts.without_triggers) == (volumes, without_triggers)


# -- StageState: the working directory and user at each line --------------------------------------------------

STAGES = lines(
    "FROM golang:1.22 AS build",  # 1
    "WORKDIR src",  # 2
    "ENV OUT=/out NAME=",  # 3
    "WORKDIR $OUT/bin",  # 4
    "USER 1000:1000",  # 5
    "RUN make",  # 6
    "WORKDIR ${UNSET}",  # 7
    "RUN make install",  # 8
    "WORKDIR /abs",  # 9
    "FROM build",  # 10
    "WORKDIR ../x",  # 11
    "USER $UNSET",  # 12
    "COPY a b",  # 13
)


@pytest.mark.parametrize(
    "stage, line, workdir",
    [
        (0, 2, "/go"),  # the base's, golang's /go
        (0, 3, "/go/src"),
        (0, 5, "/out/bin"),  # an ENV of the stage is substituted
        (0, 8, None),  # a variable the stage never sets
        (0, 10, "/abs"),  # an absolute WORKDIR is known again
        (1, 11, "/abs"),  # a stage FROM another starts where that one ended
        (1, 12, "/x"),
    ],
)
def test_the_working_directory_at_each_line(stage, line, workdir):
    assert stage_states(STAGES)[stage].workdir_at(line) == workdir


def test_a_variable_an_env_sets_from_an_unknown_value_stays_unknown():
    state = stage_states(lines("FROM alpine", "ENV A=$UNSET B=/b", "WORKDIR /x/$A", "WORKDIR $B"))[0]
    assert [state.workdir_at(line) for line in (4, 5)] == [None, "/b"]


@pytest.mark.parametrize("stage, line, user", [(0, 5, ""), (0, 6, "1000:1000"), (1, 11, "1000:1000"), (1, 13, None)])
def test_the_user_at_each_line(stage, line, user):
    assert stage_states(STAGES)[stage].user_at(line) == user


def test_a_relative_workdir_on_an_unknown_one_stays_unknown():
    state = stage_states(lines("FROM myorg/base", "WORKDIR src", "WORKDIR /abs", "WORKDIR sub"))[0]
    assert [state.workdir_at(line) for line in (2, 3, 4, 5)] == [None, None, "/abs", "/abs/sub"]


def test_the_env_a_stage_sets():
    assert stage_states(STAGES)[0].env == {"OUT": "/out", "NAME": ""}
    assert stage_states(lines("FROM alpine", "ENV A=$UNSET B=x C=$B"))[0].env == {"A": "\x00", "B": "x", "C": "x"}


# -- StageState: what a container of its image starts with --------------------------------------------------


@pytest.mark.parametrize(
    "text, entrypoint, cmd, workdir, user",
    [
        (lines("FROM alpine:3.19"), (), ("/bin/sh",), "/", ""),
        (lines("FROM alpine:3.19", "CMD make"), (), ("/bin/sh", "-c", "make"), "/", ""),
        (lines("FROM alpine:3.19", 'CMD ["make", "all"]'), (), ("make", "all"), "/", ""),
        # An ENTRYPOINT clears the base's CMD, unless a CMD follows it in the stage.
        (lines("FROM alpine:3.19", 'ENTRYPOINT ["tool"]'), ("tool",), (), "/", ""),
        (lines("FROM alpine:3.19", 'CMD ["x"]', 'ENTRYPOINT ["tool"]'), ("tool",), ("x",), "/", ""),
        (lines("FROM alpine:3.19", 'SHELL ["/bin/bash", "-e", "-c"]', "ENTRYPOINT exec tool"), ("/bin/bash", "-e", "-c", "exec tool"), (), "/", ""),
        (lines("FROM alpine:3.19", "WORKDIR /w", "USER nobody"), (), ("/bin/sh",), "/w", "nobody"),
        (lines("FROM alpine:3.19", 'USER "app"'), (), ("/bin/sh",), "/", "app"),
        (lines("FROM alpine:3.19 AS a", "WORKDIR /a", "FROM a", "CMD go"), (), ("/bin/sh", "-c", "go"), "/a", ""),
        (lines("FROM maven:3", "WORKDIR /w"), None, None, "/w", None),
    ],
)
def test_what_a_container_of_a_stage_starts_with(text, entrypoint, cmd, workdir, user):
    defaults = stage_states(text)[-1].defaults
    assert (defaults.entrypoint, defaults.cmd, defaults.workdir, defaults.user) == (entrypoint, cmd, workdir, user)


@pytest.mark.parametrize(
    "text, unknown",
    [
        (lines("FROM alpine", "WORKDIR $X"), "the WORKDIR at line 2 cannot be known"),
        (lines("FROM alpine", "USER $U"), "the USER at line 2 cannot be known"),
        # What follows a SHELL that cannot be read is not read: the defaults stop there.
        (lines("FROM alpine", "SHELL bash", "CMD make", "WORKDIR /w"), "cannot read SHELL at line 2"),
        (lines("FROM maven:3"), "dmigrate does not know the ENTRYPOINT, CMD and WORKDIR of maven:3"),
    ],
)
def test_why_a_stage_s_defaults_are_unknown(text, unknown):
    assert stage_states(text)[-1].defaults.unknown == unknown


def test_a_shell_that_cannot_be_read_leaves_the_defaults_as_they_were_before_it():
    defaults = stage_states(lines("FROM alpine", "CMD a", "SHELL bash", "CMD b", "WORKDIR /w"))[0].defaults
    assert (defaults.cmd, defaults.workdir) == (("/bin/sh", "-c", "a"), "/")


# -- StageState: the paths a stage makes -----------------------------------------------------------------------

MAKES = lines(
    "FROM golang:1.22",  # 1
    "WORKDIR /src",  # 2
    "COPY go.mod ./",  # 3
    "RUN go build -o /out/app ./cmd/app",  # 4
    "RUN go build -o bin/ ./...",  # 5
    "RUN mkdir -p /data/cache && touch /data/x",  # 6
    "COPY a b /many",  # 7
    "COPY one /single",  # 8
    "RUN ln -s /out/app /usr/local/bin/app",  # 9
)


@pytest.mark.parametrize(
    "path, before, kind",
    [
        ("/src", None, "dir"),  # a WORKDIR
        ("/src/go.mod", None, None),  # copied into a directory: what it is is not said
        ("/out/app", None, "file"),  # -o FILE
        ("/out", None, "dir"),  # something is made below it
        ("/src/bin", None, "dir"),  # -o DIR/ relative to the WORKDIR
        ("/data/cache", None, "dir"),
        ("/data", None, "dir"),
        ("/many", None, "dir"),  # several sources: the destination is a directory
        ("/single", None, None),
        ("/", None, "dir"),
        ("/nowhere", None, None),
        ("/out/app", 4, None),  # above line 4 nothing made it
        ("/out/app", 5, "file"),
        ("/src", 2, None),
    ],
)
def test_what_a_stage_shows_a_path_is(path, before, kind):
    assert stage_states(MAKES)[0].kind_of(path, before) == kind


def test_a_workdir_makes_a_directory():
    state = stage_states(lines("FROM alpine", "WORKDIR /app", "WORKDIR sub"))[0]
    assert (state.kind_of("/app"), state.kind_of("/app/sub"), state.kind_of("/app", before_line=2)) == ("dir", "dir", None)


def test_an_unknown_working_directory_makes_nothing_known_with_relative_paths():
    state = stage_states(lines("FROM myorg/x", "RUN go build -o bin/app .", "RUN go build -o /abs/app ."))[0]
    assert state.kind_of("/bin/app") is None and state.kind_of("/abs/app") == "file"


@pytest.mark.parametrize(
    "path, kind",
    [
        ("/usr/local/bin/app", True),  # ln -s names it
        ("/opt/app", True),  # by its name (ln -s's target may be a directory)
        ("/out/other", False),
    ],
)
def test_which_paths_a_stage_may_make_symbolic_links(path, kind):
    assert stage_states(MAKES)[0].may_link(path) is kind


@pytest.mark.parametrize(
    "text, path, before, allow_context_copy, writes",
    [
        (lines("FROM alpine", "WORKDIR /work"), "/work", None, False, False),  # an empty directory: a mount hides nothing
        (lines("FROM alpine", "COPY x /work/x"), "/work", None, False, True),
        (lines("FROM alpine", "COPY x /"), "/work", None, False, True),  # a destination that holds the path
        (lines("FROM alpine", "COPY x /other"), "/work", None, False, False),
        (lines("FROM myorg/x", "COPY x dir"), "/work", None, False, True),  # where it copies to cannot be known
        (lines("FROM alpine", "COPY . /work"), "/work", None, True, False),  # the same context a mount of it shows
        (lines("FROM alpine", "COPY . /work"), "/work", None, False, True),
        (lines("FROM alpine", "COPY --from=x . /work"), "/work", None, True, True),
        (lines("FROM alpine", "WORKDIR /work", "RUN make"), "/work", None, False, True),  # a RUN in it
        (lines("FROM alpine", "RUN make > /work/log"), "/work", None, False, True),  # a RUN naming it
        (lines("FROM alpine", "RUN make > /workshop/log"), "/work", None, False, False),
        (lines("FROM myorg/x", "RUN make"), "/work", None, False, True),  # a RUN in an unknown directory
        (lines("FROM alpine", "RUN ls", "COPY x /work/"), "/work", 3, False, False),
    ],
)
def test_whether_a_stage_may_write_below_a_path(text, path, before, allow_context_copy, writes):
    state = stage_states(text)[0]
    assert state.writes_below(path, before_line=before, allow_context_copy=allow_context_copy) is writes


@pytest.mark.parametrize(
    "text, reads, mounts",
    [
        (lines("FROM alpine", "COPY a b /d/", "ADD c /e", "COPY --from=x f /g"), [("a", "b"), ("c",)], False),
        (lines("FROM alpine", "ADD https://x/y.tgz git@github.com:a/b /d/", "COPY <<EOF /h", "hi", "EOF"), [(), ()], False),
        (lines("FROM alpine", "RUN --mount=type=bind,target=/s make"), [], True),
        (lines("FROM alpine", "RUN --mount=target=/s make"), [], True),
        (lines("FROM alpine", "RUN --mount=type=bind,from=x,target=/s make", "RUN --mount=type=cache,target=/c make"), [], False),
    ],
)
def test_the_context_paths_a_stage_reads(text, reads, mounts):
    state = stage_states(text)[0]
    assert [sources for _, sources in state.context_reads] == reads
    assert state.mounts_context is mounts


# -- StageState: VOLUMEs and owners ------------------------------------------------------------------------------


def test_the_volumes_of_a_stage_and_its_bases():
    states = stage_states(lines("FROM alpine AS a", "VOLUME /data", "FROM a", 'VOLUME ["/logs", "/tmp/../cache"]'), "Dockerfile.build")
    assert [(v.path, v.declared_at) for v in states[1].volumes] == [
        ("/logs", "Dockerfile.build:4"),
        ("/cache", "Dockerfile.build:4"),
        ("/data", "Dockerfile.build:2"),
    ]
    assert states[1].volumes_unknown is None


@pytest.mark.parametrize(
    "text, unknown",
    [
        (lines("FROM alpine", "VOLUME $DATA"), "the VOLUME at Dockerfile:2"),
        (lines("FROM alpine", "VOLUME data"), "the VOLUME at Dockerfile:2"),
        (lines("FROM alpine", "ONBUILD VOLUME /x", "VOLUME $Y"), "the ONBUILD at Dockerfile:2"),
        (lines("FROM myorg/base"), "the base image myorg/base"),
        (lines("FROM myorg/base AS a", "VOLUME $Y", "FROM a"), "the VOLUME at Dockerfile:2"),
        (lines("FROM scratch"), None),
    ],
)
def test_what_may_declare_a_volume_dmigrate_cannot_see(text, unknown):
    assert stage_states(text)[-1].volumes_unknown == unknown


@pytest.mark.parametrize(
    "text, root",
    [
        (lines("FROM golang:1.22", "WORKDIR /src", "COPY . .", "RUN go build"), True),
        (lines("FROM golang:1.22", "USER 1000", "RUN make"), False),
        # USER root back does not give back the files written before it.
        (lines("FROM golang:1.22", "USER 1000", "RUN make", "USER root"), False),
        (lines("FROM golang:1.22", "USER root:staff"), False),
        (lines("FROM golang:1.22", "USER 0:0", "RUN make"), True),
        (lines("FROM golang:1.22", "COPY --chown=1000 . ."), False),
        (lines("FROM golang:1.22", "COPY --from=other /x /x"), False),
        (lines("FROM golang:1.22", "ADD app.tar.gz /x"), False),
        (lines("FROM golang:1.22", "ADD app /x"), True),
        (lines("FROM golang:1.22", "RUN chown -R 1000 /x"), False),
        (lines("FROM golang:1.22", "RUN npm ci"), False),
        (lines("FROM golang:1.22", "RUN <<EOF", "make", "EOF"), False),
        # An official image runs no ONBUILD before USER root; only then does USER root prove it.
        (lines("FROM gradle:4.6-jdk8", "USER root", "RUN gradle build"), True),
        (lines("FROM gradle:4.6-jdk8", "WORKDIR /src", "USER root", "RUN gradle build"), False),
        (lines("FROM gradle:4.6-jdk8", "RUN gradle build"), False),
        (lines("FROM myorg/jdk:8", "USER root", "RUN make"), False),
        (lines("FROM gradle:4.6-onbuild", "USER root", "RUN make"), False),
        (lines("FROM golang:1.22 AS a", "FROM a", "RUN make"), True),
        (lines("FROM golang:1.22 AS a", "USER 1000", "FROM a", "USER root", "RUN make"), False),
        # A stage's ONBUILD runs in the stage built FROM it.
        (lines("FROM golang:1.22 AS a", "ONBUILD RUN make", "FROM a", "RUN make"), False),
        (lines("FROM golang:1.22 AS a", "ONBUILD RUN make", "FROM a AS b", "FROM b"), False),
    ],
)
def test_whether_every_file_of_a_stage_is_root_s(text, root):
    assert stage_states(text)[-1].root_owned is root


def test_a_stage_s_lineage_goes_down_to_the_outside_image():
    states = stage_states(lines("FROM alpine AS a", "FROM a AS b", "FROM b", "FROM alpine"))
    assert [state.stage.index for state in states[2].lineage()] == [2, 1, 0]
    assert [state.stage.index for state in states[3].lineage()] == [3]
    assert states[2].start == states[1].defaults and states[0].start == base_image_facts("alpine").defaults


# -- the tracer's rules, on whole flows in memory -------------------------------------------------------------------

CP = {
    "build.sh": lines(
        "#!/bin/sh",
        "docker build -t app:build -f Dockerfile.build .",
        "docker create --name x app:build",
        "docker cp x:/out/app app",
        "docker rm x",
        "docker build -t app .",
    ),
    "Dockerfile.build": lines("FROM golang:1.22", "WORKDIR /src", "COPY . .", "RUN go build -o /out/app ."),
    "Dockerfile": lines("FROM alpine:3.19", "COPY app /usr/local/bin/app"),
}


def with_driver(*steps: str, **files: str) -> dict[str, str]:
    return dict(CP, **files, **{"build.sh": lines("#!/bin/sh", "docker build -t app:build -f Dockerfile.build .", *steps, "docker build -t app .")})


@pytest.mark.parametrize(
    "files, tracked, landed",
    [
        (CP, None, "app"),
        # A destination git tracks as a directory holds the copy.
        (with_driver("docker create --name x app:build", "docker cp x:/out/app bin", "docker rm x"), ["bin/README"], "bin/app"),
        # An absent one written with a slash is made for a directory; a file needs it to exist (the Dockerfile says it is one).
        (with_driver("docker create --name x app:build", "docker cp x:/out/app bin/", "docker rm x"), [], "bin/app"),
        (with_driver("mkdir -p bin", "docker create --name x app:build", "docker cp x:/out/app bin", "docker rm x"), [], "bin/app"),
        (with_driver("docker create --name x app:build", "docker cp x:/out/. dist", "docker rm x"), [], "dist"),
    ],
)
def test_where_docker_cp_puts_an_artifact_on_the_host(files, tracked, landed):
    files = dict(files)
    extra = {"Dockerfile": lines("FROM alpine:3.19", f"COPY {landed} /usr/local/bin/app")}
    graph = graph_of(dict(files, **extra), tracked=[*files, *(tracked or [])])
    assert [extraction.host_path.rsplit("dmigrate-table/", 1)[1] for extraction in graph.extractions] == [landed]


@pytest.mark.parametrize(
    "copy, relation, below",
    [
        ("COPY app /usr/local/bin/app", "itself", ""),
        ("COPY dist/app /srv/app", "inside", "app"),
        ("COPY . /srv", "directory", "dist"),
    ],
)
def test_how_a_copy_relates_to_an_artifact(copy, relation, below):
    extracted = "dist" if relation != "itself" else "app"
    files = with_driver("docker create --name x app:build", f"docker cp x:/out/{'.' if extracted == 'dist' else 'app'} {extracted}", "docker rm x")
    files["Dockerfile"] = lines("FROM alpine:3.19", copy)
    consumption = graph_of(files).consumptions[0]
    assert (consumption.relation, consumption.below) == (relation, below)


@pytest.mark.parametrize(
    "ignores, read",
    [
        ({}, True),
        ({".dockerignore": "app\n"}, False),
        # A Dockerfile's own NAME.dockerignore is the one its build reads, instead of the context's.
        ({".dockerignore": "app\n", "Dockerfile.dockerignore": "*.md\n"}, True),
        ({"Dockerfile.dockerignore": "app\n"}, False),
        ({".dockerignore": "*.md\n", "Dockerfile.build.dockerignore": "app\n"}, True),
    ],
)
def test_each_build_reads_the_dockerignore_of_its_own_dockerfile(ignores, read):
    files = dict(CP, **ignores)
    if read:
        assert [c.source for c in graph_of(files).consumptions] == ["app"]
    else:
        assert refusal_of(files) == "Dockerfile:2: 'app' is excluded by .dockerignore, so the legacy build could not have copied it"


SYMLINK_BUILD = lines("FROM alpine:3.19", "RUN mkdir /out && echo hi > /out/real && ln -s /out/real /out/app")


@pytest.mark.parametrize(
    "copy, refused",
    [
        ("docker cp x:/out/app app", True),
        ("docker cp -L x:/out/app app", False),
        ("docker cp x:/out/other app", False),
    ],
)
def test_docker_cp_of_a_symbolic_link_is_refused_as_copy_from_follows_it(copy, refused):
    files = with_driver("docker create --name x app:build", copy, "docker rm x", **{"Dockerfile.build": SYMLINK_BUILD})
    if refused:
        assert refusal_of(files).startswith("build.sh:4: /out/app is a symbolic link in the build image; docker cp copies the link")
    else:
        assert isinstance(plan_of(files).artifacts[0].stage, str)


def test_a_tar_stream_of_a_symbolic_link_is_refused():
    files = with_driver("docker run --rm app:build tar -c -C /out app | tar -x -C dist", **{"Dockerfile.build": SYMLINK_BUILD})
    files["Dockerfile"] = lines("FROM alpine:3.19", "COPY dist/app /app")
    assert refusal_of(files) == (
        "build.sh:3: /out/app is a symbolic link in the build image; tar packs the link while COPY --from follows it"
    )


@pytest.mark.parametrize(
    "steps, mode",
    [
        (("docker run --rm app:build cat /out/app > app",), 0o644),
        (("umask 027", "docker run --rm app:build cat /out/app > app"), 0o640),
        (("docker run --rm app:build cat /out/app > app", "chmod 0755 app"), 0o755),
        (("docker run --rm app:build cat /out/app > app", "chmod g+w app"), 0o664),
        (("docker create --name x app:build", "docker cp x:/out/app app", "docker rm x"), None),
        (("docker create --name x app:build", "docker cp x:/out/app app", "docker rm x", "chmod 700 app"), 0o700),
    ],
)
def test_the_mode_an_artifact_has_on_the_host(steps, mode):
    assert graph_of(with_driver(*steps)).extractions[0].known_mode == mode


def test_a_setuid_chmod_on_the_host_is_refused():
    files = with_driver("docker create --name x app:build", "docker cp x:/out/app app", "docker rm x", "chmod 4755 app")
    assert refusal_of(files).startswith("build.sh:6: this chmod gives app the mode 4755, with a setuid, setgid or sticky bit")


def test_a_relative_path_a_run_prints_starts_at_its_working_directory():
    files = with_driver("docker run --rm app:build cat app > app", **{"Dockerfile.build": lines("FROM golang:1.22", "WORKDIR /out", "RUN go build -o app .")})
    assert graph_of(files).extractions[0].source.path == "/out/app"
    files["Dockerfile.build"] = lines("FROM golang:1.22", "WORKDIR $OUT", "RUN go build -o app .")
    assert refusal_of(files) == "build.sh:3: the working directory of app:build cannot be known, so neither can app"


def test_a_writable_bind_mount_hands_the_run_s_files_to_the_host():
    files = with_driver("docker run --rm -v \"$PWD/out:/out\" app:build make", **{"Dockerfile.build": lines("FROM golang:1.22", "WORKDIR /src")})
    files["Dockerfile"] = lines("FROM alpine:3.19", "COPY out/app /app")
    extraction = graph_of(files).extractions[0]
    assert (extraction.via, extraction.source.path, extraction.source.contents_only, extraction.from_run) == ("bind mount", "/out", True, True)


@pytest.mark.parametrize(
    "target, outcome",
    [
        # The artifact renamed on the host lands in a directory under its host name, in a file's place otherwise.
        ("/srv/app", "refused"),
        ("/usr/local/bin", "shown"),  # a standard directory
        ("/opt/tool/", "shown"),  # a trailing slash
        ("/srv/renamed", "assumed"),  # the target carries the host name
    ],
)
def test_an_artifact_renamed_on_the_host_needs_its_copy_target_shown(target, outcome):
    files = with_driver("docker create --name x app:build", "docker cp x:/out/app renamed", "docker rm x")
    files["Dockerfile"] = lines("FROM alpine:3.19", f"COPY renamed {target}")
    if outcome == "refused":
        assert refusal_of(files).startswith("Dockerfile:2: renamed is /out/app renamed on the host, and dmigrate cannot tell whether /srv/app")
        return
    decisions = graph_of(files).decisions
    assumed = [decision for decision in decisions if "assumed /srv/renamed is not a directory" in decision]
    assert bool(assumed) is (outcome == "assumed")


@pytest.mark.parametrize(
    "runtime, refused",
    [
        # Made below the COPY: the COPY could not see it.
        (lines("FROM alpine:3.19", "COPY renamed /srv/app", "RUN mkdir -p /srv/app"), True),
        # A relative target is seen from the stage's working directory: /usr/local/bin is a standard directory.
        (lines("FROM alpine:3.19", "WORKDIR /usr", "COPY renamed local/bin"), False),
        (lines("FROM alpine:3.19", "WORKDIR /srv", "COPY renamed local/bin"), True),
    ],
)
def test_what_a_renamed_target_is_is_read_where_the_copy_stands(runtime, refused):
    files = with_driver("docker create --name x app:build", "docker cp x:/out/app renamed", "docker rm x")
    files["Dockerfile"] = runtime
    if refused:
        assert "renamed is /out/app renamed on the host" in refusal_of(files)
    else:
        assert graph_of(files).consumptions


def test_a_renamed_target_a_stage_makes_or_scratch_leaves_absent_is_shown():
    files = with_driver("docker create --name x app:build", "docker cp x:/out/app renamed", "docker rm x")
    files["Dockerfile"] = lines("FROM alpine:3.19", "RUN mkdir -p /srv/app", "COPY renamed /srv/app")
    assert graph_of(files).consumptions
    files["Dockerfile"] = lines("FROM scratch", "COPY renamed /srv/app")
    assert graph_of(files).consumptions
    files["Dockerfile"] = lines("FROM scratch", "COPY other /srv/", "COPY renamed /srv/app")
    assert refusal_of(files).startswith("Dockerfile:3: renamed is /out/app renamed on the host")


def test_a_directory_the_host_makes_with_another_mode_is_refused():
    files = with_driver("mkdir -m 700 site", "docker create --name x app:build", "docker cp x:/out/app site/app", "docker rm x")
    files["Dockerfile"] = lines("FROM alpine:3.19", "COPY . /srv")
    assert refusal_of(files).startswith("build.sh:3: `mkdir -m 700 site` makes site with mode 0700, and Dockerfile:2 copies it into the image")


def test_a_stage_s_state_is_built_on_its_base_across_builds():
    files = with_driver(
        "docker build -t base:1 -f Dockerfile.base .",
        "docker build -t app:build -f Dockerfile.build .",
        "docker create --name x app:build",
        "docker cp x:/out/app app",
        "docker rm x",
        **{
            "Dockerfile.base": lines("FROM golang:1.22", "WORKDIR /w", "USER 1000"),
            "Dockerfile.build": lines("FROM later AS first", "FROM base:1 AS later", "RUN go build -o /out/app ."),
        },
    )
    graph = graph_of(files)
    base, build = graph.images[1], graph.images[2]
    first, later = build.dockerfile.stages
    # FROM an image an earlier build made: its stage's state.
    assert graph.stage_state(build, later).base is graph.image_state(base)
    assert (graph.stage_state(build, later).start.workdir, graph.stage_state(build, later).start.user) == ("/w", "1000")
    # FROM a stage that comes later in the file is FROM an image of that name.
    assert graph.stage_state(build, first).base == ImageRef.parse("later")


@pytest.mark.parametrize(
    "step, extracted, read",
    [
        # mv takes the artifact along; cp -a leaves it and makes a second one.
        ("mv app bin/tool", ["bin/tool"], "bin/tool"),
        ("cp -a app bin/tool", ["app", "bin/tool"], "bin/tool"),
    ],
)
def test_a_host_step_that_moves_or_copies_an_artifact_is_followed(step, extracted, read):
    files = with_driver("docker create --name x app:build", "docker cp x:/out/app app", "docker rm x", "mkdir -p bin", step)
    files["Dockerfile"] = lines("FROM alpine:3.19", "COPY bin/tool /usr/local/bin/tool")
    graph = graph_of(files)
    assert [e.host_path.rsplit("dmigrate-table/", 1)[1] for e in graph.extractions] == extracted
    consumption = graph.consumptions[0]
    assert (consumption.extraction.host_path.endswith(read), consumption.relation, consumption.extraction.source.path) == (True, "itself", "/out/app")


def test_a_file_extracted_twice_to_one_path_is_the_later_copy():
    files = with_driver(
        "docker create --name x app:build", "docker cp x:/out/app app", "docker cp x:/out/other app", "docker rm x"
    )
    graph = graph_of(files)
    assert graph.warnings == ["build.sh:5: app is extracted a second time; the later copy wins"]
    assert [c.extraction.source.path for c in graph.consumptions] == ["/out/other"]
