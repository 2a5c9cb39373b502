"""``dmigrate --verify``: the pieces without an engine, then the whole command on a real one."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import flows
from migrate import cli
from migrate.verify import report as verify_report
from migrate.verify import result as verify_result
from migrate.verify import run as verify_run
from migrate.verify.build_cache import BuildSteps
from migrate.verify.compare import Difference
from migrate.verify.engine import DockerCommandFailed, Engine, EngineError
from migrate.verify.flow_process import FlowSandbox
from migrate.verify.interceptor import PULL_REASON
from migrate.verify.leftovers import LeftImage, Leftovers, host_leftovers, tree_state
from migrate.verify.project_copy import copy_project
from migrate.verify.report import difference_table, verifications_json, write_verification
from migrate.verify.result import DIFFERENT, EQUIVALENT, ERROR, REFUSED, FlowRun, InterceptedCommand, Verification
from migrate.verify.run import verify_driver
from migrate.verify.tag_guard import TagGuard
from migrate.verify.touches import driver_command, normalize_ref
from support import make_project

REPOSITORY = Path(__file__).resolve().parents[1]
SAMPLE = REPOSITORY / "samples" / "href-counter"

BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\nCMD [\"app\"]\n"
DRIVER = (
    "#!/bin/sh\n"
    "set -e\n"
    "docker build -t dmt-verify-cli:build -f Dockerfile.build .\n"
    "docker create --name dmigrate-test-verify-cli-extract dmt-verify-cli:build\n"
    "docker cp dmigrate-test-verify-cli-extract:/out/app app\n"
    "docker rm dmigrate-test-verify-cli-extract\n"
    "docker build -t dmt-verify-cli:latest .\n"
)
GO_FILES = {"go.mod": "module example.com/app\n", "main.go": "package main\n\nfunc main() {}\n"}


def small_project(root: Path, **changes: str) -> Path:
    files = {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **GO_FILES, **changes}
    return make_project(root, files)


def dmigrate(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {**(os.environ if env is None else env), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env=environ)


def offline_engine() -> Engine:
    """An engine that must not be called: these steps end before dmigrate talks to docker."""
    return Engine(client="/nonexistent/docker", environ={})


# --- without an engine ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [
        ("#!/bin/sh\n", ("/bin/sh", "build.sh")),
        ("#!/usr/bin/env bash\n", ("/usr/bin/env", "bash", "build.sh")),
        ("#!/bin/bash -eu\n", ("/bin/bash", "-eu", "build.sh")),
        ("#! /bin/dash\n", ("/bin/dash", "build.sh")),
        ("set -e\n", ("sh", "build.sh")),
    ],
)
def test_a_shell_driver_runs_with_its_shebang(tmp_path, first_line, expected):
    script = tmp_path / "build.sh"
    script.write_text(first_line + "docker build .\n")
    assert driver_command(script, "shell") == expected


def test_make_and_python_drivers_run_with_their_tools(tmp_path):
    assert driver_command(tmp_path / "Makefile", "make") == ("make", "-f", "Makefile")
    assert driver_command(tmp_path / "GNUmakefile", "make", "image") == ("make", "-f", "GNUmakefile", "image")
    assert driver_command(tmp_path / "build.py", "python") == ("python3", "build.py")


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("app", "app:latest"),
        ("app:build", "app:build"),
        ("localhost:5000/team/app", "localhost:5000/team/app:latest"),
        ("localhost:5000/app:1.2", "localhost:5000/app:1.2"),
        ("app@sha256:" + "a" * 64, "app@sha256:" + "a" * 64),
    ],
)
def test_tags_are_compared_in_one_spelling(ref, expected):
    assert normalize_ref(ref) == expected


def test_host_leftovers_name_new_changed_and_deleted_paths(tmp_path):
    for name in ("keep.txt", "change.txt", "gone/a", "gone/b"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    before = tree_state(tmp_path)
    (tmp_path / "app").write_text("binary")
    (tmp_path / "dist" / "assets").mkdir(parents=True)
    (tmp_path / "dist" / "index.html").write_text("<html>")
    (tmp_path / "dist" / "assets" / "app.js").write_text("js")
    (tmp_path / "change.txt").write_text("longer text")
    shutil.rmtree(tmp_path / "gone")
    os.symlink("app", tmp_path / "current")
    assert host_leftovers(before, tree_state(tmp_path)) == (
        "app",
        "current",
        "dist/ (2 files)",
        "change.txt (modified)",
        "gone (deleted)",
    )
    assert host_leftovers(before, before) == ()


def test_a_flow_sees_its_copy_as_pwd_not_the_working_tree(tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "Makefile").write_text("all:\n\t@echo $(PWD)\n")
    sandbox = FlowSandbox.make(tmp_path / "sandbox", os.environ, "/usr/bin/docker", "unix:///nonexistent.sock")
    env = sandbox.environment({**os.environ, "PWD": str(REPOSITORY), "OLDPWD": str(REPOSITORY)}, copy)
    shown = subprocess.run(["make", "-s"], cwd=copy, env=env, capture_output=True, text=True, check=True).stdout
    assert shown == f"{copy}\n"
    assert "OLDPWD" not in env and env["DOCKER_BUILDKIT"] == "1"


def test_the_copy_holds_what_git_tracks_as_it_is_in_the_working_tree(tmp_path):
    root = small_project(tmp_path / "repo", **{"sub/tool.sh": "#!/bin/sh\n"})
    os.symlink("Dockerfile", root / "Dockerfile.link")
    subprocess.run(["git", "-C", str(root), "add", "Dockerfile.link"], check=True)
    (root / "Dockerfile").write_text(RUNTIME + "# edited, not committed\n")
    (root / "app").write_text("left over from an earlier run")
    (root / "go.mod").unlink()

    copy = copy_project(root / "build.sh", tmp_path / "scratch")
    assert copy.in_git and copy.original_root == root.resolve()
    names = sorted(str(path.relative_to(copy.root)) for path in copy.root.rglob("*") if ".git" not in path.parts)
    assert names == ["Dockerfile", "Dockerfile.build", "Dockerfile.link", "build.sh", "main.go", "sub", "sub/tool.sh"]
    assert (copy.root / "Dockerfile").read_text().endswith("# edited, not committed\n")
    assert os.readlink(copy.root / "Dockerfile.link") == "Dockerfile"
    assert os.access(copy.root / "sub" / "tool.sh", os.X_OK)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=copy.root, capture_output=True, text=True, check=True)
    assert status.stdout == "", "the copy must be committed, as dmigrate wants"
    assert copy.outside(copy.root / "build.sh") == root.resolve() / "build.sh"


def test_outside_git_the_copy_is_the_driver_directory(tmp_path):
    root = make_project(tmp_path / "plain", {"build.sh": DRIVER, "Dockerfile": RUNTIME, "app": "leftover"}, commit=False)
    copy = copy_project(root / "build.sh", tmp_path / "scratch")
    assert not copy.in_git
    assert sorted(path.name for path in copy.root.iterdir()) == ["Dockerfile", "app", "build.sh"]


def test_a_refusal_names_the_users_file_not_the_copy(tmp_path):
    guarded = DRIVER.replace("docker cp ", 'if [ -n "$X" ]; then docker cp ').replace(" app\n", " app; fi\n", 1)
    root = small_project(tmp_path / "project", **{"build.sh": guarded})
    result = verify_driver(root / "build.sh", engine=offline_engine(), engine_version="test")
    assert result.status == REFUSED and result.exit_code == 2
    assert result.location is not None and result.location.file == root.resolve() / "build.sh"
    assert result.location.line == 5
    assert "dmigrate-verify-" not in result.message
    assert result.legacy is None, "nothing may run after a refusal"


def test_a_driver_naming_the_working_tree_is_not_run(tmp_path):
    root = small_project(tmp_path / "project")
    (root / "build.sh").write_text(DRIVER.replace("docker build -t dmt-verify-cli:latest .", f"docker build -t dmt-verify-cli:latest {root.resolve()}"))
    subprocess.run(["git", "-C", str(root), "commit", "-qam", "absolute", "--no-verify"], check=True, env={**os.environ, **_GIT_ENV})
    result = verify_driver(root / "build.sh", engine=offline_engine(), engine_version="test")
    assert result.status == ERROR
    assert result.location.line == 7 and "temporary copies" in result.message


@pytest.mark.parametrize("in_git", [False, True])
def test_a_project_that_cannot_be_copied_is_an_error_not_a_traceback(tmp_path, in_git):
    """A FIFO cannot be copied: outside git, one in the driver's directory; in git, a tracked file that became one."""
    root = small_project(tmp_path / "project") if in_git else make_project(tmp_path / "plain", {"build.sh": DRIVER, "Dockerfile": RUNTIME}, commit=False)
    (root / "go.mod").unlink(missing_ok=True)
    os.mkfifo(root / "go.mod")
    result = verify_driver(root / "build.sh", engine=offline_engine(), engine_version="test")
    assert result.status == ERROR, result.message
    assert result.message == f"cannot make the temporary copy of {root.resolve()}: `{root.resolve() / 'go.mod'}` is a named pipe"


