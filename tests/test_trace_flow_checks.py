"""Checks the tracer makes over the whole flow: what reaches an artifact besides the build that made it.

- a renamed build ARG that nothing sets stays unset in its stage;
- a second `docker run` that writes into a directory a first one extracted;
- host steps that write into a directory the runtime COPY reads, or whose effect
  cannot be read, while the artifacts sit on the host;
- a build stage that copies the context, which the migration changes, into an artifact;
- host steps between the build of the build image and the runtime build, which
  the migrated stage would see because it is built where the runtime build is;
- a `.dockerignore` that takes back part of an excluded artifact directory.
"""

from __future__ import annotations

import pytest

from support import d, make_project, migrate, migrate_leaving_disk_unchanged, texts_after

BUILD = "FROM alpine:3.19\nRUN mkdir -p /build && echo bin > /build/app\n"
OUT_RUNTIME = "FROM alpine:3.19\nCOPY out /opt\n"
MERGED_OUT = "FROM alpine:3.19 AS builder\nRUN mkdir -p /build && echo bin > /build/app\n\nFROM alpine:3.19\nCOPY --from=builder /build/app /opt/app\n"


def driver(middle: str, *, after: str = "") -> str:
    """A driver that builds the build image, runs ``middle``, then the runtime build, then ``after``."""
    return "#!/bin/sh\nset -e\ndocker build -f Dockerfile.build -t app:build .\n" + middle + "\ndocker build -t app .\n" + after


EXTRACT_INTO_OUT = "mkdir -p out\ndocker create --name c app:build\ndocker cp c:/build/app out/app\ndocker rm c"


COPY_VERSION = "FROM alpine:3.19\nCOPY VERSION /out/app\n"
EXTRACT_VERSION = "docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c"

