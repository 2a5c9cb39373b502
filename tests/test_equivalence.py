"""The end-to-end equivalence suite: every project's migrated build makes the legacy flow's image.

For each project under tests/projects/ and samples/, ``verify_driver`` (the
machinery of ``dmigrate --verify``) runs the legacy driver in one temporary
copy, migrates a second committed copy with dmigrate, runs the migrated driver
there and compares the two final images: every path's type, mode, owner, size,
content and link target, and the config.

A project whose project.toml says ``expect_refusal = "fragment"`` must instead
be refused cleanly: exit 2, the fragment in the message, nothing changed.

The second half breaks a correct migration on purpose (a COPY --from path, a
mode, an owner, a build arg, the config) and checks that the comparison
catches each break.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from engine import flows
from migrate.discover import drivers_in
from migrate.migration import MIGRATED, Options, migrate_driver
from migrate.read.project import MAKEFILE_NAMES
from migrate.verify.compare import Difference, compare, render
from migrate.verify.engine import Engine
from migrate.verify.run import EQUIVALENT, REFUSED, VerifyOptions, normalize_ref, tree_state, verify_driver
from migrate.verify.snapshot import snapshot_image

PROJECTS = flows.project_dirs()


def settings(project_dir: Path) -> dict:
    path = project_dir / flows.PROJECT_FILE
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


def refusal_expected(project_dir: Path) -> str | None:
    return settings(project_dir).get("expect_refusal")


EQUIVALENCE_PROJECTS = [path for path in PROJECTS if refusal_expected(path) is None]
REFUSED_PROJECTS = [path for path in PROJECTS if refusal_expected(path) is not None]


def driver_file(project_dir: Path, argv: tuple[str, ...]) -> Path:
    """The file dmigrate migrates for a driver command (``sh build.sh``, ``make -f X``, ``python3 build.py``)."""
    if Path(argv[0]).name in ("make", "gmake"):
        words = list(argv[1:])
        for index, word in enumerate(words):
            if word in ("-f", "--file", "--makefile") and index + 1 < len(words):
                return project_dir / words[index + 1]
            if word.startswith("--file=") or word.startswith("--makefile="):
                return project_dir / word.split("=", 1)[1]
        for name in MAKEFILE_NAMES:
            if (project_dir / name).is_file():
                return project_dir / name
    for word in argv:
        candidate = project_dir / word
        if not word.startswith("-") and candidate.is_file():
            return candidate
    found = drivers_in(project_dir)
    if not found:
        raise AssertionError(f"{project_dir}: cannot tell which file `{' '.join(argv)}` runs")
    return found[0]


def target_rule(project_dir: Path, argv: tuple[str, ...]) -> str | None:
    """project.toml's ``target_rule``, else the goal named on a ``make`` command line."""
    declared = settings(project_dir).get("target_rule")
    if declared or Path(argv[0]).name not in ("make", "gmake"):
        return declared
    words = list(argv[1:])
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
            continue
        if word in ("-f", "--file", "--makefile", "-C", "--directory", "-j", "--jobs"):
            skip_next = True
            continue
        if not word.startswith("-") and "=" not in word:
            return word
    return None


@pytest.mark.docker
@pytest.mark.parametrize("project_dir", EQUIVALENCE_PROJECTS, ids=lambda path: path.name)
def test_migrated_build_makes_the_legacy_image(docker_engine, docker_env, legacy_snapshots, tmp_path, project_dir):
    project = flows.load_project(project_dir)
    source = flows.committed_copy(project_dir, tmp_path / project_dir.name)
    driver = driver_file(source, project.driver)
    source_before = tree_state(source)
    flows.remove_test_containers(docker_engine)

    result = verify_driver(
        driver,
        VerifyOptions(
            driver_argv=project.driver,
            final_image=project.final_image,
            target_rule=target_rule(source, project.driver),
            keep_images=True,
        ),
        engine=docker_engine,
        environ=docker_env,
    )
    kept = dict(result.kept_images)
    try:
        assert result.status == EQUIVALENT, f"{result.status}: {result.location.render() if result.location else ''} {result.message}\n{render(result.differences)}"
        legacy_snapshots.put(project_dir, result.legacy_snapshot)
        # The comparison is only worth something if the legacy image holds what the project is for.
        problems = flows.expectation_problems(dataclasses.replace(project, final_image=kept["legacy"]), result.legacy_snapshot, docker_engine)
        assert not problems, "\n".join(problems)
        left = {image.ref for image in result.legacy_leftovers.images}
        assert {normalize_ref(ref) for ref in project.build_images} <= left, result.legacy_leftovers
    finally:
        docker_engine.remove_images(list(kept.values()))
    assert tree_state(source) == source_before, "--verify changed the project it verified"
    assert result.legacy.seconds > 0 and result.migrated.seconds > 0