def test_a_bug_of_ours_is_an_error_of_that_verification_only(tmp_path, monkeypatch):
    def broken(driver, options, copy):
        raise ValueError("a bug")

    monkeypatch.setattr(verify_run, "migrate_copy", broken)
    root = small_project(tmp_path / "project")
    result = verify_driver(root / "build.sh", engine=offline_engine(), engine_version="test")
    assert (result.status, result.message, result.exit_code) == (ERROR, "internal error: ValueError: a bug", 2)


_GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t.invalid"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("docker tag dmt-verify-cli:latest dmt-verify-cli:$TAG", "only known when the driver runs"),
    ],
)
def test_what_verify_cannot_guard_stops_it_before_anything_runs(tmp_path, line, message):
    root = small_project(tmp_path / "project", **{"build.sh": DRIVER + line + "\n"})
    result = verify_driver(root / "build.sh", engine=offline_engine(), engine_version="test")
    assert result.status == ERROR and message in result.message, result.message
    assert result.location.file == root.resolve() / "build.sh" and result.location.line == 8


def test_no_engine_is_said_plainly(tmp_path):
    if shutil.which("docker") is None and not os.access("/usr/bin/docker", os.X_OK):
        pytest.skip("no docker client installed")
    socket = tmp_path / "no-engine.sock"
    done = dmigrate("--verify", str(SAMPLE), cwd=tmp_path, env={**os.environ, "DOCKER_HOST": f"unix://{socket}"})
    assert done.returncode == 2
    assert f"no Docker engine answered at unix://{socket}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--keep-images", "."],
        ["--verify", "--dry-run", "."],
        ["--verify", "--check", "."],
        ["--verify", "--format", "sarif", "."],
    ],
)
def test_verify_option_misuse_is_a_usage_error(tmp_path, args):
    done = dmigrate(*args, cwd=tmp_path)
    assert done.returncode == 2 and "dmigrate: error:" in done.stderr, done.stderr


