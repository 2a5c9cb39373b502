"""Forms dmigrate cannot prove equivalent: each is refused with file:line and a reason, and nothing changes."""

from __future__ import annotations


import pytest

from support import d, make_project, migrate, migrate_leaving_disk_unchanged




BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"


def flow(middle: str, *, runtime_build: str = "docker build -t app .") -> str:
    return d(
        """
        #!/bin/sh
        docker build -t app:build -f Dockerfile.build .
        {middle}
        {runtime_build}
        """
    ).format(middle=middle, runtime_build=runtime_build)


CASES = [
    # (name, files, driver, status, line, message fragment)
    (
        "extraction inside an if",
        {"build.sh": flow('if [ -n "$CI" ]; then\n  docker create --name c app:build\nfi\ndocker cp c:/out/app app\ndocker rm c')},
        "refused",
        4,
        "inside an `if`",
    ),
    (
        "a loop over a command's output",
        {"build.sh": flow("docker create --name c app:build\nfor f in $(docker run --rm app:build ls /out); do docker cp c:/out/$f .; done")},
        "refused",
        4,
        "for` loop",
    ),
    (
        "eval of a docker command",
        {"build.sh": flow('eval "docker create --name c app:build"\ndocker cp c:/out/app app')},
        "refused",
        3,
        "eval",
    ),
    (
        "a container the script did not create",
        {"build.sh": flow("docker cp somebody-else:/out/app app")},
        "refused",
        3,
        "did not create",
    ),
    (
        "two runtime builds read the artifact",
        {
            "build.sh": flow(
                "docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c",
                runtime_build="docker build -t app .\ndocker build -t app-debug -f Dockerfile.debug .",
            ),
            "Dockerfile.debug": RUNTIME,
        },
        "refused",
        7,
        "several builds",
    ),
    (
        "the artifact is used on the host after the build",
        {
            "build.sh": flow(
                "docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c",
                runtime_build="docker build -t app .\ntar czf release.tgz app",
            )
        },
        "refused",
        7,
        "uses the extracted artifact on the host",
    ),
    (
        "an artifact no build reads next to one that is read",
        {"build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\ndocker cp c:/out/app.sha256 app.sha256\ndocker rm c")},
        "refused",
        5,
        "no build reads it",
    ),
    (
        "a wildcard COPY that may match the artifact",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c"),
            "Dockerfile": "FROM alpine:3.19\nCOPY ap* /usr/local/bin/\n",
        },
        "refused",
        2,
        "wildcard",
    ),
    (
        "the artifact is excluded by .dockerignore",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c"),
            ".dockerignore": "app\n",
        },
        "refused",
        2,
        "excluded by .dockerignore",
    ),
    (
        "ADD unpacks an extracted archive",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app.tar.gz app.tar.gz\ndocker rm c"),
            "Dockerfile": "FROM alpine:3.19\nADD app.tar.gz /opt/\n",
        },
        "refused",
        2,
        "ADD unpacks",
    ),
    (
        "ADD of a file artifact with a plain name: ADD unpacks it if its content is a tar archive",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c"),
            "Dockerfile": "FROM alpine:3.19\nADD app /usr/local/bin/app\n",
        },
        "refused",
        2,
        "ADD unpacks a local file whose content is a tar archive, and dmigrate cannot see whether app (/out/app in the build image) "
        "is one; if it is not, change ADD to COPY here",
    ),
    (
        "ADD of a file inside an extracted directory",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out ./dist\ndocker rm c"),
            "Dockerfile": "FROM alpine:3.19\nCOPY dist/app.sha256 /opt/\nADD dist/app /usr/local/bin/app\n",
        },
        "refused",
        3,
        "cannot see whether dist/app (/out/app in the build image) is one",
    ),
    (
        "ADD of an artifact that may be a file or a directory",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/usr/local/thing thing\ndocker rm c"),
            "Dockerfile": "FROM alpine:3.19\nADD thing /opt/thing\n",
        },
        "refused",
        2,
        "cannot see whether thing (/usr/local/thing in the build image) is a directory (which ADD copies as COPY does) or a file",
    ),
    (
        "ADD of a path below a directory a docker run wrote through a bind mount",
        {
            "build.sh": flow('docker run --rm -v "$PWD/dist:/dist" app:build cp -a /out/app /dist/'),
            "Dockerfile": "FROM alpine:3.19\nADD dist/app /usr/local/bin/\n",
        },
        "refused",
        2,
        "cannot see whether dist/app (/dist/app in the build container) is a directory",
    ),
    (
        "ADD of a file written from the output of docker run",
        {
            "build.sh": flow("docker run --rm app:build cat /out/app > app"),
            "Dockerfile": "FROM alpine:3.19\nADD app /usr/local/bin/app\n",
        },
        "refused",
        2,
        "cannot see whether app (/out/app in the build image) is one",
    ),
    (
        "a build flag only the build image had",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c").replace(
                "docker build -t app:build", "docker build --platform linux/arm64 -t app:build"
            )
        },
        "refused",
        2,
        "--platform",
    ),
    (
        "one function builds both images",
        {
            "build.sh": d(
                """
                #!/bin/sh
                b() { docker build -t "$1" -f "$2" .; }
                b app:build Dockerfile.build
                docker create --name c app:build
                docker cp c:/out/app app
                docker rm c
                b app Dockerfile
                """
            )
        },
        "refused",
        2,
        "called twice",
    ),
    (
        "a rename into a directory when the Dockerfile does not show the kind",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/usr/local/thing ./app\ndocker rm c"),
            "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/\n",
        },
        "refused",
        2,
        "file or a directory",
    ),
    (
        "a rename copied to a destination that depends on a variable",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app ./server\ndocker rm c"),
            "Dockerfile": "FROM alpine:3.19\nARG BIN=/usr/local/bin\nCOPY server $BIN\n",
        },
        "refused",
        3,
        "depends on a variable",
    ),
    (
        "COPY --exclude next to an artifact",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app ./bin/app\ndocker rm c"),
            "Dockerfile": "# syntax=docker/dockerfile:1.7-labs\nFROM alpine:3.19\nCOPY --exclude=bin/app . /srv/\n",
            "bin/.keep": "",
        },
        "refused",
        3,
        "does not carry --exclude",
    ),
    (
        "COPY --parents of an artifact",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app ./bin/app\ndocker rm c"),
            "Dockerfile": "# syntax=docker/dockerfile:1.7-labs\nFROM alpine:3.19\nCOPY --parents bin/app /srv/\n",
        },
        "refused",
        3,
        "does not carry --parents",
    ),
    (
        "a COPY source with a variable next to one that reads the artifact",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c"),
            "Dockerfile": "FROM alpine:3.19\nARG NAME=app\nCOPY app /usr/local/bin/app\nCOPY $NAME /opt/\n",
        },
        "refused",
        4,
        "wildcard or a variable",
    ),
    (
        "a wildcard inside an extracted directory",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out ./dist\ndocker rm c"),
            "Dockerfile": "FROM alpine:3.19\nCOPY dist /app/dist\nCOPY dist/*.js /js/\n",
        },
        "refused",
        3,
        "may match the extracted dist",
    ),
    (
        "a runtime stage named like an image the build file uses",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c"),
            "Dockerfile.build": "FROM tools AS tools\nFROM golang:1.21\nCOPY --from=tools /t /t\nRUN go build -o /out/app .\n",
            "Dockerfile": "FROM alpine:3.19 AS tools\nRUN true\nFROM alpine:3.19\nCOPY app /usr/local/bin/app\n",
        },
        "refused",
        1,
        "has the name of an image",
    ),
    (
        "a build image still used after the migration whose ARG must be renamed",
        {
            "build.sh": flow(
                "docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c",
                runtime_build="docker build --build-arg VERSION=2.0 -t app .\ndocker push app:build",
            ).replace("docker build -t app:build", "docker build --build-arg VERSION=sdk-7 -t app:build"),
            "Dockerfile.build": "FROM golang:1.21\nARG VERSION=dev\nRUN go build -o /out/app .\n",
            "Dockerfile": "FROM alpine:3.19\nARG VERSION\nCOPY app /usr/local/bin/app\n",
        },
        "refused",
        2,
        "would no longer set it",
    ),
    (
        "docker cp to an absent DEST/ of something that may be a file or a directory",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/usr/lib/thing bin/\ndocker rm c"),
            "Dockerfile": "FROM alpine:3.19\nCOPY bin /usr/local/bin/\n",
        },
        "refused",
        4,
        "ends in / and may not exist yet",
    ),
    (
        "docker cp of a directory into one git tracks files in merges them",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out/dist ./web\ndocker rm c"),
            "Dockerfile.build": "FROM golang:1.21\nRUN mkdir -p /out/dist && go build -o /out/dist/app .\n",
            "web/dist/keep.txt": "x\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY web/dist /usr/share/nginx/html\n",
        },
        "refused",
        4,
        "holds files git tracks",
    ),
    (
        "two directories copied into the same host directory merge",
        {
            "build.sh": flow("docker create --name c app:build\nmkdir -p out\ndocker cp c:/a/. out\ndocker cp c:/b/. out\ndocker rm c"),
            "Dockerfile.build": "FROM golang:1.21\nRUN mkdir -p /a /b && go build -o /a/app . && go build -o /b/tool .\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY out /usr/local/bin/\n",
        },
        "refused",
        6,
        "may merge into it",
    ),
    (
        "a .dockerignore wildcard that leaves out part of an extracted directory",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out ./dist\ndocker rm c"),
            "Dockerfile.build": "FROM golang:1.21\nRUN mkdir /out && go build -o /out/app .\n",
            ".dockerignore": "./*/*.map\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY dist /app\n",
        },
        "refused",
        2,
        ".dockerignore leaves out part of the extracted dist",
    ),
    (
        "mv -n onto a file that exists keeps that file",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app ./app\ndocker rm c\nmv -n app server"),
            "server": "old\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY server /usr/bin/server\n",
        },
        "refused",
        6,
        "leaves server as it was",
    ),
    (
        "a build flag only the runtime build had",
        {"build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c", runtime_build="docker build --platform linux/arm64 -t app .")},
        "refused",
        6,
        "the runtime build has --platform",
    ),
    (
        "a shell syntax error",
        {"build.sh": "#!/bin/sh\ndocker build -t app .\nif [ x ]; then\n  echo (\nfi\n"},
        "error",
        4,
        "syntax error",
    ),
    (
        "a Dockerfile that does not exist",
        {"build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c").replace("Dockerfile.build", "Dockerfile.missing")},
        "refused",
        2,
        "does not exist",
    ),
    (
        "the artifact edited in place on the host",
        {"build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c\nsed -i 's/dev/prod/' app")},
        "refused",
        6,
        "`sed -i 's/dev/prod/' app` uses the extracted artifact",
    ),
    (
        "the artifact written by a redirect",
        {"build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c\necho '# built' >> app")},
        "refused",
        6,
        "`>> app` uses the extracted artifact",
    ),
    (
        "a check on the artifact the migrated driver would fail",
        {"build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c\n[ -x app ] || exit 1")},
        "refused",
        6,
        "`[ -x app ]` uses the extracted artifact",
    ),
    (
        "docker run fed a script on its standard input",
        {"build.sh": flow("docker run --rm -i -v \"$PWD:/x\" app:build sh <<EOF\ncp /out/app /x/app\nEOF")},
        "refused",
        3,
        "standard input",
    ),
    (
        "the directory for the artifact made after `||`",
        {
            "build.sh": flow("mkdir -p out || echo no out\ndocker create --name c app:build\ndocker cp c:/out/app out/app\ndocker rm c"),
            "Dockerfile": "FROM alpine:3.19\nCOPY out/app /usr/local/bin/app\n",
        },
        "refused",
        3,
        "from an `||` chain",
    ),
    (
        "a program of the project that runs docker and is not a shell script",
        {
            "build.sh": flow("./extract.py\ndocker rm c"),
            "extract.py": "#!/usr/bin/env python3\nimport os\nos.system('docker create --name c app:build && docker cp c:/out/app app')\n",
        },
        "refused",
        3,
        "./extract.py runs docker",
    ),
    (
        "a docker step behind xargs",
        {"build.sh": flow("docker create --name c app:build\ndocker cp c:/out/app app\necho c | xargs docker rm")},
        "refused",
        5,
        "`xargs` runs docker",
    ),
]


