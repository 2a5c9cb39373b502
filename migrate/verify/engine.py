"""How dmigrate calls a Docker engine: which client, which engine, what time limits.

Every failure is raised as an :class:`EngineError` whose message is meant to
be shown to a person as it is, without a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

CLIENT_VARIABLE = "DMIGRATE_DOCKER"
# Debian's client is preferred: it speaks BuildKit through the engine's own
# builder, which some statically built clients found first on PATH cannot.
PREFERRED_CLIENT = "/usr/bin/docker"
DEFAULT_SOCKET = "unix:///var/run/docker.sock"

DEFAULT_TIMEOUT = 600.0
PING_TIMEOUT = 20.0


class EngineError(Exception):
    """A Docker engine could not be used; the message says why."""


class EngineUnavailable(EngineError):
    """No client was found, or no engine answered it."""


class DockerCommandFailed(EngineError):
    """A docker command exited with a non-zero status."""

    def __init__(self, argv: Sequence[str], returncode: int, output: str) -> None:
        self.argv = tuple(argv)
        self.returncode = returncode
        self.output = output
        shown = " ".join(self.argv)
        detail = output.strip() or "(no output)"
        super().__init__(f"`{shown}` failed with exit status {returncode}:\n{detail}")


class DockerCommandTimeout(EngineError):
    """A docker command ran longer than it was allowed to."""

    def __init__(self, argv: Sequence[str], timeout: float) -> None:
        self.argv = tuple(argv)
        self.timeout = timeout
        super().__init__(f"`{' '.join(self.argv)}` did not finish within {timeout:g} s")


def choose_client(environ: Mapping[str, str] | None = None) -> str:
    """The docker client to run: $DMIGRATE_DOCKER, else Debian's, else the one on PATH."""
    environ = os.environ if environ is None else environ
    wanted = environ.get(CLIENT_VARIABLE, "").strip()
    if wanted:
        found = wanted if os.sep in wanted else shutil.which(wanted, path=environ.get("PATH"))
        if found is None or not os.access(found, os.X_OK):
            raise EngineUnavailable(f"{CLIENT_VARIABLE}={wanted} does not name an executable docker client")
        return found
    if os.access(PREFERRED_CLIENT, os.X_OK):
        return PREFERRED_CLIENT
    found = shutil.which("docker", path=environ.get("PATH"))
    if found is None:
        raise EngineUnavailable(
            f"no docker client found: install one, or set {CLIENT_VARIABLE} to its path"
        )
    return found


@dataclass(frozen=True)
class Engine:
    """One docker client and the environment it is run with."""

    client: str
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), compare=False)
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> Engine:
        environ = dict(os.environ if environ is None else environ)
        return cls(client=choose_client(environ), environ=environ, timeout=timeout)

    @property
    def host(self) -> str:
        """Where the client will look for the engine, as far as the environment tells."""
        if self.environ.get("DOCKER_HOST"):
            return self.environ["DOCKER_HOST"]
        if self.environ.get("DOCKER_CONTEXT"):
            return f"the engine of docker context {self.environ['DOCKER_CONTEXT']!r}"
        return DEFAULT_SOCKET

    def describe(self) -> str:
        return f"{self.host} (client {self.client})"

    def command_env(self) -> dict[str, str]:
        env = dict(self.environ)
        env["DOCKER_BUILDKIT"] = "1"
        return env

    def run(
        self,
        args: Sequence[str],
        *,
        input: bytes | None = None,
        timeout: float | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``docker ARGS`` and capture its output; raise on failure when ``check``."""
        argv = [self.client, *args]
        limit = self.timeout if timeout is None else timeout
        try:
            done = subprocess.run(
                argv,
                input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
                capture_output=True,
                env=self.command_env(),
                timeout=limit,
            )
        except subprocess.TimeoutExpired:
            raise DockerCommandTimeout(argv, limit) from None
        except OSError as error:
            raise EngineUnavailable(f"cannot run docker client {self.client}: {error.strerror}") from None
        if check and done.returncode != 0:
            raise DockerCommandFailed(argv, done.returncode, _text(done.stderr) or _text(done.stdout))
        return done

    def output(self, args: Sequence[str], *, timeout: float | None = None) -> str:
        """Standard output of ``docker ARGS`` as text, without the trailing newline."""
        return _text(self.run(args, timeout=timeout).stdout).rstrip("\n")

    @contextmanager
    def stream(self, args: Sequence[str], *, timeout: float | None = None) -> Iterator[IO[bytes]]:
        """Read the standard output of ``docker ARGS`` as it comes, without a temp file.

        The command is killed when it outlives ``timeout``; its exit status is
        checked when the block ends.
        """
        argv = [self.client, *args]
        limit = self.timeout if timeout is None else timeout
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.command_env(),
            )
        except OSError as error:
            raise EngineUnavailable(f"cannot run docker client {self.client}: {error.strerror}") from None
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            process.kill()

        watchdog = threading.Timer(limit, kill)
        watchdog.daemon = True
        watchdog.start()
        # stderr is drained aside so that a chatty failure cannot fill its pipe
        # while we are still reading stdout.
        errors: list[bytes] = []
        drain = threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True)
        drain.start()
        try:
            assert process.stdout is not None
            yield process.stdout
            # Whatever the reader left unread must still flow, or docker blocks.
            while process.stdout.read(1 << 16):
                pass
        except BaseException:
            process.kill()
            raise
        finally:
            returncode = process.wait()
            watchdog.cancel()
            drain.join()
            process.stdout.close()
            process.stderr.close()
        if timed_out.is_set():
            raise DockerCommandTimeout(argv, limit)
        if returncode != 0:
            raise DockerCommandFailed(argv, returncode, _text(b"".join(errors)))

    def ping(self, *, timeout: float = PING_TIMEOUT) -> str:
        """The engine's version; :class:`EngineUnavailable` naming the engine tried if none answers."""
        try:
            done = self.run(["version", "--format", "{{.Server.Version}}"], timeout=timeout, check=False)
        except DockerCommandTimeout:
            raise EngineUnavailable(
                f"no Docker engine answered at {self.describe()} within {timeout:g} s"
            ) from None
        version = _text(done.stdout).strip()
        if done.returncode != 0 or not version:
            reason = first_line(_text(done.stderr)) or f"exit status {done.returncode}"
            raise EngineUnavailable(f"no Docker engine answered at {self.describe()}: {reason}")
        return version

    def image_exists(self, ref: str) -> bool:
        return self.run(["image", "inspect", "--format", "{{.Id}}", ref], check=False).returncode == 0

    def inspect_image(self, ref: str) -> dict:
        found = json.loads(self.output(["image", "inspect", ref]))
        return found[0]

    def remove_images(self, refs: Sequence[str]) -> None:
        """Remove images that exist; ignore the ones that do not."""
        present = [ref for ref in refs if self.image_exists(ref)]
        if present:
            self.run(["image", "rm", "--force", *present])


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