def _verification(**changes) -> Verification:
    base = dict(
        driver=Path("build.sh"),
        status=DIFFERENT,
        message="1 difference",
        engine="unix:///var/run/docker.sock (client /usr/bin/docker)",
        engine_version="25.0.3",
        final_image="app:latest",
        migration="writes Dockerfile, build.sh; deletes Dockerfile.build",
        legacy=FlowRun(
            "legacy", ("/bin/sh", "build.sh"), 2.5, 0, "", "sha256:" + "1" * 64, steps=BuildSteps(7, 0), cache_records_before=0,
            intercepted=(
                InterceptedCommand(("docker", "push", "app:1"), "intercepted", "`docker push` publishes an image"),
                InterceptedCommand(("docker", "build", "--pull", "-t", "app", "."), "changed", PULL_REASON, ("docker", "build", "-t", "app", ".")),
            ),
        ),  # fmt: skip
        migrated=FlowRun(
            "migrated", ("/bin/sh", "build.sh"), 1.0, 0, "", "sha256:" + "2" * 64, steps=BuildSteps(9, 7), cache_records_before=45, direct_requests=3
        ),
        legacy_leftovers=Leftovers(images=(LeftImage("app:build", "sha256:" + "3" * 64, 2_500_000),), host_paths=("app",)),
        migrated_leftovers=Leftovers(),
        differences=(Difference("/usr/local/bin/app", "mode", "0755", "0644"),),
        compared_paths=120,
        cleanup=("removed app:build (333333333333), which the legacy flow built",),
    )
    return Verification(**{**base, **changes})


