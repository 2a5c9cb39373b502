"""Run a project's build flow on the test engine the way its owner would, and look at the result.

Typical use in an equivalence test::

    env = docker_env                                    # conftest fixture
    legacy_dir = committed_copy(project, tmp_path / "legacy")
    legacy = build_and_snapshot(legacy_dir, env)
    migrated_dir = committed_copy(project, tmp_path / "migrated")
    ...  # run dmigrate on migrated_dir
    migrated = build_and_snapshot(migrated_dir, env)
    assert compare(legacy, migrated) == (), render(compare(legacy, migrated))

Flows always run in a copy: a legacy flow leaves its artifacts next to its
sources.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from migrate.verify.engine import Engine
from migrate.verify.snapshot import ImageSnapshot, snapshot_image

ENGINE_DIR = Path(__file__).resolve().parent
WRAPPER_DIR = ENGINE_DIR / "bin"
TESTS_DIR = ENGINE_DIR.parent
REPO_ROOT = TESTS_DIR.parent
PROJECTS_DIR = TESTS_DIR / "projects"
SAMPLES_DIR = REPO_ROOT / "samples"

PROJECT_FILE = "project.toml"
TEST_CONTAINER_PREFIX = "dmt-"

_GIT_IDENTITY = (
    "-c", "user.name=dmigrate tests", "-c", "user.email=tests@dmigrate.invalid",
    "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main",
)  # fmt: skip


class DriverFailed(Exception):
    """A build flow exited with an error; the message carries its whole output."""

    def __init__(self, run: DriverRun) -> None:
        self.run = run
        super().__init__(
            f"`{shlex.join(run.argv)}` in {run.cwd} exited with status {run.returncode}; output:\n{run.output}"
        )


@dataclass(frozen=True)
class DriverRun:
    argv: tuple[str, ...]
    cwd: Path
    returncode: int
    output: str


@dataclass(frozen=True)
class Expectation:
    """What one path in the legacy flow's final image must look like (from project.toml)."""

    path: str
    kind: str | None = None
    mode: str | None = None
    owner: str | None = None
    link_target: str | None = None
    contains: str | None = None  # text the file's content must include


@dataclass(frozen=True)
class Project:
    name: str
    path: Path
    driver: tuple[str, ...]
    final_image: str
    build_images: tuple[str, ...] = ()
    form: str = ""
    expect: tuple[Expectation, ...] = ()


