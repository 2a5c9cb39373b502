"""The engine address a flow is given: a socket that stands between the engine and any client that is not ``docker`` on PATH.

The ``docker`` that ``--verify`` puts on PATH talks to the engine itself.
What reaches the engine some other way — a client run by its absolute
path, the Docker SDK, docker-compose v1 — connects here, through the
``DOCKER_HOST`` the flow is given.  Each request is forwarded to the engine
unless it publishes, logs in or talks to a registry; those are answered
with an error the client shows, and recorded, and ``--verify`` refuses the
driver.  BuildKit's own API (``/grpc``, used by buildx) carries requests
this gate cannot read, so it is refused too.

When the engine is not a local socket (``tcp://``, ``ssh://``), nothing is
forwarded: every request is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from migrate.verify.engine import DEFAULT_SOCKET, Engine, EngineError

HEAD_LIMIT = 1 << 16
SOCKET_PATH_LIMIT = 100
"""A unix socket's path must fit in 108 bytes."""
BUFFER = 1 << 16


@dataclass(frozen=True)
class GateRequest:
    method: str
    path: str
    refused: str | None
    """Why the request was not forwarded, or None."""


def engine_socket(engine: Engine) -> tuple[str | None, str]:
    """The path of the engine's socket, or None and why the gate cannot forward to it."""
    host = engine.environ.get("DOCKER_HOST") or ""
    if not host:
        try:
            done = engine.run(["context", "inspect", "--format", "{{.Endpoints.docker.Host}}"], check=False)
            host = done.stdout.decode("utf-8", "replace").strip() if done.returncode == 0 else ""
        except EngineError:
            host = ""
    host = host or DEFAULT_SOCKET
    if host.startswith("unix://"):
        return host.removeprefix("unix://"), ""
    return None, f"--verify forwards such requests only to an engine on a local socket, and this one is {host}"


def gate_decision(method: str, target: str) -> tuple[str | None, str]:
    """Why a request must not reach the engine (or None), and the target to forward."""
    parts = urlsplit(target)
    path = parts.path
    segments = [segment for segment in path.split("/") if segment]
    if segments and segments[0].startswith("v") and segments[0][1:].replace(".", "").isdigit():
        segments = segments[1:]
    route = "/" + "/".join(segments)
    query = parse_qsl(parts.query, keep_blank_values=True)
    method = method.upper()
    if method == "POST" and route == "/auth":
        return "it logs in to a registry", target
    if method == "POST" and route.startswith("/images/") and route.endswith("/push"):
        return "it publishes an image", target
    if method == "POST" and route == "/images/create" and any(name == "fromImage" for name, _ in query):
        return "it pulls from a registry", target
    if route == "/images/search":
        return "it queries a registry", target
    if route.startswith("/distribution/"):
        return "it asks a registry about an image", target
    if route.startswith("/plugins/") and (route == "/plugins/pull" or route.endswith(("/push", "/upgrade"))):
        return "it fetches or publishes a plugin through a registry", target
    if route in ("/grpc",):
        return "it opens BuildKit's API (buildx), whose requests --verify cannot read", target
    if method == "POST" and route == "/build":
        outputs = next((value for name, value in query if name == "outputs"), "")
        if _outputs_publish(outputs):
            return "its build publishes the image", target
        kept = [(name, value) for name, value in query if not (name == "pull" and value not in ("", "0", "false"))]
        if kept != query:
            return None, parts._replace(query=urlencode(kept)).geturl()
    return None, target


def _outputs_publish(outputs: str) -> bool:
    if not outputs:
        return False
    try:
        entries = json.loads(outputs)
    except ValueError:
        return True  # what cannot be read is not forwarded
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, dict):
            return True
        kind = str(entry.get("Type") or entry.get("type") or "").lower()
        attrs = entry.get("Attrs") or entry.get("attrs") or {}
        if kind == "registry" or str(attrs.get("push", "")).lower() in ("true", "1"):
            return True
    return False


class EngineGate:
    """Listen on ``socket_path``; forward to the engine socket ``upstream`` (None: refuse everything)."""

    def __init__(self, socket_path: Path, upstream: str | None, unreachable_reason: str = "") -> None:
        self.socket_path = Path(socket_path)
        self._short_directory: Path | None = None
        self.upstream = upstream
        self.unreachable_reason = unreachable_reason
        self.requests: list[GateRequest] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()

    @property
    def address(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self) -> EngineGate:
        if len(os.fsencode(self.socket_path)) > SOCKET_PATH_LIMIT:
            # A deep TMPDIR: the socket goes where its path fits.
            self._short_directory = Path(tempfile.mkdtemp(prefix="dmigrate-gate-", dir="/tmp" if os.path.isdir("/tmp") else None))
            self.socket_path = self._short_directory / "engine.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.socket_path))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, daemon=True, name="dmigrate-engine-gate").start()
        return self

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            _close(connection)
        self.socket_path.unlink(missing_ok=True)
        if self._short_directory is not None:
            shutil.rmtree(self._short_directory, ignore_errors=True)

    def __enter__(self) -> EngineGate:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def take_requests(self) -> list[GateRequest]:
        """What reached the gate since the last call."""
        with self._lock:
            found, self.requests = self.requests, []
        return found

    def _accept(self) -> None:
        while self._listener is not None:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.add(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            head, rest = _read_head(client)
            if head is None:
                return
            lines = head.split(b"\r\n")
            method, target, version = (lines[0].decode("latin-1").split(" ", 2) + ["", ""])[:3]
            refused, forwarded = gate_decision(method, target)
            if refused is None and self.upstream is None:
                refused = self.unreachable_reason
            with self._lock:
                self.requests.append(GateRequest(method, urlsplit(target).path, refused))
            if refused is not None:
                _answer_refused(client, refused)
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.upstream)
            with self._lock:
                self._connections.add(upstream)
            first = f"{method} {forwarded} {version}".encode("latin-1")
            upstream.sendall(b"\r\n".join([first, *_one_request_only(lines[1:])]) + b"\r\n\r\n" + rest)
            _pump_both_ways(client, upstream)
        except OSError:
            pass
        finally:
            for connection in (client, upstream):
                if connection is not None:
                    _close(connection)
                    with self._lock:
                        self._connections.discard(connection)


def _read_head(connection: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > HEAD_LIMIT:
            return None, b""
        chunk = connection.recv(BUFFER)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _one_request_only(headers: list[bytes]) -> list[bytes]:
    """Ask the engine to close after one response, so that every request on a connection passes the gate.

    An upgrade (attach, exec, BuildKit's session) becomes a raw stream; it keeps its headers.
    """
    if any(header.lower().startswith(b"upgrade:") for header in headers):
        return headers
    return [header for header in headers if not header.lower().startswith(b"connection:")] + [b"Connection: close"]


def _answer_refused(connection: socket.socket, reason: str) -> None:
    message = (
        f"dmigrate --verify: refused, {reason}: this client reached the engine without the `docker` "
        "that --verify puts on PATH, so --verify cannot intercept what it publishes; call docker by name"
    )
    body = json.dumps({"message": message}).encode()
    head = f"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    connection.sendall(head.encode() + body)


def _pump_both_ways(client: socket.socket, upstream: socket.socket) -> None:
    to_engine = threading.Thread(target=_pump, args=(client, upstream), daemon=True)
    to_engine.start()
    _pump(upstream, client)
    to_engine.join()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while True:
            chunk = source.recv(BUFFER)
            if not chunk:
                break
            target.sendall(chunk)
    except OSError:
        pass
    try:
        target.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()