def test_the_report_shows_timings_leftovers_differences_and_cleanup():
    out, err = io.StringIO(), io.StringIO()
    write_verification(_verification(), out, err)
    text = out.getvalue()
    assert err.getvalue() == ""
    assert "build.sh: different: 1 difference" in text
    assert "legacy       2.50 s  7 (0 cached)  /bin/sh build.sh" in text and "migrated     1.00 s  9 (7 cached)" in text
    assert "took 40% of the legacy flow's time" in text
    assert "the legacy flow ran first, with an empty build cache; 0 of its 7 build steps came from the cache: cold for this flow" in text
    assert (
        "the migrated flow ran second, after the legacy flow's builds, with 45 records in the engine's build cache; "
        "7 of its 9 build steps came from the cache: partly warm for this flow"
    ) in text
    assert "  - not run: docker push app:1: `docker push` publishes an image" in text
    assert "  - changed: docker build --pull -t app .: ran `docker build -t app .`, since --pull asks" in text
    assert "the migrated flow's docker commands" in text and "3 requests reached the engine without the `docker` on PATH" in text
    assert "build images        app:build (2.5 MB)" in text and "host artifacts      app" in text
    assert "the migrated flow leaves behind nothing but its final image" in text
    assert "/usr/local/bin/app  mode    0755    0644" in text
    assert "removed app:build" in text


@pytest.mark.parametrize(
    ("steps", "records", "said"),
    [
        (BuildSteps(4, 0), 0, "the legacy flow ran first, with an empty build cache; 0 of its 4 build steps came from the cache: cold for this flow"),
        (BuildSteps(4, 1), 12, "the legacy flow ran first, with 12 records in the engine's build cache; 1 of its 4 build steps came from the cache: partly warm for this flow"),
        (BuildSteps(1, 1), 1, "the legacy flow ran first, with 1 record in the engine's build cache; 1 of its 1 build step came from the cache: warm for this flow"),
        (None, None, "the legacy flow ran first, with a build cache the engine did not report; its output shows no build steps to count"),
    ],
)  # fmt: skip
def test_the_cache_sentence_says_what_was_measured(steps, records, said):
    run = FlowRun("legacy", ("sh", "build.sh"), 1.0, 0, "", "sha256:1", steps=steps, cache_records_before=records)
    assert verify_report.cache_sentence(run, None) == said


def test_the_same_intercepted_commands_of_both_flows_are_listed_once():
    pushed = (InterceptedCommand(("docker", "push", "app:1"), "intercepted", "`docker push` publishes an image"),)
    legacy = FlowRun("legacy", ("sh", "build.sh"), 1.0, 0, "", "sha256:1", intercepted=pushed)
    migrated = FlowRun("migrated", ("sh", "build.sh"), 1.0, 0, "", "sha256:2", intercepted=pushed)
    assert verify_report.intercepted_text([legacy, migrated]) == (
        "\nboth flows' docker commands that --verify did not run as written:\n  - not run: docker push app:1: `docker push` publishes an image\n"
    )
    assert verify_report.intercepted_text([legacy, FlowRun("migrated", ("sh",), 1.0, 0, "")]).startswith("\nthe legacy flow's docker commands")
    assert verify_report.intercepted_text([FlowRun("legacy", ("sh",), 1.0, 0, "")]) == ""