def docker_test_env(
    base: Mapping[str, str] | None = None, *, real_docker: str = "/usr/bin/docker", no_cache: bool = True
) -> dict[str, str]:
    """An environment whose ``docker`` is the test wrapper (see ``bin/docker``)."""
    env = dict(os.environ if base is None else base)
    # `python3 build.py` runs with the tests' own interpreter, which has the docker SDK a Python driver may import.
    env["PATH"] = os.pathsep.join([str(WRAPPER_DIR), str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    env["DOCKER_BUILDKIT"] = "1"
    env["DMIGRATE_TEST_REAL_DOCKER"] = real_docker
    if no_cache:
        env["DMIGRATE_TEST_NO_CACHE"] = "1"
    else:
        env.pop("DMIGRATE_TEST_NO_CACHE", None)
    return env


def run_driver(
    project_dir: Path,
    driver_argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    timeout: float = 600.0,
    check: bool = True,
) -> DriverRun:
    """Run a build flow (``sh build.sh``, ``make``, ``python3 build.py`` ...) in ``project_dir``.

    Without ``driver_argv`` the project's own driver is used; without ``env``
    the test wrapper is put first on PATH.  Output (stdout and stderr
    interleaved) is captured; a failure raises :class:`DriverFailed` with it.
    """
    project_dir = Path(project_dir)
    argv = tuple(driver_argv) if driver_argv is not None else default_driver(project_dir)
    done = subprocess.run(
        argv,
        cwd=project_dir,
        env=dict(docker_test_env() if env is None else env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
    )
    run = DriverRun(argv, project_dir, done.returncode, done.stdout.decode(errors="replace"))
    if check and run.returncode != 0:
        raise DriverFailed(run)
    return run


def working_copy(src: Path, dst: Path) -> Path:
    """A plain copy of a project (links and modes kept, any .git left out)."""
    shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    return Path(dst)


def committed_copy(src: Path, dst: Path) -> Path:
    """A copy of a project as a git repository with everything in one commit."""
    dst = working_copy(src, dst)
    _git(dst, "init", "-q")
    _git(dst, "add", "-A")
    _git(dst, "commit", "-q", "-m", "Legacy builder-pattern flow")
    return dst


def _git(repo: Path, *args: str) -> None:
    done = subprocess.run(
        ["git", *_GIT_IDENTITY, *args], cwd=repo, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {repo} failed:\n{done.stdout}{done.stderr}")


def project_dirs(*roots: Path) -> tuple[Path, ...]:
    """Every project directory under ``roots`` (default: tests/projects and samples)."""
    found = []
    for root in roots or (PROJECTS_DIR, SAMPLES_DIR):
        if root.is_dir():
            found.extend(sorted(child for child in root.iterdir() if child.is_dir() and _has_driver(child)))
    return tuple(found)


def _has_driver(directory: Path) -> bool:
    return (directory / PROJECT_FILE).is_file() or any(
        (directory / name).is_file() for name in ("build.sh", "Makefile", "build.py")
    )


def default_driver(project_dir: Path) -> tuple[str, ...]:
    """The command that runs a project's flow: project.toml's ``driver``, else guessed from its files."""
    project_dir = Path(project_dir)
    declared = _read_toml(project_dir).get("driver")
    if declared:
        return tuple(declared)
    for name, argv in (("build.sh", ("sh", "build.sh")), ("Makefile", ("make",)), ("build.py", ("python3", "build.py"))):
        if (project_dir / name).is_file():
            return argv
    raise FileNotFoundError(f"{project_dir}: no build.sh, Makefile or build.py, and no driver in {PROJECT_FILE}")


def final_image_ref(project_dir: Path) -> str:
    """The tag of the image a project's flow finally produces.

    project.toml's ``final_image`` when there is one; else the last ``-t``
    of the last ``docker build`` in build.sh.
    """
    project_dir = Path(project_dir)
    declared = _read_toml(project_dir).get("final_image")
    if declared:
        return declared
    script = project_dir / "build.sh"
    if not script.is_file():
        raise FileNotFoundError(f"{project_dir}: no {PROJECT_FILE} naming final_image, and no build.sh to read it from")
    tags = _build_tags(script.read_text())
    if not tags:
        raise ValueError(f"{script}: no `docker build -t TAG` found; name the image in {PROJECT_FILE}")
    if "$" in tags[-1]:
        raise ValueError(f"{script}: the final tag {tags[-1]!r} depends on a variable; name it in {PROJECT_FILE}")
    return tags[-1]


_BUILD = re.compile(r"\bdocker\s+(?:image\s+|buildx\s+)?build\b")


def _build_tags(script: str) -> list[str]:
    tags = []
    for line in script.replace("\\\n", " ").splitlines():
        if not _BUILD.search(line):
            continue
        try:
            words = shlex.split(line[_BUILD.search(line).end():], comments=True)
        except ValueError:
            continue
        for index, word in enumerate(words):
            if word in ("-t", "--tag") and index + 1 < len(words):
                tags.append(words[index + 1])
            elif word.startswith(("--tag=", "-t=")):
                tags.append(word.split("=", 1)[1])
    return tags


def load_project(project_dir: Path) -> Project:
    """A project's description: project.toml where there is one, else what its files tell."""
    project_dir = Path(project_dir)
    data = _read_toml(project_dir)
    return Project(
        name=project_dir.name,
        path=project_dir,
        driver=default_driver(project_dir),
        final_image=final_image_ref(project_dir),
        build_images=tuple(data.get("build_images", ())),
        form=data.get("form", ""),
        expect=tuple(Expectation(**item) for item in data.get("expect", ())),
    )


def _read_toml(project_dir: Path) -> dict:
    path = Path(project_dir) / PROJECT_FILE
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


def build_and_snapshot(
    project_dir: Path,
    env: Mapping[str, str] | None = None,
    engine: Engine | None = None,
    *,
    driver: Sequence[str] | None = None,
    image: str | None = None,
) -> ImageSnapshot:
    """Run a project's flow, then snapshot its final image."""
    run_driver(project_dir, driver, env)
    return snapshot_image(image or final_image_ref(project_dir), engine or Engine.from_environment())


def remove_test_containers(engine: Engine, names: Iterable[str] = ()) -> None:
    """Remove containers a failed flow may have left: every ``dmt-*`` one, and ``names``."""
    listed = engine.output(["ps", "--all", "--format", "{{.Names}}"]).split()
    wanted = set(names)
    stale = [name for name in listed if name.startswith(TEST_CONTAINER_PREFIX) or name in wanted]
    if stale:
        engine.run(["rm", "--force", "--volumes", *stale], check=False)


def expectation_problems(project: Project, snapshot: ImageSnapshot, engine: Engine) -> list[str]:
    """Where the legacy flow's final image is not what the project says it is for."""
    problems = []
    for expected in project.expect:
        entry = snapshot.get(expected.path)
        if expected.kind == "absent":
            if entry is not None:
                problems.append(f"{expected.path}: should be absent, is a {entry.kind}")
            continue
        if entry is None:
            problems.append(f"{expected.path}: missing")
            continue
        seen = {
            "kind": entry.kind,
            "mode": f"{entry.mode:04o}",
            "owner": f"{entry.uid}:{entry.gid}",
            "link_target": entry.link_target,
        }
        for aspect, actual in seen.items():
            wanted = getattr(expected, aspect)
            if wanted is not None and wanted != actual:
                problems.append(f"{expected.path}: {aspect} is {actual}, expected {wanted}")
        if expected.contains is not None:
            content = engine.output(
                ["run", "--rm", "--network=none", "--entrypoint", "cat", project.final_image, expected.path]
            )
            if expected.contains not in content + "\n":
                problems.append(f"{expected.path}: does not contain {expected.contains!r}; it holds:\n{content}")
    return problems