@pytest.mark.skipif(not REFUSED_PROJECTS, reason="no project declares expect_refusal")
@pytest.mark.parametrize("project_dir", REFUSED_PROJECTS or [None], ids=lambda path: path.name if path else "none")
def test_declared_refusal_is_clean(tmp_path, project_dir):
    assert_clean_refusal(project_dir, tmp_path)


def test_the_refusal_check_itself(tmp_path):
    """A made-up project that declares its refusal goes through the same check, and a wrong fragment fails it."""
    project_dir = tmp_path / "guarded-copy"
    project_dir.mkdir()
    source = flows.PROJECTS_DIR / "absolute-file"
    for name in ("Dockerfile", "Dockerfile.build", "go.mod", "hello.go"):
        (project_dir / name).write_bytes((source / name).read_bytes())
    script = (source / "build.sh").read_text().replace("docker container cp", 'if [ -n "$FAST" ]; then docker container cp')
    (project_dir / "build.sh").write_text(script.replace("./hello\n", "./hello; fi\n", 1))
    (project_dir / flows.PROJECT_FILE).write_text(
        'final_image = "dmt-absolute-file:latest"\nexpect_refusal = "inside an `if` decided at run time"\n'
    )
    assert_clean_refusal(project_dir, tmp_path / "checked")
    (project_dir / flows.PROJECT_FILE).write_text('final_image = "dmt-absolute-file:latest"\nexpect_refusal = "no such reason"\n')
    with pytest.raises(AssertionError):
        assert_clean_refusal(project_dir, tmp_path / "checked-again")