def test_the_difference_table_is_plain_aligned_text():
    table = difference_table(
        (
            Difference("/usr/local/bin/app", "mode", "0755", "0644"),
            Difference("Env", "MODE", '"prod"', "unset"),
        )
    )
    assert table.splitlines() == [
        "  path or field       aspect  legacy  migrated",
        "  /usr/local/bin/app  mode    0755    0644",
        '  Env                 MODE    "prod"  unset',
    ]


def test_the_rich_table_shows_paths_with_brackets_as_they_are():
    out = io.StringIO()
    verify_report._print_rich_table((Difference("/srv/[/x]", "mode", "0755", "0644"), Difference("/srv/[red]", "presence", "present", "absent")), out)
    assert "/srv/[/x]" in out.getvalue() and "/srv/[red]" in out.getvalue()


def test_json_report_carries_everything():
    found = verifications_json([_verification()], Path.cwd())["verifications"][0]
    assert found["status"] == DIFFERENT and found["exit_code"] == 1
    assert found["legacy"]["seconds"] == 2.5 and found["migrated"]["command"] == ["/bin/sh", "build.sh"]
    assert found["legacy"]["build_steps"] == {"run": 7, "cached": 0} and found["migrated"]["build_cache_records_before"] == 45
    assert found["legacy"]["intercepted"][1] == {
        "command": ["docker", "build", "--pull", "-t", "app", "."], "action": "changed", "reason": PULL_REASON, "ran": ["docker", "build", "-t", "app", "."]
    }
    assert found["migrated"]["direct_engine_requests"] == 3 and found["legacy"]["output_tail"] is None
    assert found["legacy_leftovers"]["images"][0]["ref"] == "app:build"
    assert found["differences"] == [{"path_or_field": "/usr/local/bin/app", "aspect": "mode", "legacy": "0755", "migrated": "0644"}]
    json.dumps(found)


def test_exit_codes():
    assert _verification(status=EQUIVALENT, differences=()).exit_code == 0
    assert _verification().exit_code == 1
    assert _verification(status=REFUSED).exit_code == 2
    assert verify_result.exit_code([_verification(status=EQUIVALENT), _verification(status=ERROR)]) == 2


class FakeEngine:
    """An engine's tags, in memory: enough for TagGuard. A command starting with one of ``failing`` fails."""

    def __init__(self, tags: dict[str, str], failing: tuple[str, ...] = ()) -> None:
        self.tags = dict(tags)
        self.failing = failing

    def run(self, args, *, check: bool = True, **_options) -> subprocess.CompletedProcess:
        args = list(args)
        failed = " ".join(args).startswith(self.failing) if self.failing else False
        out = b""
        if args[:2] == ["image", "inspect"]:
            failed = failed or args[-1] not in self.tags
            out = b"" if failed else self.tags[args[-1]].encode()
        elif not failed and args[0] == "tag":
            self.tags[args[2]] = self.tags.get(args[1], args[1])
        elif not failed and args[:2] == ["image", "rm"]:
            failed = self.tags.pop(args[2], None) is None
        done = subprocess.CompletedProcess(args, 1 if failed else 0, out, b"Error: refused by the test" if failed else b"")
        if check and failed:
            raise DockerCommandFailed(args, 1, "refused by the test")
        return done


USERS = {"app:latest": "sha256:" + "a" * 64, "app:build": "sha256:" + "b" * 64}


def test_a_hold_that_fails_halfway_leaves_the_tags_it_did_not_hold_alone():
    engine = FakeEngine(USERS, failing=("tag sha256:bbb",))
    guard = TagGuard(engine, ["app:latest", "app:build"], "t")
    with pytest.raises(EngineError):
        guard.hold()
    actions: list[str] = []
    guard.restore(actions, None)
    assert engine.tags == USERS, "the user's images keep their tags, and nothing stays held"


