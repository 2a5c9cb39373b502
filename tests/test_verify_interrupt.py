"""Interrupting ``dmigrate --verify`` on a real engine: the flow stops, the tags come back, the copy goes.

dmigrate is started as a process of its own, on a project whose legacy
flow is in the middle of a ``docker build`` (a ``RUN sleep``) or sleeps
after its final build; the signal goes to dmigrate alone, as from ``kill``.
Then nothing of the flow may still run, every tag names the user's image
again (also after the build the flow had started would have ended), no
image stays held, no temporary copy is left, and the exit status is the
signal's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from migrate.verify.interrupts import Interrupted, interruptible, shielded
from support import make_project

NAME = "dmt-verify-int"
RUN_SECONDS = 6
RUNTIME = 'FROM alpine:3.19\nCOPY app /usr/local/bin/app\nCMD ["app"]\n'
GO_FILES = {"go.mod": "module example.com/app\n", "main.go": "package main\n\nfunc main() {}\n"}
EXTRACT = (
    f"docker create --name {NAME}-extract {NAME}:build\n"
    f"docker cp {NAME}-extract:/out/app app\n"
    f"docker rm {NAME}-extract\n"
)
DURING_BUILD = (
    "#!/bin/sh\nset -e\n"
    'echo $$ > "$DMT_MARKER"\n'
    f"docker build -t {NAME}:build -f Dockerfile.build .\n" + EXTRACT + f"docker build -t {NAME}:latest .\n"
)
AFTER_BUILD = (
    "#!/bin/sh\nset -e\n"
    f"docker build -t {NAME}:build -f Dockerfile.build .\n" + EXTRACT + f"docker build -t {NAME}:latest .\n"
    f"docker create --name {NAME}-left {NAME}:latest\n"
    'echo $$ > "$DMT_MARKER"\n'
    "sleep 60\n"
)


def image_id(engine, ref: str) -> str | None:
    done = engine.run(["image", "inspect", "--format", "{{.Id}}", ref], check=False)
    return done.stdout.decode().strip() if done.returncode == 0 else None


def flow_processes(driver_pid: int) -> list[str]:
    """The driver's shell and every live process of its group or session (zombies do not run)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_bytes()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2 :].split()
            ours = int(entry.name) == driver_pid or driver_pid in (int(fields[2]), int(fields[3]))
            if ours and fields[0] != b"Z":
                found.append(stat.decode(errors="replace"))
    return found


def wait_for(path: Path, seconds: float, process: subprocess.Popen) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if path.is_file() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.1)
    process.kill()
    out, err = process.communicate()
    raise AssertionError(f"{path} was not written within {seconds} s:\n{out}\n{err}")


@pytest.mark.docker
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("phase", ["during-build", "after-build"])
def test_an_interrupted_verify_stops_the_flow_and_restores_everything(docker_engine, docker_env, tmp_path, signum, phase):
    token = uuid.uuid4().hex
    build = f"FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN sleep {RUN_SECONDS if phase == 'during-build' else 0}\nRUN go build -o /out/app .\n"
    driver = DURING_BUILD if phase == "during-build" else AFTER_BUILD
    root = make_project(tmp_path / "project", {"build.sh": driver, "Dockerfile.build": build, "Dockerfile": RUNTIME, "token": token, **GO_FILES})
    users = {f"{NAME}:latest": image_id(docker_engine, "busybox:latest"), f"{NAME}:build": image_id(docker_engine, "alpine:3.19")}
    for tag, image in users.items():
        docker_engine.run(["tag", image, tag])
    marker, temporary = tmp_path / "marker", tmp_path / "tmp"
    temporary.mkdir()
    env = {**docker_env, "DMT_MARKER": str(marker), "TMPDIR": str(temporary), "NO_COLOR": "1"}
    dmigrate = subprocess.Popen([sys.executable, "-m", "migrate", "--verify", "."], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        driver_pid = int(wait_for(marker, 60, dmigrate))
        signalled_at = time.monotonic()
        time.sleep(2.5 if phase == "during-build" else 0.5)
        dmigrate.send_signal(signum)
        out, err = dmigrate.communicate(timeout=60)

        assert dmigrate.returncode == 128 + signum, out + err
        assert flow_processes(driver_pid) == [], "a process of the flow still runs"
        assert f"stopped by {signal.Signals(signum).name}" in err
        assert "stopped the legacy flow" in err
        # A build the flow had started would be done by now; it must not have tagged anything after the restore.
        time.sleep(max(0.0, signalled_at + RUN_SECONDS + 2 - time.monotonic()))
        assert {tag: image_id(docker_engine, tag) for tag in users} == users
        assert f"restored {NAME}:latest to your image" in err
        held = [line for line in docker_engine.output(["images", "--format", "{{.Repository}}"]).splitlines() if line.startswith("dmigrate-verify/")]
        assert held == []
        assert list(temporary.iterdir()) == [], "the temporary copy is left"
        for container in (f"{NAME}-extract", f"{NAME}-left"):
            assert docker_engine.run(["container", "inspect", container], check=False).returncode != 0, f"{container} is left"
        if phase == "after-build":
            assert f"removed container {NAME}-left (created), which the legacy flow left" in err
    finally:
        if dmigrate.poll() is None:
            dmigrate.kill()
            dmigrate.wait()
        for tag in users:
            docker_engine.run(["image", "rm", tag], check=False)


# --- the signal handling itself, without an engine ---------------------------------------------------


def test_a_signal_inside_verify_becomes_an_exit_with_its_status_and_the_old_handler_comes_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as raised:
        with interruptible():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
    assert (raised.value.code, raised.value.name) == (143, "SIGTERM")
    assert isinstance(raised.value, SystemExit)
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_shielded_step_is_finished_before_the_signal_is_raised():
    done = []
    with pytest.raises(Interrupted) as raised:
        with interruptible():
            with shielded():
                os.kill(os.getpid(), signal.SIGHUP)
                time.sleep(0.2)
                done.append("the step")
            done.append("after the step")
    assert done == ["the step"] and raised.value.code == 129


def test_once_raised_later_signals_do_not_cut_the_cleanup_short():
    cleaned = []
    with pytest.raises(Interrupted) as raised:
        with interruptible():
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)
            finally:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.2)
                cleaned.append("restored")
    assert cleaned == ["restored"] and raised.value.code == 130