def assert_clean_refusal(project_dir: Path, scratch: Path) -> None:
    """dmigrate and dmigrate --verify both exit 2 with the declared fragment, and change and run nothing."""
    fragment = refusal_expected(project_dir)
    project = flows.load_project(project_dir)
    source = flows.committed_copy(project_dir, scratch / project_dir.name)
    driver = driver_file(source, project.driver)
    rule = target_rule(source, project.driver)
    before = tree_state(source)
    command = [sys.executable, "-m", "migrate", str(driver), *(["--target-rule", rule] if rule else [])]
    done = subprocess.run(command, cwd=source, capture_output=True, text=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert fragment in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert tree_state(source) == before
    status = subprocess.run(["git", "status", "--porcelain"], cwd=source, capture_output=True, text=True, check=True)
    assert status.stdout == ""
    # --verify stops at the refusal, before it would call an engine or run the driver.
    offline = Engine(client="/nonexistent/docker", environ={})
    verified = verify_driver(driver, VerifyOptions(target_rule=rule), engine=offline, engine_version="offline")
    assert verified.status == REFUSED and verified.exit_code == 2, verified
    assert fragment in verified.message and verified.legacy is None
    assert tree_state(source) == before


# --- deliberately wrong migrations --------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Breakage:
    project: str
    what: str
    file: str
    old: str
    new: str
    expected: tuple[Difference, ...] = ()
    exact: bool = True
    """The expected differences are all there are; else they are among them."""
    content_of: str | None = None
    """Instead of ``expected``: the one path whose content must differ (an artifact's digest cannot be written down)."""

    def apply(self, root: Path) -> None:
        path = root / self.file
        text = path.read_text()
        assert text.count(self.old) == 1, f"{self.file} of the migrated {self.project} no longer reads {self.old!r}:\n{text}"
        path.write_text(text.replace(self.old, self.new))


BREAKAGES = [
    Breakage(
        "absolute-file",
        "COPY --from destination path",
        "Dockerfile",
        "COPY --from=builder /out/hello /usr/local/bin/hello\n",
        "COPY --from=builder /out/hello /usr/local/bin/hello-moved\n",
        (
            Difference("/usr/local/bin/hello", "presence", "present", "absent"),
            Difference("/usr/local/bin/hello-moved", "presence", "absent", "present"),
        ),
    ),
    Breakage(
        "dir-dot",
        "COPY --from source directory (the parent instead of its contents)",
        "Dockerfile",
        " /out/dist /usr/share/nginx/html/\n",
        " /out /usr/share/nginx/html/\n",
        (
            Difference("/usr/share/nginx/html/dist", "presence", "absent", "present"),
            Difference("/usr/share/nginx/html/dist/index.html", "presence", "absent", "present"),
        ),
        exact=False,
    ),
    Breakage(
        "setuid-mode",
        "a --chmod on COPY --from",
        "Dockerfile",
        "COPY --from=builder /out/policy.conf /etc/elevate/policy.conf\n",
        "COPY --from=builder --chmod=0644 /out/policy.conf /etc/elevate/policy.conf\n",
        (Difference("/etc/elevate/policy.conf", "mode", "0640", "0644"),),
    ),
    Breakage(
        "non-root-owner",
        "the owner fix dropped from COPY --from",
        "Dockerfile",
        "COPY --from=builder --chown=0:0 ",
        "COPY --from=builder ",
        (Difference("/usr/local/bin/tool", "owner", "0:0", "1000:1000"),),
    ),
    Breakage(
        "build-arg",
        "the build arg renamed in the build stage",
        "Dockerfile",
        "ARG VERSION=dev\n",
        "ARG RELEASE_VERSION=dev\n",
        content_of="/usr/bin/version",
    ),
    Breakage(
        "arg-before-from",
        "a global ARG not declared again inside the build stage",
        "Dockerfile",
        "ARG GO_VERSION\nENV TOOL_GO",
        "ENV TOOL_GO",
        content_of="/usr/local/bin/tool",
    ),
    Breakage(
        "setuid-mode",
        "the runtime USER dropped",
        "Dockerfile",
        "USER app\n",
        "",
        (Difference("User", "value", '"app"', '""'),),
    ),
]

@pytest.mark.docker
@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: f"{b.project}: {b.what}")
def test_a_broken_migration_is_caught(docker_engine, docker_env, legacy_snapshots, tmp_path, breakage):
    project_dir = next(path for path in PROJECTS if path.name == breakage.project)
    project = flows.load_project(project_dir)
    legacy = legacy_snapshots.get(project_dir)

    copy = flows.committed_copy(project_dir, tmp_path / "migrated")
    outcome = migrate_driver(driver_file(copy, project.driver), Options(write=True))
    assert outcome.status == MIGRATED, outcome.message
    breakage.apply(copy)
    flows.remove_test_containers(docker_engine)
    flows.run_driver(copy, project.driver, docker_env)
    migrated = snapshot_image(project.final_image, docker_engine)

    found = compare(legacy, migrated)
    if breakage.content_of is not None:
        assert [(d.path_or_field, d.aspect) for d in found] == [(breakage.content_of, "content")], render(found)
    elif breakage.exact:
        assert found == breakage.expected, render(found)
    else:
        assert set(breakage.expected) <= set(found), render(found)


@pytest.mark.docker
@pytest.mark.parametrize("name", sorted({b.project for b in BREAKAGES}))
def test_without_the_break_the_same_steps_find_no_difference(docker_engine, docker_env, legacy_snapshots, tmp_path, name):
    """The control for the test above: the same steps on the migration as dmigrate wrote it."""
    project_dir = next(path for path in PROJECTS if path.name == name)
    project = flows.load_project(project_dir)
    legacy = legacy_snapshots.get(project_dir)
    copy = flows.committed_copy(project_dir, tmp_path / "migrated")
    assert migrate_driver(driver_file(copy, project.driver), Options(write=True)).status == MIGRATED
    flows.run_driver(copy, project.driver, docker_env)
    found = compare(legacy, snapshot_image(project.final_image, docker_engine))
    assert found == (), render(found)