def test_a_tag_that_cannot_be_cleared_before_the_first_flow_does_not_stop_the_others_being_restored():
    engine = FakeEngine(USERS, failing=("image rm app:build",))
    guard = TagGuard(engine, ["app:latest", "app:build"], "t")
    guard.hold()
    with pytest.raises(EngineError, match="could not remove the tag app:build"):
        guard.clear([], None)
    actions: list[str] = []
    guard.restore(actions, None)
    assert actions == ["restored app:latest to your image aaaaaaaaaaaa"]
    assert {tag: image for tag, image in engine.tags.items() if not tag.startswith("dmigrate-verify/")} == USERS
    assert engine.tags == USERS


def test_restore_puts_every_tag_back_after_a_flow_and_says_what_it_removed():
    engine = FakeEngine(USERS)
    guard = TagGuard(engine, ["app:latest", "app:build", "app:new"], "t")
    guard.hold()
    guard.clear([], None)
    engine.tags.update({"app:latest": "sha256:" + "1" * 64, "app:new": "sha256:" + "2" * 64})
    engine.failing = ("image rm app:latest",)
    actions: list[str] = []
    guard.restore(actions, "legacy")
    assert actions == [
        "could not remove app:latest (111111111111), which the legacy flow built: Error: refused by the test",
        "removed app:new (222222222222), which the legacy flow built",
        "restored app:latest to your image aaaaaaaaaaaa",
        "restored app:build to your image bbbbbbbbbbbb",
    ]
    assert engine.tags == USERS


def test_a_tag_the_first_flow_left_that_cannot_be_removed_stops_the_verification():
    engine = FakeEngine({})
    guard = TagGuard(engine, ["app:latest"], "t")
    guard.hold()
    engine.tags["app:latest"] = "sha256:" + "1" * 64
    engine.failing = ("image rm app:latest",)
    actions: list[str] = []
    with pytest.raises(EngineError):
        guard.clear(actions, "legacy")
    assert actions == ["could not remove app:latest (111111111111), which the legacy flow built: Error: refused by the test"]


# --- on a real engine ----------------------------------------------------------------------------


def _image_id(engine: Engine, ref: str) -> str | None:
    done = engine.run(["image", "inspect", "--format", "{{.Id}}", ref], check=False)
    return done.stdout.decode().strip() if done.returncode == 0 else None


@pytest.mark.docker
def test_verify_on_the_sample_reports_equivalence_with_timings_and_keeps_the_users_tags(docker_engine, docker_env, tmp_path):
    final, build = "alexellis2/href-counter:latest", "alexellis2/href-counter:build"
    final_before = _image_id(docker_engine, final)
    users_image = _image_id(docker_engine, "busybox:latest")
    docker_engine.run(["tag", users_image, final])
    build_before = _image_id(docker_engine, build)
    sample_before = tree_state(SAMPLE)
    try:
        done = dmigrate("--verify", "samples/href-counter", cwd=REPOSITORY, env=docker_env)
        final_after = _image_id(docker_engine, final)
    finally:
        if final_before:
            docker_engine.run(["tag", final_before, final])
        else:
            docker_engine.run(["image", "rm", final], check=False)

    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "samples/href-counter/build.sh: equivalent" in out
    for flow in ("legacy", "migrated"):
        assert any(line.split()[:1] == [flow] and line.split()[2] == "s" for line in out.splitlines()), out
    assert "build images        alexellis2/href-counter:build" in out
    assert "the migrated flow leaves behind nothing but its final image" in out
    assert "no differences" in out
    assert f"restored {final} to your image {users_image.removeprefix('sha256:')[:12]}" in out
    assert final_after == users_image
    assert _image_id(docker_engine, build) == build_before
    assert tree_state(SAMPLE) == sample_before
    assert "dmigrate-verify-" in done.stderr, "progress names the temporary copy"
    tags = json.loads(docker_engine.output(["image", "inspect", "--format", "{{json .RepoTags}}", users_image]))
    assert not [tag for tag in tags if tag.startswith("dmigrate-verify/")], "the hold on the user's image is let go"