MIGRATES = {
    "a file added before the runtime build that the build stage copies but that lands outside the artifact": (
        {
            "build.sh": driver("touch build.stamp\n" + EXTRACT_VERSION),
            "Dockerfile.build": "FROM alpine:3.19\nCOPY . /src\nRUN mkdir -p /out && cp /src/VERSION /out/app\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY app /app\n",
            "VERSION": "1\n",
        },
        {
            "Dockerfile": "FROM alpine:3.19 AS builder\nCOPY . /src\nRUN mkdir -p /out && cp /src/VERSION /out/app\n\n"
            "FROM alpine:3.19\nCOPY --from=builder /out/app /app\n",
            "build.sh": "#!/bin/sh\nset -e\ntouch build.stamp\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "a program between the builds, when the build image reads nothing from the context": (
        {
            "build.sh": driver("./notify.py\n" + EXTRACT_VERSION),
            "Dockerfile.build": "FROM alpine:3.19\nRUN mkdir -p /out && echo 1 > /out/app\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY app /app\n",
            "notify.py": "print('built')\n",
        },
        {
            "Dockerfile": "FROM alpine:3.19 AS builder\nRUN mkdir -p /out && echo 1 > /out/app\n\n"
            "FROM alpine:3.19\nCOPY --from=builder /out/app /app\n",
            "build.sh": "#!/bin/sh\nset -e\n./notify.py\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "a renamed ARG without a value anywhere is left out of its stage, so it stays unset there": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -f Dockerfile.build -t app:build .
                docker create --name c app:build
                docker cp c:/out/app app
                docker rm c
                docker build --build-arg FLAVOR=x -t app .
                """
            ),
            "Dockerfile.build": d(
                """
                ARG FLAVOR=global
                ARG UNUSED
                FROM alpine:3.19
                ARG FLAVOR
                ARG UNUSED
                RUN mkdir -p /out && echo "flavor=${FLAVOR-unset} unused=${UNUSED-unset}" > /out/app
                """
            ),
            "Dockerfile": "ARG UNUSED=r\nFROM alpine:3.19\nARG FLAVOR\nARG UNUSED\nLABEL flavor=$FLAVOR unused=$UNUSED\nCOPY app /app\n",
        },
        {
            "Dockerfile": d(
                """
                ARG BUILDER_FLAVOR=global
                ARG BUILDER_UNUSED
                ARG UNUSED=r

                FROM alpine:3.19 AS builder
                ARG BUILDER_FLAVOR
                ENV FLAVOR=${BUILDER_FLAVOR}
                RUN mkdir -p /out && echo "flavor=${FLAVOR-unset} unused=${UNUSED-unset}" > /out/app

                FROM alpine:3.19
                ARG FLAVOR
                ARG UNUSED
                LABEL flavor=$FLAVOR unused=$UNUSED
                COPY --from=builder /out/app /app
                """
            ),
            "build.sh": "#!/bin/sh\nset -e\ndocker build --build-arg FLAVOR=x -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "a renamed ARG that is never set needs no ENV, so a stage built on its stage may stay": (
        {
            "build.sh": driver("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c").replace(
                "docker build -t app .", "docker build --build-arg MODE=prod -t app ."
            ),
            "Dockerfile.build": "FROM alpine:3.19 AS base\nARG MODE\nRUN echo ${MODE:-none} > /mode\nFROM base\nRUN mkdir /out && cp /mode /out/app\n",
            "Dockerfile": "FROM alpine:3.19\nARG MODE\nCOPY app /app\n",
        },
        {
            "Dockerfile": d(
                """
                FROM alpine:3.19 AS base
                RUN echo ${MODE:-none} > /mode
                FROM base AS builder
                RUN mkdir /out && cp /mode /out/app

                FROM alpine:3.19
                ARG MODE
                COPY --from=builder /out/app /app
                """
            ),
            "build.sh": "#!/bin/sh\nset -e\ndocker build --build-arg MODE=prod -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "eval before the first extraction and sh -c after the runtime build stay": (
        {
            "build.sh": driver('eval "echo preparing"\n' + EXTRACT_INTO_OUT, after="sh -c 'echo done'\n"),
            "Dockerfile.build": BUILD,
            "Dockerfile": OUT_RUNTIME,
        },
        {
            "Dockerfile": MERGED_OUT,
            "build.sh": "#!/bin/sh\nset -e\neval \"echo preparing\"\ndocker build -t app .\nsh -c 'echo done'\n",
            "Dockerfile.build": None,
        },
    ),
    "a glob that cannot name an artifact, while the artifacts are on the host": (
        {
            "build.sh": driver(EXTRACT_INTO_OUT + "\nshellcheck ./*.sh"),
            "Dockerfile.build": BUILD,
            "Dockerfile": OUT_RUNTIME,
        },
        {
            "Dockerfile": MERGED_OUT,
            "build.sh": "#!/bin/sh\nset -e\nshellcheck ./*.sh\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "a build stage that copies its context into the artifact, with the files the migration changes left out": (
        {
            "build.sh": driver("rm -rf web\ndocker create --name c app:build\ndocker cp c:/web ./web\ndocker rm c"),
            "Dockerfile.build": "FROM node:20\nWORKDIR /web\nCOPY . .\nRUN npm ci && npm run build\n",
            "Dockerfile": "FROM nginx:1.25\nCOPY web /srv/web\n",
            ".dockerignore": ".git\n.dockerignore\nDockerfile*\nbuild.sh\n",
            "package.json": "{}\n",
        },
        {
            "Dockerfile": "FROM node:20 AS builder\nWORKDIR /web\nCOPY . .\nRUN npm ci && npm run build\n\nFROM nginx:1.25\nCOPY --from=builder --chown=0:0 /web /srv/web\n",
            "build.sh": "#!/bin/sh\nset -e\nrm -rf web\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
}


@pytest.mark.parametrize("name", list(MIGRATES), ids=list(MIGRATES))
def test_migrates(tmp_path, name):
    files, expected = MIGRATES[name]
    root = make_project(tmp_path / "project", files)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    assert texts_after(outcome, root) == expected


SECOND_RUN = d(
    """
    rm -rf out
    docker run --rm -v "$(pwd)/out:/out" app:build
    docker run --rm -v "$(pwd)/out:/out" app:build "echo extra > /out/extra.txt"
    """
)
RUN_BUILD = 'FROM alpine:3.19\nRUN mkdir -p /build && echo bin > /build/app\nENTRYPOINT ["/bin/sh", "-c"]\nCMD ["cp -a /build/. /out/"]\n'
WHOLE_CONTEXT = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm run build\n"
EXTRACT_APP = "docker create --name c app:build\ndocker cp c:/app ./app\ndocker rm c"

REFUSED = {
    # name: (files, (file, line), fragment)
    "a host step changes a file the build image read, before the runtime build": (
        {
            "build.sh": driver("cp next.txt VERSION\n" + EXTRACT_VERSION),
            "Dockerfile.build": COPY_VERSION,
            "Dockerfile": "FROM alpine:3.19\nCOPY app /app\n",
            "VERSION": "1\n",
            "next.txt": "2\n",
        },
        ("build.sh", 4),
        "`cp next.txt VERSION` changes VERSION, and Dockerfile.build reads it; it runs after build.sh:3 and before the build at "
        "build.sh:8, where the migrated build now builds that stage, so the stage would see a change the legacy build image never saw",
    ),
    "a program runs between the build image's build and the runtime build, and the build image reads the context": (
        {
            "build.sh": driver("./bump.py\n" + EXTRACT_VERSION),
            "Dockerfile.build": COPY_VERSION,
            "Dockerfile": "FROM alpine:3.19\nCOPY app /app\n",
            "VERSION": "1\n",
            "bump.py": "open('VERSION', 'w').write('2')\n",
        },
        ("build.sh", 4),
        "`./bump.py` runs a program whose effect on files dmigrate cannot read, and Dockerfile.build reads files of .",
    ),
    "a file added between the build image's build and the runtime build lands in the artifact": (
        {
            "build.sh": driver("touch build.stamp\ndocker create --name c app:build\ndocker cp c:/src ./src\ndocker rm c"),
            "Dockerfile.build": "FROM alpine:3.19\nCOPY . /src\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY src /srv\n",
            ".dockerignore": "Dockerfile*\nbuild.sh\n.dockerignore\n",
            "main.c": "int main(void) { return 0; }\n",
        },
        ("Dockerfile.build", 2),
        "copies build.stamp, which ends up in /src, the artifact build.sh:6 extracts and Dockerfile:2 copies into the image; "
        "the stage is now built after `touch build.stamp` at build.sh:4 adds build.stamp",
    ),
    "a renamed build arg that takes its value from the environment": (
        {
            "build.sh": driver("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c").replace(
                "docker build -f Dockerfile.build", "docker build --build-arg MODE -f Dockerfile.build"
            ).replace("docker build -t app .", "docker build --build-arg MODE=prod -t app ."),
            "Dockerfile.build": "FROM alpine:3.19\nARG MODE\nRUN mkdir /out && echo ${MODE:-none} > /out/app\n",
            "Dockerfile": "FROM alpine:3.19\nARG MODE\nCOPY app /app\n",
        },
        ("build.sh", 3),
        "--build-arg MODE takes its value from the environment and clashes with the runtime build's MODE",
    ),
    "a renamed ARG with a value in a stage another stage is built on": (
        {
            "build.sh": driver("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c").replace(
                "docker build -t app .", "docker build --build-arg MODE=prod -t app ."
            ),
            "Dockerfile.build": "FROM alpine:3.19 AS base\nARG MODE=dev\nRUN echo $MODE > /mode\nFROM base\nRUN mkdir /out && cp /mode /out/app\n",
            "Dockerfile": "FROM alpine:3.19\nARG MODE\nCOPY app /app\n",
        },
        ("Dockerfile.build", 2),
        "would leak into the stages built on this one",
    ),
    "a second run writes into the directory the first one extracted": (
        {"build.sh": driver(SECOND_RUN), "Dockerfile.build": RUN_BUILD, "Dockerfile": "FROM alpine:3.19\nCOPY out/ /opt/\n"},
        ("build.sh", 6),
        "this run writes into out through its bind mount, after build.sh:5 put out there, and Dockerfile:2 reads it",
    ),
    "a second run writes into a directory inside the extracted one": (
        {
            "build.sh": driver(SECOND_RUN.replace('"$(pwd)/out:/out" app:build "echo', '"$(pwd)/out/sub:/out" app:build "echo')),
            "Dockerfile.build": RUN_BUILD,
            "Dockerfile": "FROM alpine:3.19\nCOPY out/ /opt/\n",
        },
        ("build.sh", 6),
        "this run writes into out/sub through its bind mount, after build.sh:5 put out there",
    ),
    "a host copy into the directory the runtime COPY reads, after the extraction": (
        {"build.sh": driver(EXTRACT_INTO_OUT + "\ncp config.yml out/config.yml"), "Dockerfile.build": BUILD, "Dockerfile": OUT_RUNTIME, "config.yml": "a: 1\n"},
        ("build.sh", 8),
        "`cp config.yml out/config.yml` puts out/config.yml into out, which COPY out at Dockerfile:2 copies",
    ),
    "a host copy into the directory the runtime COPY reads, before the extraction": (
        {
            "build.sh": driver("mkdir -p out\ncp config.yml out/config.yml\n" + EXTRACT_INTO_OUT.replace("mkdir -p out\n", "")),
            "Dockerfile.build": BUILD,
            "Dockerfile": OUT_RUNTIME,
            "config.yml": "a: 1\n",
        },
        ("build.sh", 5),
        "out/config.yml would be left out",
    ),
    "a redirect into the directory the runtime COPY reads": (
        {"build.sh": driver(EXTRACT_INTO_OUT + "\necho x > out/extra.txt"), "Dockerfile.build": BUILD, "Dockerfile": OUT_RUNTIME},
        ("build.sh", 8),
        "`> out/extra.txt` puts out/extra.txt into out",
    ),
    "an empty directory made in the directory the runtime COPY reads": (
        {"build.sh": driver(EXTRACT_INTO_OUT + "\nmkdir out/logs"), "Dockerfile.build": BUILD, "Dockerfile": OUT_RUNTIME},
        ("build.sh", 8),
        "`mkdir out/logs` puts out/logs into out",
    ),
    "a host command with a path only the run knows, while the artifacts are on the host": (
        {"build.sh": driver(EXTRACT_INTO_OUT + '\ncp config.yml "$1"'), "Dockerfile.build": BUILD, "Dockerfile": OUT_RUNTIME, "config.yml": "a: 1\n"},
        ("build.sh", 8),
        '`cp config.yml "$1"` names "$1", which cannot be known without running the driver; it runs while out/app is on the host '
        "(from build.sh:6 until the build at build.sh:9 reads it)",
    ),
    "a glob that may name the artifact, while it is on the host": (
        {"build.sh": driver(EXTRACT_INTO_OUT + "\nstrip out/*"), "Dockerfile.build": BUILD, "Dockerfile": OUT_RUNTIME},
        ("build.sh", 8),
        "`strip out/*` names out/*",
    ),
    "a program of the project while the artifacts are on the host": (
        {"build.sh": driver(EXTRACT_INTO_OUT + "\n./gen.py"), "Dockerfile.build": BUILD, "Dockerfile": OUT_RUNTIME, "gen.py": "print(1)\n"},
        ("build.sh", 8),
        "`./gen.py` runs a program whose effect on files dmigrate cannot read (move it before the extraction or after that build); "
        "it runs while out/app is on the host (from build.sh:6 until the build at build.sh:9 reads it)",
    ),
    "a build tool while the artifacts are on the host": (
        {"build.sh": driver(EXTRACT_INTO_OUT + "\nmake assets"), "Dockerfile.build": BUILD, "Dockerfile": OUT_RUNTIME},
        ("build.sh", 8),
        "`make assets` runs a program whose effect on files dmigrate cannot read",
    ),
    "git clean while the artifacts are on the host": (
        {"build.sh": driver(EXTRACT_INTO_OUT + "\ngit clean -fdx"), "Dockerfile.build": BUILD, "Dockerfile": OUT_RUNTIME},
        ("build.sh", 8),
        "`git clean -fdx` runs a program whose effect on files dmigrate cannot read",
    ),
    "a command named by a variable while the artifacts are on the host": (
        {"build.sh": driver(EXTRACT_INTO_OUT + '\n"$POST" out'), "Dockerfile.build": BUILD, "Dockerfile": OUT_RUNTIME},
        ("build.sh", 8),
        '`"$POST" out` names "$POST", which cannot be known without running the driver',
    ),
    "eval while the artifacts are on the host": (
        {"build.sh": driver(EXTRACT_INTO_OUT + '\neval "cp config.yml out/"'), "Dockerfile.build": BUILD, "Dockerfile": OUT_RUNTIME},
        ("build.sh", 8),
        "`eval` runs code that cannot be read statically; it runs while out/app is on the host",
    ),
    "sh -c while the artifacts are on the host": (
        {"build.sh": driver(EXTRACT_INTO_OUT + "\nsh -c 'chmod 600 out/app'"), "Dockerfile.build": BUILD, "Dockerfile": OUT_RUNTIME},
        ("build.sh", 8),
        "so what it does to the artifacts cannot be known",
    ),
    "a sourced file while the artifacts are on the host": (
        {"build.sh": driver(EXTRACT_INTO_OUT + "\n. ./post.env"), "Dockerfile.build": BUILD, "Dockerfile": OUT_RUNTIME, "post.env": "X=1\n"},
        ("build.sh", 8),
        "reads another file, which dmigrate does not follow; it runs while out/app is on the host",
    ),
    "a build stage copies its whole context into the extracted directory": (
        {"build.sh": driver(EXTRACT_APP), "Dockerfile.build": WHOLE_CONTEXT, "Dockerfile": "FROM node:20\nCOPY app /srv/app\n"},
        ("Dockerfile.build", 3),
        "`COPY . .` copies Dockerfile, Dockerfile.build, build.sh, which end up in /app, the artifact build.sh:5 extracts and "
        "Dockerfile:2 copies into the image; the migration deletes Dockerfile.build and rewrites Dockerfile, build.sh",
    ),
    "a build stage adds its context to the directory whose contents are extracted": (
        {
            "build.sh": driver("docker create --name c app:build\ndocker cp c:/srv/. ./site\ndocker rm c"),
            "Dockerfile.build": "FROM node:20\nADD . /srv\nRUN npm run build\n",
            "Dockerfile": "FROM nginx:1.25\nCOPY site /usr/share/nginx/html\n",
        },
        ("Dockerfile.build", 2),
        "`ADD . /srv` copies Dockerfile, Dockerfile.build, build.sh, which end up in /srv",
    ),
    "a build stage copies the driver by name into the extracted directory": (
        {
            "build.sh": driver(EXTRACT_APP),
            "Dockerfile.build": "FROM node:20\nWORKDIR /app\nCOPY build.sh package.json ./\nRUN npm run build\n",
            "Dockerfile": "FROM node:20\nCOPY app /srv/app\n",
            "package.json": "{}\n",
        },
        ("Dockerfile.build", 3),
        "copies build.sh, which ends up in /app",
    ),
    "the context reaches the artifact through COPY --from of an earlier stage": (
        {
            "build.sh": driver(EXTRACT_APP),
            "Dockerfile.build": "FROM node:20 AS deps\nWORKDIR /src\nCOPY . .\nRUN npm ci\nFROM node:20\nCOPY --from=deps /src /app\n",
            "Dockerfile": "FROM node:20\nCOPY app /srv/app\n",
        },
        ("Dockerfile.build", 3),
        "which end up in /app",
    ),
    "the .dockerignore the migration adds a line to reaches the artifact": (
        {
            "build.sh": driver(EXTRACT_APP),
            "Dockerfile.build": WHOLE_CONTEXT,
            "Dockerfile": "FROM node:20\nCOPY . /srv\n",
            ".dockerignore": ".git\nDockerfile*\nbuild.sh\n",
        },
        ("Dockerfile.build", 3),
        "`COPY . .` copies .dockerignore, which ends up in /app, the artifact build.sh:5 extracts and Dockerfile:2 copies into the "
        "image; the migration rewrites it, so the image would hold its new text",
    ),
    "a run writes into the project through a bind mount, and another container's file is copied into it": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -f Dockerfile.build -t app:build .
                docker run --rm -v "$PWD":/src -w /src golang:1.22 go generate ./...
                docker create --name c app:build
                docker cp c:/out/app ./app
                docker rm c
                docker build -t app .
                """
            ),
            "Dockerfile.build": "FROM golang:1.22\nWORKDIR /src\nCOPY main.go go.mod ./\nRUN go build -o /out/app .\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n",
            "main.go": "package main\n",
            "go.mod": "module example.com/app\n",
        },
        ("Dockerfile", 2),
        "'app' lies in ., which the run at build.sh:4 writes into through its bind mount, and build.sh:6 extracts app too; "
        "dmigrate cannot tell which of them the build reads",
    ),
    "a run mounts the project, which is then copied out of its container": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker run --name r -v "$PWD":/src -w /src golang:1.21 go build -o app .
                docker cp r:/src/. ./copy
                docker rm r
                docker build -t app .
                """
            ),
            "Dockerfile": "FROM alpine:3.19\nCOPY copy /srv\n",
            "main.go": "package main\n",
        },
        ("build.sh", 2),
        "this bind mount, a COPY of the project in the migrated stage, copies Dockerfile, build.sh, which end up in /src, "
        "the artifact build.sh:3 extracts",
    ),
    ".dockerignore takes back one file of an excluded artifact directory": (
        {
            "build.sh": driver("docker create --name c app:build\ndocker cp c:/out/dist dist\ndocker rm c"),
            "Dockerfile.build": "FROM alpine:3.19\nRUN mkdir -p /out/dist && echo js > /out/dist/main.js && echo t > /out/dist/test.txt\n",
            ".dockerignore": "*\n!dist/main.js\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY dist /app/\n",
        },
        ("Dockerfile", 2),
        ".dockerignore leaves out part of the extracted dist, which a COPY --from cannot reproduce",
    ),
    ".dockerignore excludes the artifact directory and takes back a file below it": (
        {
            "build.sh": driver("docker create --name c app:build\ndocker cp c:/out/dist dist\ndocker rm c"),
            "Dockerfile.build": "FROM alpine:3.19\nRUN mkdir -p /out/dist && echo js > /out/dist/main.js && echo t > /out/dist/test.txt\n",
            ".dockerignore": "dist\n!dist/main.js\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY dist /app/\n",
        },
        ("Dockerfile", 2),
        ".dockerignore leaves out part of the extracted dist",
    ),
}


@pytest.mark.parametrize("name", list(REFUSED), ids=list(REFUSED))
def test_refused(tmp_path, name):
    files, (file, line), fragment = REFUSED[name]
    root = make_project(tmp_path / "project", files)
    outcome = migrate_leaving_disk_unchanged(root / "build.sh")
    assert outcome.status == "refused", outcome.message
    assert (outcome.location.file.name, outcome.location.line) == (file, line), outcome.message
    assert fragment in outcome.message


def test_an_excluded_file_artifact_is_still_called_excluded(tmp_path):
    files = {
        "build.sh": driver("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c"),
        "Dockerfile.build": "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n",
        ".dockerignore": "app\n!app/x\n",
        "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n",
    }
    root = make_project(tmp_path / "project", files)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "refused"
    assert "is excluded by .dockerignore" in outcome.message


def test_a_runtime_copy_of_the_mounted_project_is_refused_at_that_copy(tmp_path):
    """The legacy image holds the driver and the Dockerfile as they were; the migrated one would hold their new text."""
    files = {
        "build.sh": '#!/bin/sh\ndocker run --rm -v "$PWD":/app -w /app node:20 sh -c \'npm ci && npm run build\'\ndocker build -t app .\n',
        "Dockerfile": 'FROM node:20\nWORKDIR /srv\nCOPY . .\nCMD ["node", "dist/index.js"]\n',
        "package.json": "{}\n",
    }
    root = make_project(tmp_path / "project", files)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "refused", outcome.message
    assert (outcome.location.file.name, outcome.location.line) == ("Dockerfile", 3)
    assert outcome.message.startswith(
        "`COPY . .` copies Dockerfile, build.sh into the image, and the migration rewrites them, so the image would hold their new text"
    )


def test_a_context_copy_lands_beside_an_artifact_named_like_the_project_directory(tmp_path):
    # WORKDIR …/counter, COPY . ., go build -o counter: the context's files land beside the binary, not in it.
    files = {
        "Dockerfile.build": "FROM golang:1.21\nWORKDIR /go/src/example.com/counter\nCOPY . .\nRUN go build -o counter .\n",
        "Dockerfile": "FROM alpine:3.19\nCOPY counter /usr/local/bin/counter\n",
        "build.sh": (
            "#!/bin/sh\n"
            "docker build -t counter:build -f Dockerfile.build .\n"
            "docker create --name c counter:build\n"
            "docker cp c:/go/src/example.com/counter/counter ./counter\n"
            "docker rm c\n"
            "docker build -t counter .\n"
        ),
    }
    root = make_project(tmp_path / "counter", files)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message


def test_a_file_added_between_the_builds_is_warned_about_where_a_stage_copies_it(tmp_path):
    files = MIGRATES["a file added before the runtime build that the build stage copies but that lands outside the artifact"][0]
    root = make_project(tmp_path / "project", files)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    assert outcome.plan.warnings == (
        "build.sh:3: Dockerfile.build now also sees build.stamp, which `touch build.stamp` at build.sh:4 adds before the runtime "
        "build; no COPY puts it in an artifact, but a build step that reads the whole copied tree would see it",
    )


def test_nothing_is_warned_about_when_the_build_image_reads_nothing_the_driver_adds(tmp_path):
    files = MIGRATES["a program between the builds, when the build image reads nothing from the context"][0]
    root = make_project(tmp_path / "project", files)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    assert outcome.plan.warnings == ()
