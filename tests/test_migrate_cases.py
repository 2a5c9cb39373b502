"""Before/after cases for whole shell-driven projects, one form of the issue each.

Each case is a small project: its files before, and the new text of every
file the migration changes after (None where it deletes one).  The Docker
equivalence suite proves such results build the same image; these pin the
text down.
"""

from __future__ import annotations


import pytest

from support import d, make_project, migrate, texts_after




GO_BUILD = d(
    """
    FROM golang:1.21
    WORKDIR /src
    COPY . .
    RUN go build -o /out/app .
    """
)
RUNTIME = d(
    """
    FROM alpine:3.19
    COPY app /usr/local/bin/app
    CMD ["app"]
    """
)
MERGED_APP = d(
    """
    FROM golang:1.21 AS builder
    WORKDIR /src
    COPY . .
    RUN go build -o /out/app .

    FROM alpine:3.19
    COPY --from=builder /out/app /usr/local/bin/app
    CMD ["app"]
    """
)


CASES = {
    "docker create + cp + rm, long forms": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker image build -t acme/app:build -f Dockerfile.build .
                docker container create --name extract acme/app:build
                docker container cp extract:/out/app ./app
                docker container rm -f extract
                docker build -t acme/app:latest .
                rm ./app
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/sh\nset -e\ndocker build -t acme/app:latest .\n",
            "Dockerfile.build": None,
        },
    ),
    "a stale copy checked and removed before the extraction stays as it was": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                [ -f app ] && rm app
                test -e app || echo "no stale copy"
                docker build -t acme/app:build -f Dockerfile.build .
                docker create --name extract acme/app:build
                docker cp extract:/out/app ./app
                docker rm extract
                docker build -t acme/app:latest .
                rm ./app
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": '#!/bin/sh\nset -e\n[ -f app ] && rm app\ntest -e app || echo "no stale copy"\ndocker build -t acme/app:latest .\n',
            "Dockerfile.build": None,
        },
    ),
    "anonymous id from $(docker create), -f after the context, rm -v": (
        {
            "build.sh": d(
                """
                #!/bin/bash
                set -euo pipefail
                docker build -t acme/app:build . -f Dockerfile.build
                id=$(docker create acme/app:build)
                docker cp "$id":/out/app app
                docker rm -v "$id"
                docker build -t acme/app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/bash\nset -euo pipefail\ndocker build -t acme/app .\n",
            "Dockerfile.build": None,
        },
    ),
    "backticks, -f=, --tag twice, docker rm of several names": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build --file=Dockerfile.build --tag acme/app:build .
                ID=`docker create acme/app:build`
                docker cp ${ID}:/out/app ./app
                docker rm -f ${ID} 2>/dev/null || true
                docker build --tag acme/app:1.0 --tag acme/app:latest .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/sh\ndocker build --tag acme/app:1.0 --tag acme/app:latest .\n",
            "Dockerfile.build": None,
        },
    ),
    "variables, defaults, functions and the script directory": (
        {
            "build.sh": d(
                """
                #!/usr/bin/env bash
                set -euo pipefail
                DIR="$(cd "$(dirname "$0")" && pwd)"
                cd "$DIR"
                IMAGE=${IMAGE:-acme/api}
                TAG="${1:-latest}"

                build_image() {
                  docker build -t "$IMAGE:build" -f Dockerfile.build .
                }

                extract() {
                  local id
                  id=$(docker create "$IMAGE:build")
                  docker cp "$id:/out/app" ./app
                  docker rm -v "$id" >/dev/null
                }

                build_image
                extract
                echo "building $IMAGE:$TAG"
                docker build -t "$IMAGE:$TAG" .
                rm -f ./app
                docker push "$IMAGE:$TAG"
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": d(
                """
                #!/usr/bin/env bash
                set -euo pipefail
                DIR="$(cd "$(dirname "$0")" && pwd)"
                cd "$DIR"
                IMAGE=${IMAGE:-acme/api}
                TAG="${1:-latest}"

                echo "building $IMAGE:$TAG"
                docker build -t "$IMAGE:$TAG" .
                docker push "$IMAGE:$TAG"
                """
            ),
            "Dockerfile.build": None,
        },
    ),
    "build args of both builds, one from the environment; comments and echoes kept": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                # Build the binary in the SDK image.
                echo "building"
                docker build \\
                  --build-arg VERSION=1.2.3 \\
                  --build-arg GOPROXY \\
                  -t acme/app:build -f Dockerfile.build .
                docker create --name tmp acme/app:build >/dev/null
                docker cp tmp:/out/app ./app && docker rm tmp
                # Runtime image.
                docker build --pull -t acme/app:1.2.3 .
                """
            ),
            "Dockerfile.build": d(
                """
                FROM golang:1.21
                ARG VERSION
                ARG GOPROXY
                WORKDIR /src
                COPY . .
                RUN go build -ldflags "-X main.version=${VERSION}" -o /out/app .
                """
            ),
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": d(
                """
                FROM golang:1.21 AS builder
                ARG VERSION
                ARG GOPROXY
                WORKDIR /src
                COPY . .
                RUN go build -ldflags "-X main.version=${VERSION}" -o /out/app .

                FROM alpine:3.19
                COPY --from=builder /out/app /usr/local/bin/app
                CMD ["app"]
                """
            ),
            "build.sh": d(
                """
                #!/bin/sh
                # Build the binary in the SDK image.
                echo "building"
                # Runtime image.
                docker build --build-arg VERSION=1.2.3 --build-arg GOPROXY --pull -t acme/app:1.2.3 .
                """
            ),
            "Dockerfile.build": None,
        },
    ),
    "the same build arg with different values: the build stage's copy is renamed": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build --build-arg VERSION=sdk-7 -t acme/app:build -f Dockerfile.build .
                docker create --name x acme/app:build
                docker cp x:/out/app app
                docker rm x
                docker build --build-arg VERSION=2.0 -t acme/app .
                """
            ),
            "Dockerfile.build": d(
                """
                FROM golang:1.21
                ARG VERSION=dev
                WORKDIR /src
                COPY . .
                RUN go build -ldflags "-X main.sdk=$VERSION" -o /out/app .
                """
            ),
            "Dockerfile": d(
                """
                FROM alpine:3.19
                ARG VERSION
                LABEL version=$VERSION
                COPY app /usr/local/bin/app
                """
            ),
        },
        {
            "Dockerfile": d(
                """
                FROM golang:1.21 AS builder
                ARG BUILDER_VERSION=dev
                ENV VERSION=${BUILDER_VERSION}
                WORKDIR /src
                COPY . .
                RUN go build -ldflags "-X main.sdk=$VERSION" -o /out/app .

                FROM alpine:3.19
                ARG VERSION
                LABEL version=$VERSION
                COPY --from=builder /out/app /usr/local/bin/app
                """
            ),
            "build.sh": "#!/bin/sh\ndocker build --build-arg BUILDER_VERSION=sdk-7 --build-arg VERSION=2.0 -t acme/app .\n",
            "Dockerfile.build": None,
        },
    ),
    "ARG before FROM in both files, directives once at the top": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t app:build -f Dockerfile.build .
                docker create --name c app:build
                docker cp c:/out/app ./app
                docker rm c
                docker build -t app .
                """
            ),
            "Dockerfile.build": d(
                """
                # syntax=docker/dockerfile:1
                ARG GO_VERSION=1.21
                FROM golang:${GO_VERSION}
                WORKDIR /src
                COPY . .
                RUN go build -o /out/app .
                """
            ),
            "Dockerfile": d(
                """
                # syntax=docker/dockerfile:1
                ARG ALPINE_VERSION=3.19
                FROM alpine:${ALPINE_VERSION}
                COPY app /usr/local/bin/app
                """
            ),
        },
        {
            "Dockerfile": d(
                """
                # syntax=docker/dockerfile:1
                ARG GO_VERSION=1.21
                ARG ALPINE_VERSION=3.19

                FROM golang:${GO_VERSION} AS builder
                WORKDIR /src
                COPY . .
                RUN go build -o /out/app .

                FROM alpine:${ALPINE_VERSION}
                COPY --from=builder /out/app /usr/local/bin/app
                """
            ),
            "build.sh": "#!/bin/sh\ndocker build -t app .\n",
            "Dockerfile.build": None,
        },
    ),
    "a directory with and without /., a relative container path, a rename": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t web:build -f Dockerfile.build .
                docker create --name web-extract web:build
                docker cp web-extract:/app/dist/. ./public
                docker cp web-extract:app/config ./config
                docker cp web-extract:/app/bin/server-linux-amd64 ./server
                docker rm web-extract
                docker build -t web .
                rm -rf ./public ./config ./server
                """
            ),
            "Dockerfile.build": d(
                """
                FROM node:20
                WORKDIR /app
                COPY . .
                RUN npm ci && npm run build && mkdir -p config bin \\
                 && cp settings.json config/ && go build -o bin/server-linux-amd64 ./cmd/server
                """
            ),
            "Dockerfile": d(
                """
                FROM nginx:1.25
                COPY public /usr/share/nginx/html
                COPY config/settings.json /etc/app/settings.json
                COPY server /usr/local/bin/
                """
            ),
        },
        {
            "Dockerfile": d(
                """
                FROM node:20 AS builder
                WORKDIR /app
                COPY . .
                RUN npm ci && npm run build && mkdir -p config bin \\
                 && cp settings.json config/ && go build -o bin/server-linux-amd64 ./cmd/server

                FROM nginx:1.25
                COPY --from=builder --chown=0:0 /app/dist /usr/share/nginx/html
                COPY --from=builder --chown=0:0 /app/config/settings.json /etc/app/settings.json
                COPY --from=builder --chown=0:0 /app/bin/server-linux-amd64 /usr/local/bin/server
                """
            ),
            "build.sh": "#!/bin/sh\ndocker build -t web .\n",
            "Dockerfile.build": None,
        },
    ),
    "a legacy --chown is kept; a non-root build stage gets --chown=0:0": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t svc:build -f Dockerfile.build .
                docker create --name svc-x svc:build
                docker cp svc-x:/home/app/out/svc ./svc
                docker cp svc-x:/home/app/out/svc.conf ./svc.conf
                docker rm svc-x
                docker build -t svc .
                """
            ),
            "Dockerfile.build": d(
                """
                FROM golang:1.21
                RUN adduser -D app
                USER app
                WORKDIR /home/app
                COPY --chown=app . .
                RUN go build -o out/svc . && cp svc.conf out/
                """
            ),
            "Dockerfile": d(
                """
                FROM alpine:3.19
                COPY --chown=10:10 svc /usr/bin/svc
                COPY svc.conf /etc/svc.conf
                """
            ),
        },
        {
            "Dockerfile": d(
                """
                FROM golang:1.21 AS builder
                RUN adduser -D app
                USER app
                WORKDIR /home/app
                COPY --chown=app . .
                RUN go build -o out/svc . && cp svc.conf out/

                FROM alpine:3.19
                COPY --from=builder --chown=10:10 /home/app/out/svc /usr/bin/svc
                COPY --from=builder --chown=0:0 /home/app/out/svc.conf /etc/svc.conf
                """
            ),
            "build.sh": "#!/bin/sh\ndocker build -t svc .\n",
            "Dockerfile.build": None,
        },
    ),
    "COPY . . holds the artifact: a COPY --from goes in after it and .dockerignore keeps stale copies out": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t site:build -f Dockerfile.build .
                docker create --name s site:build
                docker cp s:/out/app ./bin/app
                docker rm s
                docker build -t site .
                """
            ),
            "bin/.keep": "",
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": d(
                """
                FROM alpine:3.19
                WORKDIR /srv
                COPY . .
                CMD ["bin/app"]
                """
            ),
            # The files the migration changes stay out of the image, as they must (otherwise it refuses).
            ".dockerignore": ".git\n.dockerignore\nDockerfile*\nbuild.sh\n",
        },
        {
            "Dockerfile": d(
                """
                FROM golang:1.21 AS builder
                WORKDIR /src
                COPY . .
                RUN go build -o /out/app .

                FROM alpine:3.19
                WORKDIR /srv
                COPY . .
                COPY --from=builder /out/app bin/app
                CMD ["bin/app"]
                """
            ),
            ".dockerignore": ".git\n.dockerignore\nDockerfile*\nbuild.sh\n/bin/app\n",
            "build.sh": "#!/bin/sh\ndocker build -t site .\n",
            "Dockerfile.build": None,
        },
    ),
    "a removed command that shared its line takes its `;` along, and what stays keeps its place": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                echo start; docker build -t acme/app:build -f Dockerfile.build .
                docker create --name extract acme/app:build; echo created
                  docker cp extract:/out/app ./app; docker rm extract; echo copied
                docker build -t acme/app:latest . ; rm ./app  # done

                echo done
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                echo start
                echo created
                  echo copied
                docker build -t acme/app:latest .  # done

                echo done
                """
            ),
            "Dockerfile.build": None,
        },
    ),
    "removed commands on backslash-continued lines take their lines along": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                echo building; \\
                  docker build -t acme/app:build -f Dockerfile.build .; \\
                  docker create --name extract acme/app:build; \\
                  docker cp extract:/out/app ./app; \\
                  docker rm extract; \\
                  docker build -t acme/app:latest .
                echo packaged; \\
                  rm -f ./app
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/sh\nset -e\necho building; \\\n  docker build -t acme/app:latest .\necho packaged\n",
            "Dockerfile.build": None,
        },
    ),
    "removed lines between blank lines leave one run of blanks, and none before the end": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e


                echo start

                docker build -t acme/app:build -f Dockerfile.build .
                docker create --name extract acme/app:build
                docker cp extract:/out/app ./app
                docker rm extract

                docker build -t acme/app:latest .

                rm -f ./app
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/sh\nset -e\n\n\necho start\n\ndocker build -t acme/app:latest .\n",
            "Dockerfile.build": None,
        },
    ),
    "blank lines that removed lines push against a function's braces go": (
        {
            "build.sh": d(
                """
                #!/bin/bash
                set -e

                build() {
                  docker build -t acme/app:build -f Dockerfile.build .
                  docker create --name extract acme/app:build

                  docker cp extract:/out/app ./app
                  docker rm extract

                  docker build -t acme/app:latest .
                  echo built

                  rm -f ./app
                }

                build
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": d(
                """
                #!/bin/bash
                set -e

                build() {
                  docker build -t acme/app:latest .
                  echo built
                }

                build
                """
            ),
            "Dockerfile.build": None,
        },
    ),
    "a trap's cleanup function that only removed the container and the artifact goes with the trap": (
        {
            "build.sh": d(
                """
                #!/bin/bash
                set -euo pipefail

                cleanup() {
                  docker rm -f extract >/dev/null 2>&1 || true
                  rm -f ./app
                }
                trap cleanup EXIT

                docker build -t acme/app:build -f Dockerfile.build .
                docker create --name extract acme/app:build
                docker cp extract:/out/app ./app
                docker build -t acme/app:latest .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/bash\nset -euo pipefail\n\ndocker build -t acme/app:latest .\n",
            "Dockerfile.build": None,
        },
    ),
    "a cleanup function a trap runs keeps what else it does, and the trap stays": (
        {
            "build.sh": d(
                """
                #!/bin/bash
                set -euo pipefail
                workdir=$(mktemp -d)

                cleanup() {
                  echo "cleaning up"
                  docker rm -f extract >/dev/null 2>&1 || true
                  rm -rf "$workdir"
                }
                trap cleanup EXIT INT

                docker build -t acme/app:build -f Dockerfile.build .
                docker create --name extract acme/app:build
                docker cp extract:/out/app ./app
                docker build -t acme/app:latest .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": d(
                """
                #!/bin/bash
                set -euo pipefail
                workdir=$(mktemp -d)

                cleanup() {
                  echo "cleaning up"
                  rm -rf "$workdir"
                }
                trap cleanup EXIT INT

                docker build -t acme/app:latest .
                """
            ),
            "Dockerfile.build": None,
        },
    ),
    "a trap handler written out loses the container removal and keeps the rest": (
        {
            "build.sh": d(
                """
                #!/bin/bash
                set -e
                docker build -t acme/app:build -f Dockerfile.build .
                id=$(docker create acme/app:build)
                trap "docker rm -f $id >/dev/null; echo done" EXIT
                docker cp "$id":/out/app ./app
                docker build -t acme/app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": '#!/bin/bash\nset -e\ntrap "echo done" EXIT\ndocker build -t acme/app .\n',
            "Dockerfile.build": None,
        },
    ),
    "a test that only decided whether the container is removed goes with the removal": (
        {
            "build.sh": d(
                """
                #!/bin/bash
                set -euo pipefail
                docker build -t acme/app:build -f Dockerfile.build .
                id=$(docker create acme/app:build)
                cleanup() {
                  [ -n "$id" ] && docker rm -f "$id"
                }
                trap cleanup EXIT
                docker cp "$id":/out/app ./app
                docker build -t acme/app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/bash\nset -euo pipefail\ndocker build -t acme/app .\n",
            "Dockerfile.build": None,
        },
    ),
    "a function left with nothing to do goes with every call of it": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                remove_extract() {
                  docker rm -f extract
                }
                docker build -t acme/app:build -f Dockerfile.build .
                docker create --name extract acme/app:build
                docker cp extract:/out/app ./app
                remove_extract
                docker build -t acme/app .
                remove_extract
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/sh\nset -e\ndocker build -t acme/app .\n",
            "Dockerfile.build": None,
        },
    ),
    "a function a line the reading never reaches still calls keeps its name with `:`; its trap goes": (
        {
            "build.sh": d(
                """
                #!/bin/bash
                set -e
                cleanup() {
                  docker rm -f extract >/dev/null 2>&1 || true
                }
                trap cleanup EXIT
                docker build -t acme/app:build -f Dockerfile.build .
                docker create --name extract acme/app:build
                docker cp extract:/out/app ./app
                docker build -t acme/app .
                exit 0
                cleanup
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/bash\nset -e\ncleanup() {\n  :\n}\ndocker build -t acme/app .\nexit 0\ncleanup\n",
            "Dockerfile.build": None,
        },
    ),
    "an `if` whose body is removed keeps `:`, as bash rejects an empty body": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -t acme/app:build -f Dockerfile.build .
                docker create --name extract acme/app:build
                docker cp extract:/out/app ./app
                docker rm extract
                docker build -t acme/app .
                if [ -z "${KEEP_ARTIFACT:-}" ]; then
                  rm -f ./app
                fi
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": '#!/bin/sh\nset -e\ndocker build -t acme/app .\nif [ -z "${KEEP_ARTIFACT:-}" ]; then\n  :\nfi\n',
            "Dockerfile.build": None,
        },
    ),
    "the build Dockerfile's own .dockerignore is folded into .dockerignore and deleted with it": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t acme/app:build -f Dockerfile.build .
                docker create --name extract acme/app:build
                docker cp extract:/out/app ./app
                docker rm extract
                docker build -t acme/app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile.build.dockerignore": "README.md\n",
            "README.md": "read me\n",
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/sh\ndocker build -t acme/app .\n",
            ".dockerignore": "/README.md\n",
            "Dockerfile.build": None,
            "Dockerfile.build.dockerignore": None,
        },
    ),
    "a `for` loop over words that run nothing goes whole when its body goes": (
        {
            "build.sh": d(
                """
                #!/bin/bash
                set -euo pipefail
                BINS="api worker"
                docker build -t acme/app:build -f Dockerfile.build .
                id=$(docker create acme/app:build)
                for b in $BINS cli; do
                  docker cp "$id:/out/$b" "bin/$b"
                done
                docker rm "$id"
                docker build -t acme/app .
                """
            ),
            "Dockerfile.build": GO_BUILD.replace("-o /out/app .", "-o /out/ ./cmd/..."),
            "Dockerfile": "FROM alpine:3.19\nCOPY bin/ /usr/local/bin/\n",
        },
        {
            "Dockerfile": (
                "FROM golang:1.21 AS builder\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/ ./cmd/...\n\nFROM alpine:3.19\n"
                "COPY --from=builder /out/api /usr/local/bin/api\nCOPY --from=builder /out/worker /usr/local/bin/worker\n"
                "COPY --from=builder /out/cli /usr/local/bin/cli\n"
            ),
            "build.sh": '#!/bin/bash\nset -euo pipefail\nBINS="api worker"\ndocker build -t acme/app .\n',
            "Dockerfile.build": None,
        },
    ),
    "a group and a subshell redirected only to /dev/null go whole when their bodies go, nested ones too": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -t acme/app:build -f Dockerfile.build .
                {
                  docker create --name extract acme/app:build
                  ( docker cp extract:/out/app ./app )
                  docker rm extract
                } >/dev/null 2>&1
                echo "copied"
                docker build -t acme/app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": '#!/bin/sh\nset -e\necho "copied"\ndocker build -t acme/app .\n',
            "Dockerfile.build": None,
        },
    ),
    "a group that writes a log, and a loop whose variable is read after it, keep `:`": (
        {
            "build.sh": d(
                """
                #!/bin/bash
                docker build -t acme/app:build -f Dockerfile.build .
                {
                  docker create --name extract acme/app:build
                } > extract.log
                for name in app; do
                  docker cp "extract:/out/$name" "./$name"
                done
                echo "last: $name"
                docker rm extract
                docker build -t acme/app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": '#!/bin/bash\n{\n  :\n} > extract.log\nfor name in app; do\n  :\ndone\necho "last: $name"\ndocker build -t acme/app .\n',
            "Dockerfile.build": None,
        },
    ),
    "a loop over a command's output keeps `:`: the command still runs": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -t acme/app:build -f Dockerfile.build .
                docker create --name extract acme/app:build
                docker cp extract:/out/app ./app
                docker rm extract
                docker build -t acme/app .
                for attempt in $(seq 2); do
                  docker rmi acme/app:build
                done
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME,
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/sh\nset -e\ndocker build -t acme/app .\nfor attempt in $(seq 2); do\n  :\ndone\n",
            "Dockerfile.build": None,
        },
    ),
    "a mkdir stays when a kept cd still enters its directory, and so does the rm of that directory": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -t acme/app:build -f Dockerfile.build .
                mkdir -p dist
                cd dist
                docker create --name extract acme/app:build
                docker cp extract:/out/app .
                docker rm extract
                cd ..
                docker build -t acme/app .
                rm -rf dist
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME.replace("COPY app", "COPY dist/app"),
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/sh\nset -e\nmkdir -p dist\ncd dist\ncd ..\ndocker build -t acme/app .\nrm -rf dist\n",
            "Dockerfile.build": None,
        },
    ),
    "a mkdir stays for a subshell's cd": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                docker build -t acme/app:build -f Dockerfile.build .
                mkdir -p dist
                docker create --name extract acme/app:build
                (cd dist && docker cp extract:/out/app .)
                docker rm extract
                docker build -t acme/app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME.replace("COPY app", "COPY dist/app"),
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/sh\nmkdir -p dist\n(cd dist)\ndocker build -t acme/app .\n",
            "Dockerfile.build": None,
        },
    ),
    "a mkdir stays for a cd that no step runs after": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -t acme/app:build -f Dockerfile.build .
                mkdir -p dist
                docker create --name extract acme/app:build
                docker cp extract:/out/app dist/app
                docker rm extract
                cd dist
                echo "packaging in $PWD"
                cd ..
                docker build -t acme/app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME.replace("COPY app", "COPY dist/app"),
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": '#!/bin/sh\nset -e\nmkdir -p dist\ncd dist\necho "packaging in $PWD"\ncd ..\ndocker build -t acme/app .\n',
            "Dockerfile.build": None,
        },
    ),
    "a mkdir stays when a kept command writes into its directory": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -t acme/app:build -f Dockerfile.build .
                mkdir -p dist
                git rev-parse HEAD > dist/REVISION
                docker create --name extract acme/app:build
                docker cp extract:/out/app dist/app
                docker rm extract
                docker build -t acme/app .
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME.replace("COPY app", "COPY dist/app"),
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/sh\nset -e\nmkdir -p dist\ngit rev-parse HEAD > dist/REVISION\ndocker build -t acme/app .\n",
            "Dockerfile.build": None,
        },
    ),
    "a mkdir and an rm of a directory nothing else uses go": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -t acme/app:build -f Dockerfile.build .
                mkdir -p dist
                docker create --name extract acme/app:build
                docker cp extract:/out/app dist/app
                docker rm extract
                docker build -t acme/app .
                rm -rf dist
                """
            ),
            "Dockerfile.build": GO_BUILD,
            "Dockerfile": RUNTIME.replace("COPY app", "COPY dist/app"),
        },
        {
            "Dockerfile": MERGED_APP,
            "build.sh": "#!/bin/sh\nset -e\ndocker build -t acme/app .\n",
            "Dockerfile.build": None,
        },
    ),
}


def _with_crlf_dockerignore(case):
    before, expected = case
    kept_out = ".git\r\n.dockerignore\r\nDockerfile*\r\nbuild.sh\r\n"
    return {**before, ".dockerignore": kept_out}, {**expected, ".dockerignore": kept_out + "/bin/app\r\n"}


CASES["a .dockerignore with CRLF line endings keeps them"] = _with_crlf_dockerignore(
    CASES["COPY . . holds the artifact: a COPY --from goes in after it and .dockerignore keeps stale copies out"]
)


def _with_continued_arg(case):
    before, expected = case
    written = {**before, "Dockerfile.build": before["Dockerfile.build"].replace("ARG VERSION=dev", "ARG \\\n    VERSION=dev")}
    return written, {**expected, "Dockerfile": expected["Dockerfile"].replace("ARG BUILDER_VERSION=dev", "ARG \\\n    BUILDER_VERSION=dev")}


CASES["an ARG continued on the next line is renamed there"] = _with_continued_arg(
    CASES["the same build arg with different values: the build stage's copy is renamed"]
)


def _behind_sudo(case):
    before, expected = case
    final = "docker build --build-arg VERSION=2.0 -t acme/app ."
    merged = "docker build --build-arg BUILDER_VERSION=sdk-7 --build-arg VERSION=2.0 -t acme/app ."
    return (
        {**before, "build.sh": before["build.sh"].replace(final, "sudo -u build " + final)},
        {**expected, "build.sh": expected["build.sh"].replace(merged, "sudo -u build " + merged)},
    )


CASES["build args join the docker build word, not a build user of sudo"] = _behind_sudo(
    CASES["the same build arg with different values: the build stage's copy is renamed"]
)


@pytest.mark.parametrize("name", list(CASES))
def test_case(tmp_path, name):
    before, expected = CASES[name]
    root = make_project(tmp_path / "project", before)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    assert texts_after(outcome, root) == expected


def test_parser_directive_kept_once(tmp_path):
    before, _ = CASES["ARG before FROM in both files, directives once at the top"]
    root = make_project(tmp_path / "project", before)
    merged = texts_after(migrate(root / "build.sh"), root)["Dockerfile"]
    assert merged.count("# syntax=") == 1
    assert merged.startswith("# syntax=docker/dockerfile:1\n")


def test_a_directive_of_only_one_dockerfile_now_applies_to_the_other_and_is_noted(tmp_path):
    files = {"build.sh": extract(), "Dockerfile.build": "# syntax=docker/dockerfile:1.4\n" + GO_BUILD, "Dockerfile": RUNTIME}
    root = make_project(tmp_path / "project", files)
    outcome = migrate(root / "build.sh")
    assert texts_after(outcome, root)["Dockerfile"] == "# syntax=docker/dockerfile:1.4\n" + MERGED_APP
    assert (
        "Dockerfile.build:1: the parser directive `# syntax=docker/dockerfile:1.4` now heads the merged Dockerfile, "
        "so it applies to the stages from Dockerfile too"
    ) in outcome.plan.decisions


def test_a_directive_both_dockerfiles_had_is_not_noted(tmp_path):
    before, _ = CASES["ARG before FROM in both files, directives once at the top"]
    root = make_project(tmp_path / "project", before)
    assert not any("parser directive" in note for note in migrate(root / "build.sh").plan.decisions)


def extract(copy: str = "docker cp c:/out/app ./app", *, runtime_build: str = "docker build -t app .", before: str = "") -> str:
    """A driver that builds Dockerfile.build, copies out of its container and builds the runtime image."""
    return (
        f"#!/bin/sh\n{before}docker build -t app:build -f Dockerfile.build .\n"
        f"docker create --name c app:build\n{copy}\ndocker rm c\n{runtime_build}\n"
    )


# (files, lines the merged Dockerfile must hold, lines it must not hold); Dockerfile.build defaults to GO_BUILD.
MERGED_LINES = {
    "USER root:staff in the build stage: its files have another group, so --chown=0:0": (
        {
            "build.sh": extract(),
            "Dockerfile.build": "FROM golang:1.21\nUSER root:staff\nRUN go build -o /out/app .\n",
            "Dockerfile": RUNTIME,
        },
        ["COPY --from=builder --chown=0:0 /out/app /usr/local/bin/app"],
        [],
    ),
    "USER 0:0 in the build stage is root": (
        {
            "build.sh": extract(),
            "Dockerfile.build": "FROM golang:1.21\nUSER 0:0\nRUN go build -o /out/app .\n",
            "Dockerfile": RUNTIME,
        },
        ["COPY --from=builder /out/app /usr/local/bin/app"],
        [],
    ),
    "docker run -u 0:50: the run's files have group 50, so --chown=0:0": (
        {
            "build.sh": (
                "#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\ndocker run -u 0:50 --name r app:build\n"
                "docker cp r:/out/app ./app\ndocker rm r\ndocker build -t app .\n"
            ),
            "Dockerfile.build": "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nCMD go build -o /out/app .\n",
            "Dockerfile": RUNTIME,
        },
        ["COPY --from=r --chown=0:0 /out/app /usr/local/bin/app"],
        [],
    ),
    "go build -o /out/ writes into a directory: its contents go into the COPY's directory": (
        {
            "build.sh": extract("docker cp c:/out ./bin"),
            "Dockerfile.build": "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/ ./cmd/...\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY bin /usr/local/bin/\n",
        },
        ["COPY --from=builder /out /usr/local/bin/"],
        [],
    ),
    "a relative go build -o is read from the base image's working directory": (
        {
            "build.sh": extract("docker cp c:/go/app ./server"),
            "Dockerfile.build": "FROM golang:1.21\nRUN go build -o app .\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY server /usr/local/bin/\n",
        },
        ["COPY --from=builder /go/app /usr/local/bin/server"],
        [],
    ),
    "a rename into a directory the runtime stage made with WORKDIR: COPY copies into it": (
        {
            "build.sh": extract("docker cp c:/out/app ./server"),
            "Dockerfile": "FROM alpine:3.19\nWORKDIR /app\nCOPY server /app\n",
        },
        ["COPY --from=builder /out/app /app/server"],
        [],
    ),
    "a rename into a directory made by mkdir, a relative destination": (
        {
            "build.sh": extract("docker cp c:/out/app ./server"),
            "Dockerfile": "FROM alpine:3.19\nWORKDIR /srv\nRUN mkdir -p bin/x\nCOPY server bin\n",
        },
        ["COPY --from=builder /out/app bin/server"],
        [],
    ),
    "a rename into a directory an earlier stage of the runtime file made": (
        {
            "build.sh": extract("docker cp c:/out/app ./server"),
            "Dockerfile": "FROM alpine:3.19 AS base\nCOPY README /app/README\nFROM base\nCOPY server /app\n",
            "README": "x\n",
        },
        ["COPY --from=builder /out/app /app/server"],
        [],
    ),
    "a rename to a path the runtime stage makes only later keeps the name": (
        {
            "build.sh": extract("docker cp c:/out/app ./server"),
            "Dockerfile": "FROM alpine:3.19\nCOPY server /server\nRUN mkdir -p /server/data\n",
        },
        ["COPY --from=builder /out/app /server"],
        [],
    ),
    "a COPY source cannot leave the context: ../app is the context's app": (
        {"build.sh": extract(), "Dockerfile": "FROM alpine:3.19\nCOPY ../app /usr/local/bin/app\n"},
        ["COPY --from=builder /out/app /usr/local/bin/app"],
        [],
    ),
    "a numeric --from of the runtime file counts the stage a docker run became": (
        {
            "build.sh": (
                "#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\ndocker run --name r app:build\n"
                "docker cp r:/out/app ./app\ndocker rm r\ndocker build -t app .\n"
            ),
            "Dockerfile.build": "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nCMD go build -o /out/app .\n",
            "Dockerfile": "FROM alpine:3.19\nRUN echo hi > /hi\nFROM alpine:3.19\nCOPY --from=0 /hi /hi\nCOPY app /usr/local/bin/app\n",
        },
        ["COPY --from=2 /hi /hi"],
        [],
    ),
    "a build stage named like the runtime file's base image is renamed, and its own FROM still names the image": (
        {
            "build.sh": extract(),
            "Dockerfile.build": (
                "FROM busybox AS busybox\nRUN echo hi > /tool\n"
                "FROM golang:1.21\nCOPY --from=busybox /tool /tool\nRUN go build -o /out/app .\n"
            ),
            "Dockerfile": "FROM busybox\nCOPY app /usr/local/bin/app\n",
        },
        ["FROM busybox AS busybox-2", "COPY --from=busybox-2 /tool /tool", "FROM busybox"],
        [],
    ),
    "a build stage named like an image the runtime file copies from is renamed": (
        {
            "build.sh": extract(),
            "Dockerfile.build": (
                "FROM golang:1.21 AS tools\nRUN echo hi > /tool\n"
                "FROM golang:1.21\nCOPY --from=tools /tool /tool\nRUN go build -o /out/app .\n"
            ),
            "Dockerfile": "FROM alpine:3.19\nCOPY --from=tools /x /x\nCOPY app /usr/local/bin/app\n",
        },
        ["FROM golang:1.21 AS tools-2", "COPY --from=tools-2 /tool /tool", "COPY --from=tools /x /x"],
        [],
    ),
    "a new stage name is not one the build file uses for an image": (
        {"build.sh": extract(), "Dockerfile.build": "FROM builder\nRUN go build -o /out/app .\n", "Dockerfile": RUNTIME},
        ["FROM builder AS app-build"],
        ["FROM builder AS builder"],
    ),
    "a global ARG renamed for the build stage is renamed in its FROM too": (
        {
            "build.sh": extract(runtime_build="docker build --build-arg BASE=alpine:3.18 -t app ."),
            "Dockerfile.build": "ARG BASE=golang:1.21\nFROM ${BASE}\nRUN go build -o /out/app .\n",
            "Dockerfile": "ARG BASE=alpine:3.19\nFROM ${BASE}\nCOPY app /usr/local/bin/app\n",
        },
        ["ARG BUILDER_BASE=golang:1.21", "ARG BASE=alpine:3.19", "FROM ${BUILDER_BASE} AS builder", "FROM ${BASE}"],
        ["FROM ${BASE} AS builder"],
    ),
    "docker cp of a directory to an absent DEST/ lands at DEST, not inside it": (
        {
            "build.sh": extract("docker cp c:/out ./dist/"),
            "Dockerfile.build": "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN mkdir /out && go build -o /out/app .\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY dist /app\n",
        },
        ["COPY --from=builder /out /app"],
        ["COPY --from=builder /out /app/out"],
    ),
    "docker cp of a file to DEST/ lands inside it": (
        {"build.sh": extract("docker cp c:/out/app bin/"), "Dockerfile": "FROM alpine:3.19\nCOPY bin /usr/local/bin/\n"},
        ["COPY --from=builder /out/app /usr/local/bin/app"],
        [],
    ),
    "a COPY --from naming the build image's tag now names its stage": (
        {
            "build.sh": extract(),
            "Dockerfile": "FROM alpine:3.19\nCOPY --from=app:build /src/go.mod /go.mod\nCOPY app /usr/local/bin/app\n",
        },
        ["COPY --from=builder /src/go.mod /go.mod", "COPY --from=builder /out/app /usr/local/bin/app"],
        ["COPY --from=app:build /src/go.mod /go.mod"],
    ),
    "a COPY of several sources keeps their order, so a later source still wins": (
        {
            "build.sh": extract(),
            "Dockerfile": "FROM alpine:3.19\nCOPY README app config/ /opt/\n",
            "README": "r\n",
            "config/app": "a file named like the artifact\n",
        },
        ["COPY README /opt/\nCOPY --from=builder /out/app /opt/\nCOPY config/ /opt/"],
        [],
    ),
    "ADD of an extracted directory unpacks nothing in it, so it becomes a COPY --from": (
        {"build.sh": extract("docker cp c:/out ./dist"), "Dockerfile": "FROM alpine:3.19\nADD dist /opt/svc/\n"},
        ["COPY --from=builder /out /opt/svc/"],
        ["ADD dist /opt/svc/"],
    ),
    "ADD of a directory the build image's Dockerfile shows inside an extracted directory": (
        {
            "build.sh": extract("docker cp c:/out ./dist"),
            "Dockerfile.build": "FROM golang:1.21\nRUN go build -o /out/bin/app .\n",
            "Dockerfile": "FROM alpine:3.19\nADD dist/bin /usr/local/bin/\n",
        },
        ["COPY --from=builder /out/bin /usr/local/bin/"],
        ["ADD dist/bin /usr/local/bin/"],
    ),
    "ADD . holding the artifact stays, and the artifact is copied after it": (
        {"build.sh": extract(), "Dockerfile": "FROM alpine:3.19\nADD . /srv/\n", ".dockerignore": ".dockerignore\nDockerfile*\nbuild.sh\n"},
        ["ADD . /srv/\nCOPY --from=builder /out/app /srv/app"],
        [],
    ),
    "ADD of a directory a docker run wrote through a bind mount": (
        {
            "build.sh": '#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\n'
            'docker run --rm -v "$PWD/dist:/dist" app:build cp -a /out/app /dist/\ndocker build -t app .\n',
            "Dockerfile": "FROM alpine:3.19\nADD dist /opt/\n",
        },
        ["COPY --from=builder-run /dist /opt/"],
        ["ADD dist /opt/"],
    ),
}


@pytest.mark.parametrize("name", list(MERGED_LINES))
def test_merged_lines(tmp_path, name):
    files, present, absent = MERGED_LINES[name]
    root = make_project(tmp_path / "project", {"Dockerfile.build": GO_BUILD, **files})
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    text = texts_after(outcome, root)["Dockerfile"]
    lines = text.splitlines()
    assert [line for line in present if line not in lines and line not in text] == []
    assert [line for line in absent if line in lines] == []


def test_a_directory_that_held_only_artifacts_is_reported(tmp_path):
    files = {
        "build.sh": extract("mkdir -p dist\ndocker cp c:/out/app dist/app"),
        "Dockerfile.build": GO_BUILD,
        "Dockerfile": "FROM alpine:3.19\nCOPY dist /opt/\n",
    }
    root = make_project(tmp_path / "project", files)
    outcome = migrate(root / "build.sh")
    assert "COPY --from=builder /out/app /opt/app" in texts_after(outcome, root)["Dockerfile"]
    assert any("git tracks nothing in dist, so it held only the artifacts" in decision for decision in outcome.plan.decisions)


def test_an_rm_that_stays_for_a_kept_directory_but_also_removes_the_artifact_is_refused(tmp_path):
    files = {
        "build.sh": extract("mkdir -p dist\ncd dist\ndocker cp c:/out/app .\ncd ..", runtime_build="docker build -t app .\nrm -r dist/app dist"),
        "Dockerfile.build": GO_BUILD,
        "Dockerfile": "FROM alpine:3.19\nCOPY dist/app /usr/local/bin/app\n",
    }
    root = make_project(tmp_path / "project", files)
    outcome = migrate(root / "build.sh")
    assert (outcome.status, outcome.location.line) == ("refused", 10)
    assert "`rm -r dist/app dist` stays because the driver still makes dist" in outcome.message


def test_keep_legacy_keeps_the_build_dockerfiles_own_dockerignore(tmp_path):
    before, _ = CASES["the build Dockerfile's own .dockerignore is folded into .dockerignore and deleted with it"]
    root = make_project(tmp_path / "project", before)
    after = texts_after(migrate(root / "build.sh", keep_legacy=True), root)
    assert "Dockerfile.build" not in after and "Dockerfile.build.dockerignore" not in after