@pytest.mark.docker
def test_keep_images_and_json_report_what_the_legacy_flow_leaves(docker_engine, docker_env, tmp_path):
    project = flows.committed_copy(flows.PROJECTS_DIR / "absolute-file", tmp_path / "absolute-file")
    flows.remove_test_containers(docker_engine)
    done = dmigrate("--verify", "--keep-images", "--format", "json", ".", cwd=project, env=docker_env)
    report = json.loads(done.stdout)["verifications"][0]
    kept = ["dmigrate-verify/dmt-absolute-file:legacy", "dmigrate-verify/dmt-absolute-file:migrated"]
    try:
        assert done.returncode == 0, done.stderr
        assert report["status"] == EQUIVALENT and report["differences"] == []
        assert report["legacy_leftovers"]["host_paths"] == ["hello"]
        assert [image["ref"] for image in report["legacy_leftovers"]["images"]] == ["dmt-absolute-file:build"]
        assert report["migrated_leftovers"] == {"images": [], "containers": [], "host_paths": []}
        assert _image_id(docker_engine, kept[0]) == report["legacy"]["image_id"]
        assert _image_id(docker_engine, kept[1]) == report["migrated"]["image_id"]
        assert f"kept the legacy image as {kept[0]} ({report['legacy']['image_id'][7:19]})" in report["cleanup"]
        assert not (project / "hello").exists(), "the flows ran in copies"
    finally:
        docker_engine.remove_images(kept)


@pytest.mark.docker
def test_a_wrong_migration_is_a_table_of_differences_and_exit_1(docker_engine, docker_env, tmp_path, monkeypatch, capsys):
    project = flows.committed_copy(flows.PROJECTS_DIR / "setuid-mode", tmp_path / "setuid-mode")
    honest = verify_run.migrate_copy

    def wrong_migration(driver, options, copy):
        outcome = honest(driver, options, copy)
        dockerfile = driver.parent / "Dockerfile"
        dockerfile.write_text(dockerfile.read_text().replace("COPY --from=builder /out/policy.conf", "COPY --from=builder --chmod=0644 /out/policy.conf"))
        return outcome

    monkeypatch.setattr(verify_run, "migrate_copy", wrong_migration)
    for name in ("PATH", "DMIGRATE_TEST_REAL_DOCKER", "DMIGRATE_TEST_NO_CACHE", "DOCKER_BUILDKIT"):
        monkeypatch.setenv(name, docker_env[name])
    monkeypatch.chdir(project)
    flows.remove_test_containers(docker_engine)
    with pytest.raises(SystemExit) as exited:
        cli.main(["--verify", "."])
    out = capsys.readouterr().out
    assert exited.value.code == 1, out
    assert "build.sh: different: 1 difference" in out
    assert "/etc/elevate/policy.conf  mode    0640    0644" in out


@pytest.mark.docker
def test_a_container_under_the_flows_name_stops_verify(docker_engine, docker_env, tmp_path):
    project = small_project(tmp_path / "project")
    name = "dmigrate-test-verify-cli-extract"
    docker_engine.run(["rm", "--force", name], check=False)
    docker_engine.run(["create", "--network=none", "--name", name, "busybox:latest", "true"])
    try:
        done = dmigrate("--verify", ".", cwd=project, env=docker_env)
        assert done.returncode == 2
        assert f"a container named {name} exists" in done.stderr
        assert docker_engine.run(["container", "inspect", name], check=False).returncode == 0, "the user's container stays"
    finally:
        docker_engine.run(["rm", "--force", name], check=False)


@pytest.mark.docker
def test_a_failing_legacy_flow_is_reported_and_cleaned_up(docker_engine, docker_env, tmp_path):
    project = small_project(tmp_path / "project", **{"Dockerfile.build": BUILD + "RUN echo the build broke && exit 3\n"})
    docker_engine.remove_images(["dmt-verify-cli:build", "dmt-verify-cli:latest"])
    done = dmigrate("--verify", ".", cwd=project, env=docker_env)
    assert done.returncode == 2
    assert "the legacy flow `/bin/sh build.sh` failed with exit status 1" in done.stderr
    assert "the build broke" in done.stderr
    assert _image_id(docker_engine, "dmt-verify-cli:build") is None
    assert _image_id(docker_engine, "dmt-verify-cli:latest") is None
