"""Flows dmigrate cannot read are refused, never migrated and never "nothing to do" (issue 11, items 3 to 7).

Every refusal here runs the real migration (not a dry run) and checks that no
file of the project changed, byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support import make_project
from migrate.migration import NOTHING, PENDING, Options, migrate_driver

BUILD = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /build/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"
EXTRACT = "docker build -t app:build -f Dockerfile.build .\ndocker create --name c app:build\ndocker cp c:/build/app app\ndocker rm c\n"


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file() and ".git" not in path.parts}


def refused(tmp_path: Path, files: dict[str, str], driver: str = "build.sh"):
    """Migrate for real; the outcome must be a refusal that changed no file."""
    root = make_project(tmp_path / "project", {"Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **files})
    before = snapshot(root)
    outcome = migrate_driver(root / driver, Options(write=True))
    assert outcome.status == "refused", f"{outcome.status}: {outcome.message}"
    assert snapshot(root) == before
    return outcome


def assert_refused(tmp_path, files, file: str, line: int, fragment: str, driver: str = "build.sh"):
    outcome = refused(tmp_path, files, driver)
    assert fragment in outcome.message, outcome.message
    assert (outcome.location.file.name, outcome.location.line) == (file, line), outcome.message
    return outcome


def dry_run(tmp_path: Path, files: dict[str, str], driver: str = "build.sh"):
    root = make_project(tmp_path / "project", {"Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **files})
    return migrate_driver(root / driver, Options(write=False))


# -- item 7: Windows drivers and images ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["build.cmd", "build.bat", "BUILD.CMD", "build.ps1"])
def test_a_windows_driver_is_refused_by_its_name(tmp_path, name):
    # This text parses as POSIX shell and would migrate if it were read as one.
    flow = f"{EXTRACT}docker build -t app .\n"
    outcome = assert_refused(tmp_path, {name: flow}, name, 1, "which dmigrate does not read", driver=name)
    assert "Windows" in outcome.message


@pytest.mark.parametrize(
    "base",
    [
        "golang:1.22-windowsservercore-ltsc2022",
        "golang:1.22-nanoserver-1809",
        "python:3.12-windowsservercore",
        "mcr.microsoft.com/dotnet/sdk:8.0-nanoserver-ltsc2022",
        "mcr.microsoft.com/windows/servercore:ltsc2022",
        "mcr.microsoft.com/windows:ltsc2019",
        "microsoft/nanoserver",
        "mcr.microsoft.com/dotnet/framework/sdk:4.8",
        "myorg/sdk:ltsc2022",
    ],
)
def test_a_windows_build_image_is_refused_by_its_tag(tmp_path, base):
    files = {"build.sh": f"#!/bin/sh\n{EXTRACT}docker build -t app .\n", "Dockerfile.build": BUILD.replace("golang:1.22", base)}
    assert_refused(tmp_path, files, "build.sh", 2, "builds a Windows container image")


def test_a_run_of_a_windows_image_is_refused(tmp_path):
    files = {
        "build.sh": '#!/bin/sh\nmkdir -p out\ndocker run --rm -v "$PWD/out":/out golang:1.22-nanoserver-ltsc2022 go build -o /out/app\ndocker build -t app .\n',
        "Dockerfile": "FROM alpine:3.19\nCOPY out/app /app\n",
    }
    assert_refused(tmp_path, files, "build.sh", 3, "golang:1.22-nanoserver-ltsc2022 is a Windows container image")


@pytest.mark.parametrize("base", ["mcr.microsoft.com/dotnet/sdk:8.0", "golang:1.22-bookworm", "myorg/servercorex:1"])
def test_a_linux_image_from_microsoft_still_migrates(tmp_path, base):
    files = {"build.sh": f"#!/bin/sh\n{EXTRACT}docker build -t app .\n", "Dockerfile.build": BUILD.replace("golang:1.22", base)}
    assert dry_run(tmp_path, files).status == PENDING


# -- item 4: compose and other docker front ends -------------------------------------------------------------------------


def window(step: str) -> dict[str, str]:
    """``step`` runs while the extracted app sits on the host, before the runtime build reads it."""
    return {"build.sh": f"#!/bin/sh\n{EXTRACT}{step}\ndocker build -t app .\n"}


@pytest.mark.parametrize(
    "step",
    [
        "docker-compose run --rm post strip /src/app",
        "docker compose run --rm post strip /src/app",
        "docker compose -f ci.yml --profile tools up post",
        "docker-compose exec tools strip /src/app",
        "docker compose build",
        "docker compose cp post:/out/app ./app",
        "docker buildx bake post",
        "docker buildx $STEP",
        "buildctl build --frontend dockerfile.v0 --local context=. --output type=local,dest=.",
    ],
)
def test_a_front_end_step_beside_the_artifacts_is_refused(tmp_path, step):
    assert_refused(tmp_path, window(step), "build.sh", 6, "so what it does to the artifacts cannot be known")


@pytest.mark.parametrize(
    "step",
    [
        "docker-compose down",
        "docker compose -p app ps",
        "docker compose push",
        "docker-compose logs",
        "docker buildx ls",
        "docker buildx imagetools inspect app",
        "gcloud docker -- push gcr.io/acme/app",
        "gcloud docker --authorize-only",
    ],
)
def test_a_front_end_step_that_writes_no_file_stays_harmless(tmp_path, step):
    assert dry_run(tmp_path, window(step)).status == PENDING


def test_gcloud_docker_running_a_container_is_refused(tmp_path):
    assert_refused(tmp_path, window('gcloud docker -- run -v "$PWD":/w alpine strip /w/app'), "build.sh", 6, "`gcloud docker` runs `docker run`")


@pytest.mark.parametrize(
    "step",
    [
        "docker-compose run --rm builder npm run build",
        "docker compose run --rm builder npm run build",
        "docker compose up builder",
        "docker compose --file ci.yml build",
        "docker buildx bake",
        "buildctl build --frontend dockerfile.v0 --local context=. --output type=local,dest=dist",
    ],
)
def test_a_builder_behind_a_front_end_is_refused_not_nothing_to_do(tmp_path, step):
    files = {"build.sh": f"#!/bin/sh\n{step}\ndocker build -t app .\n", "Dockerfile": "FROM nginx:1.25\nCOPY dist /usr/share/nginx/html\n"}
    assert_refused(tmp_path, files, "build.sh", 2, "may be a builder dmigrate cannot read, and the build at build.sh:3 copies files from its context")


def test_a_compose_builder_in_a_python_driver_is_refused(tmp_path):
    files = {
        "build.py": "import subprocess\nsubprocess.run(['docker', 'compose', 'run', 'builder'], check=True)\nsubprocess.run(['docker', 'build', '-t', 'app', '.'], check=True)\n",
        "Dockerfile": "FROM nginx:1.25\nCOPY dist /usr/share/nginx/html\n",
    }
    assert_refused(tmp_path, files, "build.py", 2, "`docker compose run` may be a builder dmigrate cannot read", driver="build.py")


@pytest.mark.parametrize(
    "script",
    [
        # Nothing builds after the compose step.
        "#!/bin/sh\ndocker build -t app .\ndocker compose up -d\n",
        # The build after it copies nothing from its context.
        "#!/bin/sh\ndocker compose run --rm tests\ndocker build -t app -f Dockerfile.base .\n",
        # Push-only steps.
        "#!/bin/sh\ngcloud docker -- push gcr.io/acme/app\ndocker compose push\n",
        "#!/bin/sh\ndocker build -t app .\ngcloud docker -- push gcr.io/acme/app\n",
    ],
)
def test_a_front_end_step_no_build_can_read_is_nothing_to_do(tmp_path, script):
    files = {"build.sh": script, "Dockerfile.base": "FROM alpine:3.19\nRUN echo base\n"}
    assert dry_run(tmp_path, files).status == NOTHING


PYTHON_EXTRACT = (
    "import subprocess\n"
    "def docker(*args):\n"
    "    subprocess.run(['docker', *args], check=True)\n"
    "docker('build', '-t', 'app:build', '-f', 'Dockerfile.build', '.')\n"
    "docker('create', '--name', 'c', 'app:build')\n"
    "docker('cp', 'c:/build/app', 'app')\n"
    "docker('rm', 'c')\n"
)


@pytest.mark.parametrize(
    "step, status",
    [
        ("subprocess.run(['gcloud', 'docker', '--', 'push', 'gcr.io/acme/app'], check=True)", PENDING),
        ("subprocess.run(['docker-compose', 'down'], check=True)", PENDING),
        ("subprocess.run(['gcloud', 'docker', '--', 'run', 'alpine', 'true'], check=True)", "refused"),
        ("subprocess.run(['docker-compose', 'run', 'post'], check=True)", "refused"),
    ],
)
def test_front_end_steps_in_a_python_driver(tmp_path, step, status):
    files = {"build.py": f"{PYTHON_EXTRACT}{step}\ndocker('build', '-t', 'app', '.')\n"}
    outcome = dry_run(tmp_path, files, "build.py")
    assert outcome.status == status, outcome.message


# -- item 5: bind mounts that cannot be placed ---------------------------------------------------------------------------

MOUNT_RUNTIME = "FROM alpine:3.19\nCOPY out/app /usr/local/bin/app\n"


def make_mount(host: str) -> dict[str, str]:
    return {
        "Makefile": f"all:\n\tdocker run --rm -v {host}:/src -w /src golang:1.22 go build -o out/app .\n\tdocker build -t app .\n",
        "Dockerfile": MOUNT_RUNTIME,
        "main.go": "package main\n",
    }


def migrated_texts(tmp_path, files, driver):
    outcome = dry_run(tmp_path, files, driver)
    assert outcome.status == PENDING, outcome.message
    return {change.path.name: change.after for change in outcome.changes}


@pytest.mark.parametrize("host", ["$(shell pwd)", "$(shell pwd -P)", "$(PWD)", "${PWD}", "$(realpath .)", "$(abspath .)", "$(CURDIR)/", "$$PWD"])
def test_make_names_for_its_own_directory_are_placed_as_curdir_is(tmp_path, host):
    expected = migrated_texts(tmp_path / "curdir", make_mount("$(CURDIR)"), "Makefile")
    texts = migrated_texts(tmp_path / "other", make_mount(host), "Makefile")
    assert texts["Dockerfile"] == expected["Dockerfile"]
    assert "COPY . /src" in texts["Dockerfile"]


def test_a_makefile_that_sets_pwd_itself_is_read_with_its_value(tmp_path):
    files = make_mount("$(PWD)")
    files["Makefile"] = "PWD := $(shell git rev-parse --show-toplevel)\n" + files["Makefile"]
    assert_refused(tmp_path, files, "Makefile", 3, "cannot be placed", driver="Makefile")


@pytest.mark.parametrize("host", ["$(shell git rev-parse --show-toplevel)", "$(HOME)/src", "$(realpath src)", "$(ROOT)"])
def test_a_makefile_mount_that_cannot_be_placed_is_refused(tmp_path, host):
    outcome = assert_refused(tmp_path, make_mount(host), "Makefile", 2, "cannot be placed: its host directory is only known when the driver runs", driver="Makefile")
    assert f"the bind mount {host}:/src" in outcome.message


def shell_mount(before: str, host: str, after: str = "docker build -t app .\n") -> dict[str, str]:
    return {
        "build.sh": f"#!/bin/sh\n{before}docker run --rm -v {host}:/src -w /src golang:1.22 go build -o out/app .\n{after}",
        "Dockerfile": MOUNT_RUNTIME,
        "main.go": "package main\n",
    }


@pytest.mark.parametrize(
    "before, host",
    [
        ("", '"$(git rev-parse --show-toplevel)"'),
        ("ROOT=$(git rev-parse --show-toplevel)\n", '"$ROOT"'),
        ("ROOT=$(cd .. && git rev-parse --show-prefix)\n", '"$ROOT"'),
        ("SRC=$HOME/src/app\n", '"$SRC"'),
        ("", "~/src/app"),
        ("", '"$1"'),
    ],
)
def test_a_shell_mount_that_cannot_be_placed_is_refused(tmp_path, before, host):
    line = 2 + before.count("\n")
    assert_refused(tmp_path, shell_mount(before, host), "build.sh", line, "cannot be placed: its host directory is only known when the driver runs")


def test_a_mount_of_the_directory_holding_the_project_is_refused(tmp_path):
    assert_refused(tmp_path, shell_mount("", '"$PWD/.."'), "build.sh", 2, "which holds the whole project")


def test_an_unplaced_mount_is_refused_whether_or_not_files_are_copied_out(tmp_path):
    script = (
        "#!/bin/sh\n"
        "docker run --name c -v \"$HOME/cache\":/cache golang:1.22 go build -o /build/app .\n"
        "docker cp c:/build/app app\n"
        "docker rm c\n"
        "docker build -t app .\n"
    )
    assert_refused(tmp_path, {"build.sh": script}, "build.sh", 2, "the bind mount \"$HOME/cache\":/cache cannot be placed")


@pytest.mark.parametrize(
    "script",
    [
        # Read-only: the run writes nothing there.
        '#!/bin/sh\ndocker run --rm -v "$HOME/.netrc":/root/.netrc:ro golang:1.22 go vet ./...\ndocker build -t app .\n',
        # No build after it can read what it wrote.
        '#!/bin/sh\ndocker build -t app .\ndocker run --rm -v "$HOME/.kube":/root/.kube bitnami/kubectl apply -f k8s.yml\n',
    ],
)
def test_an_unplaced_mount_no_build_can_read_is_left_alone(tmp_path, script):
    assert dry_run(tmp_path, {"build.sh": script, "Dockerfile": "FROM alpine:3.19\nCOPY main.go /\n", "main.go": ""}).status == NOTHING


# -- item 6: "nothing to do" that hides a builder flow -------------------------------------------------------------------


@pytest.mark.parametrize(
    "run",
    [
        "docker run app:build tar -cf - . | docker build -t app -f Dockerfile.run -",
        "docker run --rm myorg/sdk:2 | docker build -t app -",
        "docker run --rm app:build cat /build/app | docker build -t app -f Dockerfile.run -",
        "docker run --rm app:build cat /image.tar | sudo docker load",
        "docker run --rm app:build tar -cf - /build | docker image import - app",
    ],
)
def test_a_run_piped_into_docker_build_is_refused(tmp_path, run):
    files = {"build.sh": f"#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\n{run}\n", "Dockerfile.run": RUNTIME}
    assert_refused(tmp_path, files, "build.sh", 3, "a builder flow dmigrate does not migrate yet")


def test_a_run_piped_into_docker_login_is_left_alone(tmp_path):
    script = (
        "#!/bin/sh\n"
        "docker run --rm amazon/aws-cli ecr get-login-password | docker login --username AWS --password-stdin 1.dkr.ecr.example\n"
        f"{EXTRACT}docker build -t app .\n"
    )
    assert dry_run(tmp_path, {"build.sh": script}).status == PENDING


@pytest.mark.parametrize("output", ["$OUT", "-", "type=tar", "type=local,dest=$DEST", "type=$KIND,dest=out"])
def test_a_build_that_writes_to_an_unknown_host_path_before_another_is_refused(tmp_path, output):
    files = {"build.sh": f"#!/bin/sh\ndocker build -o {output} -f Dockerfile.build . > out.tar\ndocker build -t app .\n"}
    assert_refused(tmp_path, files, "build.sh", 2, "(--output), may be a builder dmigrate cannot read")


@pytest.mark.parametrize("output", ["dist", "type=local,dest=dist", "--output=type=tar,dest=dist"])
def test_a_build_output_a_later_copy_reads_is_refused(tmp_path, output):
    flag = output if output.startswith("--") else f"-o {output}"
    files = {"build.sh": f"#!/bin/sh\ndocker build {flag} -f Dockerfile.build .\ndocker build -t app .\n", "Dockerfile": "FROM alpine:3.19\nCOPY dist /srv\n"}
    assert_refused(tmp_path, files, "build.sh", 2, "this build writes its result to dist on the host (--output), which dmigrate does not follow, and Dockerfile:2 reads it")


@pytest.mark.parametrize("output", ["type=registry", "type=image,push=true", "type=docker"])
def test_a_build_output_that_stays_out_of_the_host_is_nothing_to_do(tmp_path, output):
    files = {"build.sh": f"#!/bin/sh\ndocker build -o {output} -t x -f Dockerfile.build .\ndocker build -t app .\n", "Dockerfile": "FROM alpine:3.19\nCOPY . /srv\n"}
    assert dry_run(tmp_path, files).status == NOTHING


def test_check_reports_a_hidden_builder_as_a_refusal(tmp_path):
    import subprocess
    import sys

    files = {"build.sh": "#!/bin/sh\ndocker compose run --rm builder\ndocker build -t app .\n", "Dockerfile": "FROM nginx:1.25\nCOPY dist /usr/share/nginx/html\n"}
    root = make_project(tmp_path / "project", files)
    done = subprocess.run([sys.executable, "-m", "migrate", "--check", str(root / "build.sh")], capture_output=True, text=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "build.sh:2" in done.stderr and "may be a builder dmigrate cannot read" in done.stderr