@pytest.mark.parametrize("name, files, status, line, fragment", CASES, ids=[case[0] for case in CASES])
def test_refused(tmp_path, name, files, status, line, fragment):
    files = {"Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **files}
    root = make_project(tmp_path / "project", files)
    outcome = migrate_leaving_disk_unchanged(root / "build.sh")
    assert outcome.status == status, outcome.message
    assert fragment in outcome.message
    assert outcome.location is not None and outcome.location.line == line


@pytest.mark.parametrize(
    "files, reason",
    [
        (
            {
                "build.sh": "#!/bin/sh\ndocker build -t app .\n",
                "Dockerfile": "FROM golang:1.21 AS build\nRUN go build -o /app .\nFROM alpine:3.19\nCOPY --from=build /app /app\n",
            },
            "already a multi-stage build",
        ),
        ({"build.sh": "#!/bin/sh\necho hello\n"}, "runs no docker build"),
        (
            {
                "build.sh": "#!/bin/sh\ndocker build -t tools -f Dockerfile .\nid=$(docker create tools)\ndocker cp $id:/out/cli ./dist/cli\ndocker rm $id\n",
                "Dockerfile": BUILD,
            },
            "no docker build of this driver reads them",
        ),
    ],
    ids=["multi-stage already", "no docker", "extraction for the host only"],
)
def test_nothing_to_do(tmp_path, files, reason):
    root = make_project(tmp_path / "project", files)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "nothing to do"
    assert reason in outcome.message
