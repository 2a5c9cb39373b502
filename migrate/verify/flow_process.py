"""How one flow runs: in its own process group, with the interceptor first on PATH and the engine gate as DOCKER_HOST.

The driver runs in a session of its own, so that a signal meant for
dmigrate never reaches it by accident, and so that dmigrate can stop all of
it — the shell, make, every ``docker build`` client it started — and wait
until none of it is left before it touches the tags again.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from migrate.verify import interceptor
from migrate.verify.result import InterceptedCommand

STOP_GRACE = 5.0
"""How long a flow's processes get to end after SIGTERM before they are killed."""


@dataclass(frozen=True)
class FlowSandbox:
    """The interceptor of one flow: its ``docker`` program, its settings and its log."""

    directory: Path
    settings: interceptor.Settings

    @property
    def bin_dir(self) -> Path:
        return self.directory / "bin"

    @classmethod
    def make(cls, directory: Path, environ: Mapping[str, str], fallback_client: str, gate_address: str) -> FlowSandbox:
        bin_dir = directory / "bin"
        bin_dir.mkdir(parents=True)
        client = shutil.which("docker", path=environ.get("PATH", os.defpath)) or fallback_client
        settings = interceptor.Settings(
            log=str(directory / "intercepted.jsonl"),
            client=os.path.abspath(client),
            gate=gate_address,
            docker_host=environ.get("DOCKER_HOST") or None,
            docker_context=environ.get("DOCKER_CONTEXT") or None,
            docker_config=environ.get("DOCKER_CONFIG") or None,
            own_directory=str(bin_dir),
        )
        settings_path = directory / "settings.json"
        settings_path.write_text(json.dumps(settings.__dict__))
        program = bin_dir / "docker"
        # -I -S: the driver's PYTHONPATH and site-packages cannot change what the interceptor decides.
        words = [sys.executable, "-I", "-S", interceptor.__file__, str(settings_path)]
        program.write_text(f"#!/bin/sh\nexec {shlex.join(words)} \"$@\"\n")
        program.chmod(0o755)
        return cls(directory, settings)

    def environment(self, environ: Mapping[str, str], cwd: Path) -> dict[str, str]:
        """The flow's environment: the user's, with ``PWD`` in the copy, the interceptor first on PATH and the gate as the engine.

        A shell sets ``PWD`` itself, but make's ``$(PWD)`` and Python's
        ``os.environ["PWD"]`` take it as it comes: the directory dmigrate was
        started in, which may be the working tree itself.
        """
        env = dict(environ)
        env.setdefault("DOCKER_BUILDKIT", "1")
        env["PWD"] = str(cwd)
        env.pop("OLDPWD", None)
        env["PATH"] = os.pathsep.join([str(self.bin_dir), *filter(None, [environ.get("PATH")])])
        env["DOCKER_HOST"] = self.settings.gate
        return env

    def intercepted(self) -> tuple[InterceptedCommand, ...]:
        found = []
        for entry in interceptor.read_log(self.settings.log):
            ran = entry.get("ran")
            found.append(InterceptedCommand(tuple(entry.get("argv", ())), entry.get("action", ""), entry.get("reason", ""), tuple(ran) if ran else None))
        return tuple(found)


@dataclass(frozen=True)
class Finished:
    returncode: int
    output: str
    timed_out: bool


def run_flow(argv: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float | None) -> Finished:
    """Run ``argv`` in a new session; on a time-out or any exception (an :class:`Interrupted`), stop its whole group first."""
    process = subprocess.Popen(
        list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    chunks: list[bytes] = []
    reader = threading.Thread(target=_read_all, args=(process.stdout, chunks), daemon=True)
    reader.start()
    timed_out = False
    try:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        # What the driver left running in its group (a `docker build &`) is stopped with it.
        stop_group(process)
    except BaseException:
        stop_group(process)
        raise
    finally:
        reader.join(timeout=STOP_GRACE)
        process.stdout.close()
    return Finished(process.returncode if not timed_out else -1, b"".join(chunks).decode("utf-8", "replace"), timed_out)


def _read_all(stream, chunks: list[bytes]) -> None:
    try:
        for chunk in iter(lambda: stream.read1(1 << 16), b""):
            chunks.append(chunk)
    except (OSError, ValueError):
        pass


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the flow's group, then SIGKILL to what is left after :data:`STOP_GRACE`; return once none of it runs."""
    group = process.pid
    for signum, grace in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, STOP_GRACE)):
        if not group_alive(group, process):
            return
        try:
            os.killpg(group, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not group_alive(group, process):
                return
            time.sleep(0.05)


def group_alive(group: int, leader: subprocess.Popen) -> bool:
    """Whether a process of ``group`` still runs (zombies do not count: nothing may reap them here)."""
    leader.poll()
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == group and fields[0] != b"Z":
            return True
    return False
