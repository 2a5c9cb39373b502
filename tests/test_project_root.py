"""Every file dmigrate reads, writes or deletes lies inside the project root, whichever way it is started.

The root is the git work tree of the driver (outside git: the directory
given, or the driver's own).  A Dockerfile, build context, script or include
that leads out of it is refused, naming the path, and is never opened: its
content cannot reach any report.  Each test looks at every entry point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import make_project

BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"
SECRET = "hunter2-do-not-print"


def driver(build_file: str = "Dockerfile.build", context: str = ".", runtime: str = "") -> str:
    return (
        "#!/bin/sh\n"
        f"docker build -t app:build -f {build_file} {context}\n"
        "docker create --name x app:build\n"
        "docker cp x:/out/app app\n"
        "docker rm x\n"
        f"docker build -t app{' -f ' + runtime if runtime else ''} .\n"
    )


def tree(*roots: Path) -> dict[str, bytes]:
    return {
        str(path): path.read_bytes()
        for root in roots
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink() and ".git" not in path.relative_to(root).parts[:1]
    }


OPENED_LOG = "DMIGRATE_TEST_OPENED"
_RUN_WITH_AUDIT = """
import os, sys
log = os.environ.pop({log!r})
seen = []
def hook(event, args):
    if event in ("open", "os.scandir", "os.listdir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
        seen.append(os.path.abspath(os.fsdecode(args[0])))
sys.addaudithook(hook)
from migrate.cli import main
try:
    main(sys.argv[1:])
finally:
    with open(log, "w") as handle:
        handle.write("\\n".join(seen))
""".format(log=OPENED_LOG)


def dmigrate(*args: str, cwd: Path, opened: list[str] | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The command line, recording in ``opened`` every file and directory it opens."""
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    log = cwd.parent / "opened.log"
    environment[OPENED_LOG] = str(log)
    done = subprocess.run([sys.executable, "-c", _RUN_WITH_AUDIT, *args], cwd=cwd, capture_output=True, text=True, env=environment)
    if opened is not None:
        opened.extend(log.read_text().splitlines())
    log.unlink()
    return done


@pytest.fixture
def repositories(tmp_path) -> tuple[Path, Path]:
    """A project and, beside it, another clean repository with its own Dockerfiles."""
    other = make_project(tmp_path / "other", {"Dockerfile.build": BUILD, "Dockerfile": RUNTIME, "extract.sh": "#!/bin/sh\ndocker cp x:/out/app app\n", "common.mk": "X = 1\n", "extract": "#!/bin/sh\ndocker cp x:/out/app app\n", "ignored": f"{SECRET}\n", "env.sh": f"SECRET={SECRET}\n"})
    return tmp_path / "project", other


LAYOUTS = {
    "-f ../other/Dockerfile.build": ({"build.sh": driver("../other/Dockerfile.build"), "Dockerfile": RUNTIME}, "../other/Dockerfile.build"),
    "-f /abs/other/Dockerfile": ({"build.sh": driver(runtime="{other}/Dockerfile"), "Dockerfile.build": BUILD}, "{other}/Dockerfile"),
    "a context of ..": ({"build.sh": driver(context=".."), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME}, "the build context .."),
    "a symlinked directory": ({"build.sh": driver("vendor/Dockerfile.build"), "Dockerfile": RUNTIME}, "vendor/Dockerfile.build"),
    "a script it runs": ({"build.sh": driver().replace("docker cp x:/out/app app\n", "../other/extract.sh\n"), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME}, "../other/extract.sh"),
    "a program it runs": ({"build.sh": driver().replace("docker cp x:/out/app app\n", "../other/extract\n"), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME}, "../other/extract"),
    "a linked .dockerignore": ({"build.sh": driver(), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME}, "/.dockerignore"),
    "a Makefile include": ({"Makefile": "include ../other/common.mk\nall:\n\tdocker build -t app:build -f Dockerfile.build .\n\tdocker create --name x app:build\n\tdocker cp x:/out/app app\n\tdocker rm x\n\tdocker build -t app .\n", "Dockerfile.build": BUILD, "Dockerfile": RUNTIME}, "../other/common.mk"),
}


def lay_out(repositories, layout: str) -> tuple[Path, Path, str, str]:
    project, other = repositories
    files, named = LAYOUTS[layout]
    files = {name: text.replace("{other}", str(other)) for name, text in files.items()}
    make_project(project, files, commit=False)
    if layout == "a symlinked directory":
        (project / "vendor").symlink_to(other)
    if layout == "a linked .dockerignore":
        (project / ".dockerignore").symlink_to(other / "ignored")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    subprocess.run(["git", "-C", str(project), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "p"], check=True)
    driver_name = "Makefile" if "Makefile" in files else "build.sh"
    return project, other, driver_name, named.replace("{other}", str(other))


ENTRY_POINTS = {
    "write the named driver": [],
    "write the directory": None,
    "dry run": ["--dry-run"],
    "check": ["--check"],
    "json": ["--format", "json", "--dry-run"],
    "sarif": ["--format", "sarif"],
    "explain": ["--explain"],
    "explain json": ["--explain", "--format", "json"],
    "allow dirty": ["--allow-dirty"],
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_file_outside_the_root_is_refused_unread_at_every_entry_point(repositories, layout, entry):
    project, other, driver_name, named = lay_out(repositories, layout)
    before = tree(project, other)
    options = ENTRY_POINTS[entry]
    target = "." if options is None else driver_name
    opened: list[str] = []
    result = dmigrate(*(options or []), target, cwd=project, opened=opened)
    assert result.returncode == 2, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "lies outside the project root" in output and named in output, output
    assert "Traceback" not in output
    assert tree(project, other) == before, "nothing changes, in this repository or the other"
    real_other = os.path.realpath(other)
    assert not [path for path in opened if os.path.realpath(path).startswith(real_other + os.sep)], "a file outside the root was opened"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_library_entry_and_verify_refuse_the_same(repositories, layout):
    from migrate.migration import Options, migrate_driver
    from migrate.verify.engine import Engine
    from migrate.verify.run import REFUSED, VerifyOptions, verify_driver

    project, other, driver_name, named = lay_out(repositories, layout)
    before = tree(project, other)
    outcome = migrate_driver(project / driver_name, Options(write=True))
    assert outcome.status == "refused" and "lies outside the project root" in outcome.message, outcome
    offline = Engine(client="/nonexistent/docker", environ={})
    verified = verify_driver(project / driver_name, VerifyOptions(), engine=offline, engine_version="offline")
    assert verified.status == REFUSED and "lies outside the project root" in verified.message, verified
    assert tree(project, other) == before


SECRET_FILES = {
    "an absolute path": ("{outside}", "lies outside the project root"),
    "/proc/self/environ": ("/proc/self/environ", "lies outside the project root"),
    "a file of the project that is no Dockerfile": ("secret.env", "not a Dockerfile instruction"),
}


@pytest.mark.parametrize("mode", [[], ["--dry-run"], ["--format", "json"], ["--format", "sarif"], ["--explain"], ["--explain", "--format", "json"]])
@pytest.mark.parametrize("which", SECRET_FILES)
def test_no_line_of_a_file_that_is_no_dockerfile_reaches_a_report(tmp_path, which, mode):
    outside = tmp_path / "passwd"
    outside.write_text(f"root:{SECRET}:0:0\n")
    path, expected = SECRET_FILES[which]
    path = path.replace("{outside}", str(outside))
    project = make_project(tmp_path / "project", {"build.sh": driver(path), "Dockerfile": RUNTIME, "secret.env": f"TOKEN={SECRET}\n"})
    before = tree(project)
    opened: list[str] = []
    result = dmigrate(*mode, "build.sh", cwd=project, opened=opened, env={"LEAKED": SECRET})
    assert result.returncode == 2, result.stderr
    assert expected in result.stdout + result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert str(outside) not in opened and "/proc/self/environ" not in opened
    assert tree(project) == before


def test_outside_git_the_root_is_the_directory_given_or_the_drivers_own(tmp_path):
    plain = tmp_path / "plain"
    files = {"sub/build.sh": driver("../Dockerfile.build"), "sub/Dockerfile": RUNTIME, "Dockerfile.build": BUILD}
    make_project(plain, files, commit=False)
    named = dmigrate("--dry-run", "sub/build.sh", cwd=plain)
    assert named.returncode == 2 and "the Dockerfile ../Dockerfile.build lies outside the project root" in named.stderr, named.stderr
    walked = dmigrate("--dry-run", ".", cwd=plain)
    assert walked.returncode == 0, walked.stderr
    assert "deleted file mode" in walked.stdout and "a/Dockerfile.build" in walked.stdout


def test_inside_one_repository_the_directory_given_does_not_narrow_the_root(tmp_path):
    """The root is the git work tree either way: naming a subdirectory migrates what naming its driver migrates."""
    root = make_project(tmp_path / "repo", {"app/build.sh": driver("../builders/Dockerfile.build"), "app/Dockerfile": RUNTIME, "builders/Dockerfile.build": BUILD})
    by_directory = dmigrate("--dry-run", "app", cwd=root)
    by_driver = dmigrate("--dry-run", "app/build.sh", cwd=root)
    assert by_directory.returncode == by_driver.returncode == 0, by_directory.stderr + by_driver.stderr
    assert by_directory.stdout == by_driver.stdout and "builders/Dockerfile.build" in by_driver.stdout


def test_a_program_of_the_system_run_by_its_path_is_not_refused(tmp_path):
    text = driver().replace("#!/bin/sh\n", "#!/bin/sh\n/usr/bin/env true\n/bin/true\n")
    root = make_project(tmp_path / "p", {"build.sh": text, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    result = dmigrate("--dry-run", "build.sh", cwd=root)
    assert result.returncode == 0, result.stderr


def test_a_sourced_file_outside_the_root_is_not_read(repositories):
    project, other = repositories
    text = driver().replace("#!/bin/sh\n", "#!/bin/sh\n. ../other/env.sh\n")
    make_project(project, {"build.sh": text, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    opened: list[str] = []
    result = dmigrate("--dry-run", "build.sh", cwd=project, opened=opened)
    assert SECRET not in result.stdout + result.stderr
    assert not [path for path in opened if path.startswith(str(other))], opened


def test_a_neighbour_that_links_out_of_the_root_is_not_read(repositories):
    project, other = repositories
    (other / "deploy.yml").write_text("run: docker build -t x .\n")
    make_project(project, {"build.sh": driver(), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME}, commit=False)
    (project / "deploy.yml").symlink_to(other / "deploy.yml")
    opened: list[str] = []
    result = dmigrate("--dry-run", "--allow-dirty", "build.sh", cwd=project, opened=opened)
    assert result.returncode == 0, result.stderr
    assert not [path for path in opened if os.path.realpath(path).startswith(os.path.realpath(other) + os.sep)], opened
