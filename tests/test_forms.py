"""Before/after cases for the ways artifacts really leave a build image (issue 4).

Each case is a small project and the new text of every file the migration
changes.  The projects under tests/projects/ prove the same forms on a real
engine; these pin the text down, including the forms no project covers.
"""

from __future__ import annotations


import pytest

from support import d, make_project, migrate, texts_after




GO_BUILD = d(
    """
    FROM golang:1.22
    WORKDIR /src
    COPY go.mod main.go ./
    RUN go build -o /build/app .
    """
)
GO_STAGE = d(
    """
    FROM golang:1.22 AS builder
    WORKDIR /src
    COPY go.mod main.go ./
    RUN go build -o /build/app .
    """
)
SOURCES = {"go.mod": "module example.com/app\n", "main.go": "package main\n"}


CASES = {
    "bind mount of an output directory: the run becomes a stage, the mount a directory of it": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -f Dockerfile.build -t app:build .
                mkdir -p out
                docker run --rm -v "$PWD/out:/out" app:build sh -c 'cp /build/app /out/'
                docker build -t app .
                rm -rf out
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": "FROM alpine:3.19\nCOPY out/app /usr/local/bin/app\n",
        },
        {
            "Dockerfile": GO_STAGE
            + "\n"
            + d(
                """
                FROM builder AS builder-run
                WORKDIR /out
                WORKDIR /src
                RUN ["sh", "-c", "cp /build/app /out/"]

                FROM alpine:3.19
                COPY --from=builder-run /out/app /usr/local/bin/app
                """
            ),
            "build.sh": "#!/bin/sh\nset -e\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "the project mounted and built at run time, as the host user, with -e and -w": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -f Dockerfile.build -t app:build .
                docker run --rm -u "$(id -u):$(id -g)" -e CFLAGS=-O2 -e "VERSION=$1" -v "$(pwd)":/src -w /src app:build make
                docker build -t app .
                """
            ),
            "Dockerfile.build": "FROM gcc:13\n",
            "Makefile": "hello: hello.c\n\t$(CC) $(CFLAGS) -o hello hello.c\n",
            "hello.c": "int main(void) { return 0; }\n",
            "Dockerfile": "FROM debian:bookworm-slim\nCOPY hello /usr/local/bin/hello\n",
        },
        {
            "Dockerfile": d(
                """
                FROM gcc:13 AS builder

                FROM builder AS builder-run
                ARG BUILDER_RUN_USER
                COPY --chown=${BUILDER_RUN_USER} . /src
                WORKDIR /src
                USER ${BUILDER_RUN_USER}
                ENV CFLAGS="-O2"
                ARG BUILDER_RUN_VERSION
                ENV VERSION=${BUILDER_RUN_VERSION}
                RUN ["make"]

                FROM debian:bookworm-slim
                COPY --from=builder-run --chown=0:0 /src/hello /usr/local/bin/hello
                """
            ),
            "build.sh": d(
                """
                #!/bin/sh
                docker build --build-arg BUILDER_RUN_USER="$(id -u):$(id -g)" --build-arg BUILDER_RUN_VERSION="$1" -t app .
                """
            ),
            "Dockerfile.build": None,
        },
    ),
    "-e NAME passes the host's value on through a build arg": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t app:build -f Dockerfile.build .
                mkdir -p out
                docker run --rm -e GOOS -v "$PWD/out":/out app:build sh -c 'go build -o /out/app /src'
                docker build -t app .
                """
            ),
            "Dockerfile.build": "FROM golang:1.22\nCOPY . /src\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY out/app /app\n",
        },
        {
            "Dockerfile": d(
                """
                FROM golang:1.22 AS builder
                COPY . /src

                FROM builder AS builder-run
                WORKDIR /out
                WORKDIR /go
                ARG BUILDER_RUN_GOOS
                ENV GOOS=${BUILDER_RUN_GOOS}
                RUN ["sh", "-c", "go build -o /out/app /src"]

                FROM alpine:3.19
                COPY --from=builder-run /out/app /app
                """
            ),
            "build.sh": '#!/bin/sh\ndocker build --build-arg BUILDER_RUN_GOOS="${GOOS}" -t app .\n',
            "Dockerfile.build": None,
        },
    ),
    "a public SDK image run with the project mounted, no build Dockerfile at all": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker run --rm -v "$PWD":/src -w /src golang:1.22 go build -o app .
                docker build -t app .
                rm app
                """
            ),
            "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n",
            **SOURCES,
        },
        {
            "Dockerfile": d(
                """
                FROM golang:1.22 AS golang-run
                COPY . /src
                WORKDIR /src
                RUN ["go", "build", "-o", "app", "."]

                FROM alpine:3.19
                COPY --from=golang-run /src/app /usr/local/bin/app
                """
            ),
            "build.sh": "#!/bin/sh\ndocker build -t app .\n",
        },
    ),
    "the image's ENTRYPOINT comes first in the RUN, as docker run would put it": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t app:build -f Dockerfile.build .
                docker run --rm -v "$PWD/out":/out app:build --release
                docker build -t app .
                """
            ),
            "Dockerfile.build": 'FROM golang:1.22\nCOPY release.sh /usr/local/bin/release\nENTRYPOINT ["release", "--out", "/out"]\nCMD ["--debug"]\n',
            "release.sh": "#!/bin/sh\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY out/app /app\n",
        },
        {
            "Dockerfile": d(
                """
                FROM golang:1.22 AS builder
                COPY release.sh /usr/local/bin/release
                ENTRYPOINT ["release", "--out", "/out"]
                CMD ["--debug"]

                FROM builder AS builder-run
                WORKDIR /out
                WORKDIR /go
                RUN ["release", "--out", "/out", "--release"]

                FROM alpine:3.19
                COPY --from=builder-run /out/app /app
                """
            ),
            "build.sh": "#!/bin/sh\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "docker run --name with the build in CMD, then docker cp from the stopped container": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t app:build -f Dockerfile.build .
                docker run --name builder-run-1 app:build
                docker cp builder-run-1:/out/app ./app
                docker rm builder-run-1
                docker build -t app .
                """
            ),
            "Dockerfile.build": 'FROM golang:1.22\nWORKDIR /src\nCOPY . .\nCMD go build -o /out/app .\n',
            "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n",
        },
        {
            "Dockerfile": d(
                """
                FROM golang:1.22 AS builder
                WORKDIR /src
                COPY . .
                CMD go build -o /out/app .

                FROM builder AS builder-run-1
                RUN ["/bin/sh", "-c", "go build -o /out/app ."]

                FROM alpine:3.19
                COPY --from=builder-run-1 /out/app /usr/local/bin/app
                """
            ),
            "build.sh": "#!/bin/sh\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "docker create, docker start -a, then docker cp; a docker cp before the start reads the image": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t app:build -f Dockerfile.build .
                docker create --name c -e GOFLAGS=-trimpath app:build go build -o /out/app .
                docker cp c:/src/VERSION ./VERSION
                docker start -a c
                docker wait c
                docker cp c:/out/app ./app
                docker rm c
                docker build -t app .
                """
            ),
            "Dockerfile.build": "FROM golang:1.22\nWORKDIR /src\nCOPY . .\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY VERSION /etc/app-version\nCOPY app /usr/local/bin/app\n",
        },
        {
            "Dockerfile": d(
                """
                FROM golang:1.22 AS builder
                WORKDIR /src
                COPY . .

                FROM builder AS c
                ENV GOFLAGS="-trimpath"
                RUN ["go", "build", "-o", "/out/app", "."]

                FROM alpine:3.19
                COPY --from=builder /src/VERSION /etc/app-version
                COPY --from=c /out/app /usr/local/bin/app
                """
            ),
            "build.sh": "#!/bin/sh\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "docker create with a bind mount and a read-only input file, started later": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t app:build -f Dockerfile.build .
                docker create --name c -v "$PWD/config.json":/etc/app.json:ro -v "$PWD/out":/out app:build cp /build/app /out/
                docker start -a c
                docker rm c
                docker build -t app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "config.json": "{}\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY out/app /app\n",
        },
        {
            "Dockerfile": GO_STAGE
            + "\n"
            + d(
                """
                FROM builder AS c
                COPY config.json /etc/app.json
                WORKDIR /out
                WORKDIR /src
                RUN ["cp", "/build/app", "/out/"]

                FROM alpine:3.19
                COPY --from=c /out/app /app
                """
            ),
            "build.sh": "#!/bin/sh\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "stdout: the host writes the file, so it gets mode 0644; chmod +x on the host becomes --chmod=755": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -t app:build -f Dockerfile.build .
                docker run --rm app:build cat /build/app > app && chmod +x app
                docker run --rm app:build cat /src/go.mod > go.mod.txt
                docker build -t app .
                rm -f app go.mod.txt
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\nCOPY go.mod.txt /usr/share/doc/\n",
        },
        {
            "Dockerfile": GO_STAGE
            + "\n"
            + d(
                """
                FROM alpine:3.19
                COPY --from=builder --chmod=755 /build/app /usr/local/bin/app
                COPY --from=builder --chmod=644 /src/go.mod /usr/share/doc/go.mod.txt
                """
            ),
            "build.sh": "#!/bin/sh\nset -e\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "cat of a relative path reads from the container's working directory": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t app:build -f Dockerfile.build .
                docker run --rm -w /build app:build cat app > app
                docker build -t app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": "FROM alpine:3.19\nCOPY app /app\n",
        },
        {
            "Dockerfile": GO_STAGE + "\nFROM alpine:3.19\nCOPY --from=builder --chmod=644 /build/app /app\n",
            "build.sh": "#!/bin/sh\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "tar streams: docker cp C:dir - | tar -x, and docker run IMG tar -c | tar -x": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -t app:build -f Dockerfile.build .
                mkdir -p public bin
                docker create --name c app:build
                docker cp c:/src/static - | tar -x -C public
                docker rm c
                docker run --rm app:build tar -cf - -C /build app | tar -xpf - -C bin
                docker build -t app .
                rm -rf public bin
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": "FROM alpine:3.19\nCOPY public/static /srv/static\nCOPY bin/app /usr/local/bin/app\n",
        },
        {
            "Dockerfile": GO_STAGE
            + "\n"
            + d(
                """
                FROM alpine:3.19
                COPY --from=builder /src/static /srv/static
                COPY --from=builder /build/app /usr/local/bin/app
                """
            ),
            "build.sh": "#!/bin/sh\nset -e\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "a tar archive on stdout, unpacked by ADD, keeps the owners the container recorded": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t app:build -f Dockerfile.build .
                docker run --rm app:build tar -czf - -C /build . > dist.tar.gz
                docker build -t app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": "FROM alpine:3.19\nADD --chown=10:10 dist.tar.gz /opt/app/\nADD dist.tar.gz /opt/copy\n",
        },
        {
            "Dockerfile": GO_STAGE
            + "\n"
            + d(
                """
                FROM alpine:3.19
                COPY --from=builder --chown=10:10 /build /opt/app/
                COPY --from=builder /build /opt/copy
                """
            ),
            "build.sh": "#!/bin/sh\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "host changes: mkdir -p, mv to a new name, cp -a to a second place, tar of a directory for ADD": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -t app:build -f Dockerfile.build .
                mkdir -p dist/bin
                docker create --name c app:build
                docker cp c:/build/app dist/bin/
                docker cp c:/src/static ./static
                docker rm c
                mv dist/bin/app dist/bin/server
                cp -a dist/bin/server ./server
                tar -czf static.tar.gz static
                rm -rf static
                docker build -t app .
                rm -rf dist server static.tar.gz
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": "FROM alpine:3.19\nCOPY dist/bin/ /usr/local/bin/\nCOPY server /opt/server\nADD static.tar.gz /srv/\n",
        },
        {
            "Dockerfile": GO_STAGE
            + "\n"
            + d(
                """
                FROM alpine:3.19
                COPY --from=builder /build/app /usr/local/bin/server
                COPY --from=builder /build/app /opt/server
                COPY --from=builder /src/static /srv/static
                """
            ),
            "build.sh": "#!/bin/sh\nset -e\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "an external image: docker create nginx:1.25 becomes COPY --from=nginx:1.25, owners made root": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t app:build -f Dockerfile.build .
                docker create --name app-x app:build
                docker cp app-x:/build/app ./app
                id=$(docker create nginx:1.25)
                docker cp "$id":/etc/nginx/nginx.conf ./nginx.conf
                docker rm app-x "$id"
                docker build -t app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\nCOPY nginx.conf /etc/nginx/\n",
        },
        {
            "Dockerfile": GO_STAGE
            + "\n"
            + d(
                """
                FROM alpine:3.19
                COPY --from=builder /build/app /usr/local/bin/app
                COPY --from=nginx:1.25 --chown=0:0 /etc/nginx/nginx.conf /etc/nginx/
                """
            ),
            "build.sh": "#!/bin/sh\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "a chain: the build image is FROM one the script built earlier": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t acme/base -f Dockerfile.base .
                docker build -t app:build -f Dockerfile.build .
                docker create --name c app:build
                docker cp c:/build/app ./app
                docker rm c
                docker build -t app .
                """
            ),
            "Dockerfile.base": "FROM golang:1.22\nENV CGO_ENABLED=0\n",
            "Dockerfile.build": "FROM acme/base:latest\nWORKDIR /src\nCOPY . .\nRUN go build -o /build/app .\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n",
        },
        {
            "Dockerfile": d(
                """
                FROM golang:1.22 AS base-build
                ENV CGO_ENABLED=0

                FROM base-build AS builder
                WORKDIR /src
                COPY . .
                RUN go build -o /build/app .

                FROM alpine:3.19
                COPY --from=builder /build/app /usr/local/bin/app
                """
            ),
            "build.sh": "#!/bin/sh\ndocker build -t app .\n",
            "Dockerfile.base": None,
            "Dockerfile.build": None,
        },
    ),
    "two builders, one with its own context directory and .dockerignore; one docker rm for both": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t app:build -f Dockerfile.build .
                docker build -t app:web web
                docker create --name a app:build
                docker create --name w app:web
                docker cp a:/build/app ./app
                docker cp w:/site/. ./site
                docker rm -f a w
                docker build -t app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "web/Dockerfile": "FROM node:20\nWORKDIR /site\nCOPY . .\nRUN npm run build\n",
            # The build copies its whole context into the artifact: its Dockerfile, which the migration deletes, must stay out.
            "web/.dockerignore": "node_modules\n*.md\nDockerfile\n",
            "web/index.html": "<p>hi</p>\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\nCOPY site /srv/site\n",
            ".dockerignore": ".git\n",
        },
        {
            "Dockerfile": GO_STAGE
            + "\n"
            + d(
                """
                FROM node:20 AS web
                WORKDIR /site
                COPY web .
                RUN npm run build

                FROM alpine:3.19
                COPY --from=builder /build/app /usr/local/bin/app
                COPY --from=web --chown=0:0 /site /srv/site
                """
            ),
            ".dockerignore": ".git\n/web/node_modules\n/web/*.md\n/web/Dockerfile\n",
            "build.sh": "#!/bin/sh\ndocker build -t app .\n",
            "Dockerfile.build": None,
            "web/Dockerfile": None,
        },
    ),
    "the same path extracted twice, and a destination git already tracks": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t app:build -f Dockerfile.build .
                docker create --name c app:build
                docker cp c:/build/app ./app
                docker cp c:/build/app.static ./app
                docker cp c:/src/site public
                docker rm c
                docker build -t app .
                """
            ),
            "Dockerfile.build": GO_BUILD.replace("go build -o /build/app .", "go build -o /build/app . && go build -o /build/app.static ."),
            "public/robots.txt": "User-agent: *\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\nCOPY public /srv/www\n",
        },
        {
            "Dockerfile": GO_STAGE.replace("go build -o /build/app .", "go build -o /build/app . && go build -o /build/app.static .")
            + "\n"
            + d(
                """
                FROM alpine:3.19
                COPY --from=builder /build/app.static /usr/local/bin/app
                COPY public /srv/www
                COPY --from=builder /src/site /srv/www/site
                """
            ),
            ".dockerignore": "/public/site\n",
            "build.sh": "#!/bin/sh\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_form(tmp_path, name):
    before, expected = CASES[name]
    root = make_project(tmp_path / "project", before)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", f"{outcome.location}: {outcome.message}"
    assert texts_after(outcome, root) == expected


def test_a_second_extraction_of_the_same_path_is_reported(tmp_path):
    before, _ = CASES["the same path extracted twice, and a destination git already tracks"]
    root = make_project(tmp_path / "project", before)
    outcome = migrate(root / "build.sh")
    assert any("app is extracted a second time; the later copy wins" in warning for warning in outcome.plan.warnings)


def test_assumptions_of_a_run_stage_are_reported(tmp_path):
    before, _ = CASES["the project mounted and built at run time, as the host user, with -e and -w"]
    root = make_project(tmp_path / "project", before)
    decisions = migrate(root / "build.sh").plan.decisions
    assert any("is now the stage builder-run, which runs make" in decision for decision in decisions)
    assert any("belonged to the host user" in decision for decision in decisions)


def test_a_whole_context_copy_of_rewritten_files_is_refused(tmp_path):
    root = make_project(
        tmp_path / "project",
        {
            "build.sh": "#!/bin/sh\ndocker build -t a:b -f Dockerfile.build .\ndocker create --name c a:b\ndocker cp c:/build/app bin/app\ndocker rm c\ndocker build -t a .\n",
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": "FROM alpine:3.19\nCOPY . /srv\n",
        },
    )
    outcome = migrate(root / "build.sh")
    assert outcome.status == "refused", outcome.message
    assert (outcome.location.file.name, outcome.location.line) == ("Dockerfile", 2)
    assert outcome.message.startswith("`COPY . /srv` copies .dockerignore, Dockerfile, Dockerfile.build, build.sh into the image")
    assert "the image would lose Dockerfile.build and hold the new text of Dockerfile, build.sh and gain .dockerignore" in outcome.message
