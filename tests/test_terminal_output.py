"""A ``docker run -t`` whose standard output the runtime build reads is refused.

Through a terminal every LF the command prints arrives as CR LF, so the file
the legacy driver wrote is not the file in the image that a ``COPY --from``
would take.
"""

from __future__ import annotations

import subprocess

import pytest

from support import d, make_project
from migrate.migration import Options, migrate_driver

BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"
TAR_RUNTIME = "FROM alpine:3.19\nCOPY out /usr/local/bin/\n"


def driver(run: str) -> str:
    return d(
        """
        #!/bin/sh
        set -e
        docker build -t app:build -f Dockerfile.build .
        {run}
        docker build -t app .
        """
    ).format(run=run)


def tree(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def migrate_written(root):
    return migrate_driver(root / "build.sh", Options(write=True))


REFUSED = {
    "-it, stdout redirected to the artifact": ("docker run -it --rm app:build cat /out/app > app", RUNTIME, "-it", "(-i)"),
    "-t alone": ("docker run --rm -t app:build cat /out/app > app", RUNTIME, "-t", "(no -t)"),
    "--tty": ("docker run --rm --tty app:build cat /out/app > app", RUNTIME, "--tty", "(no --tty)"),
    "--tty=true": ("docker run --rm --tty=true app:build cat /out/app > app", RUNTIME, "--tty", "(no --tty)"),
    "-ti": ("docker run -ti --rm app:build cat /out/app > app", RUNTIME, "-ti", "(-i)"),
    "a tar stream piped into tar -x": (
        "mkdir -p out\ndocker run --rm -t app:build tar -c -C /out app | tar -x -p -C out",
        TAR_RUNTIME,
        "-t",
        "(no -t)",
    ),
}


@pytest.mark.parametrize("name", list(REFUSED), ids=list(REFUSED))
def test_a_run_with_a_terminal_whose_output_is_read_is_refused(tmp_path, name):
    run, runtime, flag, remedy = REFUSED[name]
    root = make_project(tmp_path / "project", {"build.sh": driver(run), "Dockerfile.build": BUILD, "Dockerfile": runtime})
    before = tree(root)
    outcome = migrate_written(root)
    assert outcome.status == "refused", outcome.message
    assert (outcome.location.file.name, outcome.location.line) == ("build.sh", 4 if "mkdir" not in run else 5)
    assert f"this run allocates a terminal ({flag})" in outcome.message
    assert "CR LF" in outcome.message and remedy in outcome.message
    assert tree(root) == before


@pytest.mark.parametrize(
    "run",
    [
        "docker run --rm app:build cat /out/app > app",
        "docker run --rm --tty=false app:build cat /out/app > app",
        "docker run --rm -t=0 app:build cat /out/app > app",
        "docker run --rm -i app:build cat /out/app > app",
    ],
    ids=["no terminal", "--tty=false", "-t=0", "-i without -t"],
)
def test_a_run_without_a_terminal_still_migrates(tmp_path, run):
    root = make_project(tmp_path / "project", {"build.sh": driver(run), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    outcome = migrate_driver(root / "build.sh", Options(write=False))
    assert outcome.status == "pending", outcome.message


def test_a_terminal_on_a_run_whose_output_nobody_reads_is_left_alone(tmp_path):
    # The files leave by docker cp; what -t does to the printed log reaches no image.
    run = "docker run -t --name c app:build sh -c 'cp /out/app /out/app2' > build.log\ndocker cp c:/out/app2 app\ndocker rm c"
    root = make_project(tmp_path / "project", {"build.sh": driver(run), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    outcome = migrate_driver(root / "build.sh", Options(write=False))
    assert outcome.status == "pending", outcome.message


@pytest.mark.docker
def test_the_engine_turns_line_feeds_into_cr_lf_through_a_terminal(docker_engine, stub_images):
    """The fact the rule rests on, measured: the same command prints other bytes with -t."""

    def printed(*flags: str) -> bytes:
        argv = [docker_engine.client, "run", "--rm", "--network=none", *flags, "busybox:latest", "printf", "a\\nb\\n"]
        return subprocess.run(argv, env=dict(docker_engine.environ), capture_output=True, check=True, timeout=120).stdout

    assert printed() == b"a\nb\n"
    assert printed("-t") == b"a\r\nb\r\n"


@pytest.mark.docker
def test_the_legacy_image_of_the_refused_project_holds_the_terminal_bytes(tmp_path, docker_engine, docker_env):
    """tests/projects/stdout-tty, run as its owner would: the final image's report is not the build image's."""
    from engine import flows

    copy = flows.committed_copy(flows.PROJECTS_DIR / "stdout-tty", tmp_path / "stdout-tty")
    flows.run_driver(copy, env=docker_env)

    def read(image: str, path: str) -> bytes:
        argv = [docker_engine.client, "run", "--rm", "--network=none", image, "cat", path]
        return subprocess.run(argv, env=dict(docker_engine.environ), capture_output=True, check=True, timeout=120).stdout

    try:
        in_build_image = read("dmt-stdout-tty:build", "/out/report.txt")
        in_final_image = read("dmt-stdout-tty:latest", "/usr/share/doc/app/report.txt")
    finally:
        docker_engine.remove_images(["dmt-stdout-tty:build", "dmt-stdout-tty:latest"])
    assert in_build_image.endswith(b"\n") and b"\r" not in in_build_image
    assert in_final_image == in_build_image.replace(b"\n", b"\r\n")
