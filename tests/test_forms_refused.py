"""Extraction forms dmigrate refuses (issue 4): each with file:line and its reason, and nothing changed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from support import make_project, migrate_leaving_disk_unchanged

BUILD = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /build/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"


def flow(middle: str, runtime_build: str = "docker build -t app .") -> str:
    return f"#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\n{middle}\n{runtime_build}\n"


CASES = [
    # (name, files, file, line, message fragment)
    (
        "a Windows build image",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/app/app.exe app\ndocker rm c"),
            "Dockerfile.build": "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo\n",
        },
        "build.sh",
        2,
        "builds a Windows container image",
    ),
    (
        "a Windows container path",
        {"build.sh": flow("docker create --name c app:build\ndocker cp 'c:C:\\app\\app.exe' app\ndocker rm c")},
        "build.sh",
        4,
        "is a Windows container path",
    ),
    (
        "per-architecture alternatives chosen at run time",
        {
            "build.sh": flow(
                'docker create --name c app:build\ncase "$(uname -m)" in\n  x86_64) docker cp c:/build/app-amd64 app ;;\n'
                "  *) docker cp c:/build/app-arm64 app ;;\nesac\ndocker rm c"
            )
        },
        "build.sh",
        5,
        "inside a `case` chosen at run time",
    ),
    (
        "an architecture picked at run time names the container path",
        {
            "build.sh": flow(
                'docker create --name c app:build\ncase "$(uname -m)" in\n  x86_64) ARCH=amd64 ;;\n  aarch64) ARCH=arm64 ;;\nesac\n'
                "docker cp c:/build/app-$ARCH app\ndocker rm c"
            )
        },
        "build.sh",
        8,
        "cannot be known without running the driver",
    ),
    (
        "a loop whose list only a container knows",
        {
            "build.sh": flow(
                "docker create --name c app:build\nfor f in $(docker run --rm app:build ls /build); do docker cp c:/build/$f bin/; done\ndocker rm c"
            ),
            "Dockerfile": "FROM alpine:3.19\nCOPY bin/ /usr/local/bin/\n",
        },
        "build.sh",
        4,
        "inside a `for` loop over $(docker run --rm app:build ls /build)",
    ),
    (
        "extraction by a tool whose behaviour cannot be read (docker export)",
        {"build.sh": flow("docker create --name c app:build\ndocker export c | tar -x -C rootfs build/app\ndocker rm c")},
        "build.sh",
        4,
        "`docker export` takes files out of the build image or its container in a way dmigrate cannot follow",
    ),
    (
        "a command whose output is saved as the artifact",
        {"build.sh": flow("docker run --rm app:build /build/app --print-binary > app")},
        "build.sh",
        3,
        "which dmigrate reads only from `cat FILE` or `tar -c`",
    ),
    (
        "the output of docker run appended to a file",
        {"build.sh": flow("docker run --rm app:build cat /build/app >> app")},
        "build.sh",
        3,
        "appends the output of `docker run` to app",
    ),
    (
        "a container run in the background",
        {"build.sh": flow("docker run -d --name c app:build go build -o /build/app .\ndocker cp c:/build/app app\ndocker rm c")},
        "build.sh",
        4,
        "runs in the background",
    ),
    (
        "docker start without -a",
        {"build.sh": flow("docker create --name c app:build go build -o /build/app .\ndocker start c\ndocker cp c:/build/app app\ndocker rm c")},
        "build.sh",
        5,
        "runs in the background",
    ),
    (
        "a container started twice",
        {
            "build.sh": flow(
                "docker create --name c app:build go build -o /build/app .\ndocker start -a c\ndocker start -a c\ndocker cp c:/build/app app\ndocker rm c"
            )
        },
        "build.sh",
        5,
        "runs its command more than once",
    ),
    (
        "an image whose ENTRYPOINT and CMD are unknown",
        {
            "build.sh": flow('mkdir -p out\ndocker run --rm -v "$PWD/out":/out myorg/sdk:2 build'),
            "Dockerfile": "FROM alpine:3.19\nCOPY out/app /app\n",
        },
        "build.sh",
        4,
        "does not know the ENTRYPOINT, CMD and WORKDIR of myorg/sdk:2",
    ),
    (
        "an image with neither ENTRYPOINT nor CMD",
        {"build.sh": flow("docker run --name c app:build\ndocker cp c:/build/app app\ndocker rm c"), "Dockerfile.build": "FROM scratch\nCOPY app /build/app\n"},
        "build.sh",
        3,
        "No command specified",
    ),
    (
        "a run option a build step cannot have",
        {
            "build.sh": flow('mkdir -p out\ndocker run --rm --privileged -v "$PWD/out":/out app:build cp /build/app /out/'),
            "Dockerfile": "FROM alpine:3.19\nCOPY out/app /app\n",
        },
        "build.sh",
        4,
        "`docker run --privileged` has no equivalent in a build step",
    ),
    (
        "a named volume",
        {
            "build.sh": flow('docker run --rm -v gocache:/root/.cache -v "$PWD/out":/out app:build cp /build/app /out/'),
            "Dockerfile": "FROM alpine:3.19\nCOPY out/app /app\n",
        },
        "build.sh",
        3,
        "a volume whose content outlives the container",
    ),
    (
        "a bind mount outside the project",
        {
            "build.sh": flow('docker run --rm -v /var/cache/sdk:/cache -v "$PWD/out":/out app:build cp /build/app /out/'),
            "Dockerfile": "FROM alpine:3.19\nCOPY out/app /app\n",
        },
        "build.sh",
        3,
        "outside the project",
    ),
    (
        "a read-only mount of a file git does not track",
        {
            "build.sh": flow('docker run --rm -v "$PWD/local.env":/etc/local.env:ro -v "$PWD/out":/out app:build cp /build/app /out/'),
            "Dockerfile": "FROM alpine:3.19\nCOPY out/app /app\n",
        },
        "build.sh",
        3,
        "it mounts local.env, which git does not track",
    ),
    (
        "a bind mount hides what the build image made there",
        {
            "build.sh": flow('docker run --rm -v "$PWD":/src app:build make'),
            "Dockerfile": "FROM alpine:3.19\nCOPY app /app\n",
        },
        "build.sh",
        3,
        "the build image already has files in /src",
    ),
    (
        "the mounted project leaves a file out of the stage's copy of it",
        {
            "build.sh": flow('docker run --rm -v "$PWD":/src -w /src app:build make'),
            "Dockerfile.build": "FROM golang:1.22\n",
            ".dockerignore": "secrets.env\n",
            "secrets.env": "TOKEN=1\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY app /app\n",
        },
        "build.sh",
        3,
        "secrets.env reaches this COPY in its own build, but the .dockerignore of the merged build leaves it out",
    ),
    (
        "COPY . of a mounted project under a .dockerignore",
        {
            "build.sh": flow('docker run --rm -v "$PWD":/src -w /src app:build make'),
            "Dockerfile.build": "FROM golang:1.22\n",
            ".dockerignore": "*.o\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY . /app\n",
        },
        "Dockerfile",
        2,
        ".dockerignore leaves out part of the extracted build context",
    ),
    (
        "chmod of what may be a directory",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/src/static static\ndocker rm c\nchmod 755 static"),
            "Dockerfile": "FROM alpine:3.19\nCOPY static /srv\n",
        },
        "build.sh",
        6,
        "static may be a directory",
    ),
    (
        "chmod +x of a file whose mode is unknown",
        {"build.sh": flow("docker create --name c app:build\ndocker cp c:/build/app app\ndocker rm c\nchmod +x app")},
        "build.sh",
        6,
        "the mode app had before cannot be known",
    ),
    (
        "strip on the host",
        {"build.sh": flow("docker create --name c app:build\ndocker cp c:/build/app app\ndocker rm c\nstrip app")},
        "build.sh",
        6,
        "`strip app` uses the extracted artifact on the host",
    ),
    (
        "COPY of an archive the host packed from an artifact",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/build/app app\ndocker rm c\ntar -czf app.tar.gz app\nrm app"),
            "Dockerfile": "FROM alpine:3.19\nCOPY app.tar.gz /opt/\n",
        },
        "Dockerfile",
        2,
        "only an ADD that unpacks it can read the artifacts from a stage instead",
    ),
    (
        "a build context outside the runtime build's",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/build/app web/app\ndocker rm c", "docker build -t app web"),
            "web/Dockerfile": RUNTIME,
        },
        "build.sh",
        2,
        "is not inside the runtime build's",
    ),
    (
        "a build image's own .dockerignore that the runtime COPY . . contradicts",
        {
            "build.sh": flow("docker create --name c app:build\ndocker cp c:/build/app app\ndocker rm c"),
            "Dockerfile.build.dockerignore": "notes.txt\n",
            "notes.txt": "notes\n",
            "Dockerfile": "FROM alpine:3.19\nCOPY . /srv\nCOPY app /usr/local/bin/app\n",
        },
        "Dockerfile.build",
        3,
        "notes.txt is left out of this COPY in its own build, but the .dockerignore of the merged build lets it in",
    ),
    (
        "a renamed ARG's ENV would leak into the stage of a docker run",
        {
            "build.sh": flow("docker run --name c app:build\ndocker cp c:/build/app app\ndocker rm c", "docker build --build-arg VERSION=2 -t app .").replace(
                "docker build -t app:build", "docker build --build-arg VERSION=1 -t app:build"
            ),
            "Dockerfile.build": 'FROM golang:1.22\nARG VERSION\nCMD ["go", "build", "-o", "/build/app", "."]\n',
            "Dockerfile": "FROM alpine:3.19\nARG VERSION\nCOPY app /app\n",
        },
        "Dockerfile.build",
        2,
        "a `docker run` of it turned into a stage",
    ),
    (
        "a symbolic link made by the run, copied without -L",
        {"build.sh": flow("docker run --name c app:build sh -c 'ln -s /build/app /build/current'\ndocker cp c:/build/current app\ndocker rm c")},
        "build.sh",
        4,
        "is a symbolic link in the build container",
    ),
]


@pytest.mark.parametrize("name, files, file, line, fragment", CASES, ids=[case[0] for case in CASES])
def test_refused(tmp_path, name, files, file, line, fragment):
    files = {"Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **files}
    root = make_project(tmp_path / "project", files)
    outcome = migrate_leaving_disk_unchanged(root / "build.sh")
    assert outcome.status == "refused", outcome.message
    assert fragment in outcome.message
    assert outcome.location is not None
    assert (outcome.location.file.name, outcome.location.line) == (file, line)


def test_the_command_refuses_and_writes_nothing(tmp_path):
    """Through the real command, not a dry run: exit 2, file:line and the reason, the project untouched."""
    name, files, file, line, fragment = CASES[0]
    root = make_project(tmp_path / "project", {"Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **files})
    done = subprocess.run([sys.executable, "-m", "migrate", str(root / "build.sh")], cwd=root, capture_output=True, text=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{file}:{line}" in done.stderr and fragment in done.stderr
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True)
    assert status.stdout == ""
