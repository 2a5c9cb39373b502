"""What ``--verify``'s interceptor does with each docker command, without an engine.

The table is the contract: the words after ``docker`` on the left, what the
interceptor does on the right (``passed`` and ``changed`` name the words it
runs).  Then the program itself, with a stand-in for the real client, the
engine gate's decisions, and the build-step count behind the cache report.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from migrate.verify import interceptor
from migrate.verify.build_cache import BuildSteps, count_build_steps
from migrate.verify.engine_gate import EngineGate, gate_decision
from migrate.verify.flow_process import FlowSandbox
from migrate.verify.interceptor import CHANGED, INTERCEPTED, PASSED, REFUSED, Settings, bake_file_publishes, decide, environment_problem

P, C, I, R = PASSED, CHANGED, INTERCEPTED, REFUSED

# (docker's words, action, the words run or None)
DECISIONS = [
    # publishing, logging in, registries: not run
    ("push app:1", I, None),
    ("image push app:1", I, None),
    ("login -u me -p secret registry.example", I, None),
    ("logout registry.example", I, None),
    ("pull golang:1.21", I, None),
    ("image pull golang:1.21", I, None),
    ("search busybox", I, None),
    ("manifest create r/app:1 r/app:1-amd64", I, None),
    ("manifest push r/app:1", I, None),
    ("manifest inspect r/app:1", I, None),
    ("buildx imagetools create -t r/app:2 r/app:1", I, None),
    ("buildx imagetools inspect r/app:1", I, None),
    ("compose push", I, None),
    ("compose -f ci.yml pull web", I, None),
    ("trust sign r/app:1", I, None),
    ("trust inspect r/app:1", I, None),
    ("plugin install vieux/sshfs", I, None),
    ("plugin push me/plugin", I, None),
    ("scout cves app:1", I, None),
    ("stack deploy -c stack.yml app", I, None),
    ("service update --image app:2 web", I, None),
    ("--debug push app:1", I, None),
    ("-l debug push app:1", I, None),
    # builds that would publish or reach a registry: run without that part
    ("buildx build --push -t r/app:1 .", C, "buildx build --load -t r/app:1 ."),
    ("buildx build --push --load -t r/app:1 .", C, "buildx build --load -t r/app:1 ."),
    ("buildx build --push=true -t r/app:1 .", C, "buildx build --load -t r/app:1 ."),
    ("buildx build --push=false -t r/app:1 .", P, "buildx build --push=false -t r/app:1 ."),
    ("build --push -t r/app:1 .", C, "build -t r/app:1 ."),
    ("image build --push -t r/app:1 .", C, "image build -t r/app:1 ."),
    ("builder build --push -t r/app:1 .", C, "builder build -t r/app:1 ."),
    ("buildx b --push -t r/app:1 .", C, "buildx b --load -t r/app:1 ."),
    ("buildx --builder ci build --push .", C, "buildx --builder ci build --load ."),
    ("buildx build --output type=registry -t r/app:1 .", C, "buildx build --output type=docker -t r/app:1 ."),
    ("buildx build --output=type=registry,name=r/app:1 .", C, "buildx build --output type=docker,name=r/app:1 ."),
    ("buildx build -o type=image,name=r/app:1,push=true .", C, "buildx build --output type=docker,name=r/app:1 ."),
    ("buildx build -otype=registry .", C, "buildx build --output type=docker ."),
    ("build --output type=registry -t r/app:1 .", C, "build -t r/app:1 ."),
    ("build -o type=image,push=true -t r/app:1 .", C, "build -t r/app:1 ."),
    ("buildx build -o type=local,dest=out .", P, "buildx build -o type=local,dest=out ."),
    ("buildx build -o out .", P, "buildx build -o out ."),
    ("buildx build --output type=docker -t app .", P, "buildx build --output type=docker -t app ."),
    ("buildx build --cache-to type=registry,ref=r/app:cache .", C, "buildx build ."),
    ("buildx build --cache-to type=gha .", C, "buildx build ."),
    ("buildx build --cache-to type=local,dest=/tmp/c .", P, "buildx build --cache-to type=local,dest=/tmp/c ."),
    ("buildx build --cache-to type=inline .", P, "buildx build --cache-to type=inline ."),
    ("build --cache-from r/app:cache -t app .", C, "build -t app ."),
    ("build --cache-from=type=registry,ref=r/app:cache -t app .", C, "build -t app ."),
    ("build --cache-from type=local,src=/tmp/c -t app .", P, "build --cache-from type=local,src=/tmp/c -t app ."),
    ("build --pull -t app .", C, "build -t app ."),
    ("build --pull=true -t app .", C, "build -t app ."),
    ("build --pull=false -t app .", P, "build --pull=false -t app ."),
    ("build -t app --build-arg --pull .", P, "build -t app --build-arg --pull ."),
    ("build --label --push -t app .", P, "build --label --push -t app ."),
    ("build -t app .", P, "build -t app ."),
    ("buildx bake --push", C, "buildx bake --load"),
    ("buildx bake --pull app", C, "buildx bake app"),
    ("buildx bake --set *.output=type=registry", C, "buildx bake --set *.output=type=docker"),
    ("buildx bake --set=app.output=type=image,name=r/app,push=true app", C, "buildx bake --set app.output=type=docker,name=r/app app"),
    ("buildx bake --set *.cache-to=type=registry,ref=r/c", C, "buildx bake"),
    ("buildx bake --set *.output=type=local,dest=out", P, "buildx bake --set *.output=type=local,dest=out"),
    ("buildx bake app", P, "buildx bake app"),
    ("compose build --pull web", C, "compose build web"),
    ("compose build --push web", C, "compose build web"),
    ("compose --project-name p build --build-arg --pull web", P, "compose --project-name p build --build-arg --pull web"),
    ("compose up --pull always -d", C, "compose up -d"),
    ("compose up --pull=always -d", C, "compose up -d"),
    ("compose up --pull missing -d", P, "compose up --pull missing -d"),
    ("compose up -d", P, "compose up -d"),
    ("run --pull always --rm app", C, "run --rm app"),
    ("run --pull=always --rm app", C, "run --rm app"),
    ("container create --pull always --name x app", C, "container create --name x app"),
    ("run --pull missing --rm app", P, "run --pull missing --rm app"),
    ("run --rm app git --pull always", P, "run --rm app git --pull always"),
    ("run -e --pull --rm app", P, "run -e --pull --rm app"),
    ("run --rm -v /a:/b app", P, "run --rm -v /a:/b app"),
    # another engine, or the user's docker configuration: refused
    ("-H tcp://build-host:2375 build .", R, None),
    ("--host=unix:///other.sock build .", R, None),
    ("--context remote build .", R, None),
    ("-c remote push app", R, None),
    ("--config /tmp/other ps", R, None),
    ("context use remote", R, None),
    ("context create remote --docker host=tcp://x:2375", R, None),
    ("buildx create --use", R, None),
    ("buildx use ci", R, None),
    ("buildx install", R, None),
    # everything else: passed as it is
    ("create --name x app", P, "create --name x app"),
    ("cp x:/out/app app", P, "cp x:/out/app app"),
    ("rm x", P, "rm x"),
    ("rmi app:build", P, "rmi app:build"),
    ("tag app:1 r/app:1", P, "tag app:1 r/app:1"),
    ("image inspect app", P, "image inspect app"),
    ("save app -o app.tar", P, "save app -o app.tar"),
    ("context ls", P, "context ls"),
    ("context inspect", P, "context inspect"),
    ("buildx ls", P, "buildx ls"),
    ("plugin ls", P, "plugin ls"),
    ("service ls", P, "service ls"),
    ("version", P, "version"),
    ("--version", P, "--version"),
    ("", P, ""),
]


@pytest.mark.parametrize(("words", "action", "run"), DECISIONS, ids=[row[0] or "(nothing)" for row in DECISIONS])
def test_the_interceptor_decides_from_the_words(words, action, run):
    decision = decide(words.split())
    assert decision.action == action, decision.reason
    assert decision.run == (None if run is None else tuple(run.split()))
    if action != PASSED:
        assert decision.reason, "every decision but a plain pass says why"


def test_what_publishes_is_named_in_the_reason():
    assert decide("buildx build --push -t r/app:1 .".split()).reason == "--push publishes the image"
    assert decide("build --pull .".split()).reason == interceptor.PULL_REASON
    assert "another engine" in decide("-H tcp://x:2375 build .".split()).reason


@pytest.mark.parametrize(
    ("printed", "publishes"),
    [
        ({"target": {"app": {"output": ["type=registry"]}}}, "target app publishes"),
        ({"target": {"app": {"output": [{"type": "image", "push": "true"}]}}}, "target app publishes"),
        ({"target": {"app": {"cache-to": ["type=registry,ref=r/c"]}}}, "cache-to"),
        ({"target": {"app": {"cache-from": ["r/app:cache"]}}}, "cache-from"),
        ({"target": {"app": {"pull": True}}}, "pulls"),
        ({"target": {"app": {"output": ["type=docker"], "cache-to": ["type=local,dest=c"]}}}, None),
        ({"target": {"app": {"tags": ["r/app:1"]}}}, None),
        ({"group": {}}, "did not show"),
        ("not json", "did not show"),
    ],
)
def test_a_bake_file_that_publishes_is_found_in_its_print(printed, publishes):
    text = printed if isinstance(printed, str) else json.dumps(printed)
    found = bake_file_publishes(text)
    if publishes is None:
        assert found is None
    else:
        assert found is not None and publishes in found


SETTINGS = Settings(log="/dev/null", client="/usr/bin/docker", gate="unix:///tmp/gate.sock", docker_host="unix:///e.sock", docker_context=None, docker_config=None, own_directory="/x")


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"DOCKER_HOST": "unix:///tmp/gate.sock"}, None),
        ({"DOCKER_HOST": "unix:///e.sock"}, None),
        ({}, None),
        ({"DOCKER_HOST": "tcp://other:2375"}, "DOCKER_HOST=tcp://other:2375"),
        ({"DOCKER_HOST": "unix:///tmp/gate.sock", "DOCKER_CONTEXT": "remote"}, "DOCKER_CONTEXT=remote"),
        ({"DOCKER_HOST": "unix:///tmp/gate.sock", "DOCKER_CONFIG": "/tmp/c"}, None),
        ({"DOCKER_HOST": "unix:///tmp/gate.sock", "DOCKER_CONTEXT": ""}, None),
    ],
)
def test_a_driver_that_points_docker_elsewhere_is_refused(environ, problem):
    found = environment_problem(environ, SETTINGS)
    assert (found is None) == (problem is None) and (problem is None or problem in found), found


def test_another_docker_config_matters_only_when_it_chooses_the_engine():
    from_config = Settings(**{**SETTINGS.__dict__, "docker_host": None})
    assert "DOCKER_CONFIG=/tmp/c" in environment_problem({"DOCKER_CONFIG": "/tmp/c"}, from_config)
    assert environment_problem({}, from_config) is None


# --- the program, with a stand-in for the real client ----------------------------------------------

STAND_IN = """#!/bin/sh
printf '%s\\n' "$*" >> "$STAND_IN_LOG"
printf 'host=%s path=%s\\n' "${DOCKER_HOST-unset}" "$PATH" >> "$STAND_IN_LOG"
"""


@pytest.fixture
def sandbox(tmp_path):
    client = tmp_path / "client" / "docker"
    client.parent.mkdir()
    client.write_text(STAND_IN)
    client.chmod(0o755)
    user_env = {"PATH": f"{client.parent}:/usr/bin:/bin", "DOCKER_HOST": "unix:///users-engine.sock"}
    made = FlowSandbox.make(tmp_path / "sandbox", user_env, "/usr/bin/docker", "unix:///gate.sock")
    env = {**made.environment(user_env, tmp_path), "STAND_IN_LOG": str(tmp_path / "ran.log")}
    return made, env, tmp_path / "ran.log"


def _docker(env, *words: str) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", 'docker "$@"', "sh", *words], env=env, capture_output=True, text=True, check=False)


def test_the_program_runs_the_real_client_with_the_users_engine_and_without_itself(sandbox):
    made, env, ran = sandbox
    assert env["PATH"].split(os.pathsep)[0] == str(made.bin_dir) and env["DOCKER_HOST"] == "unix:///gate.sock"
    done = _docker(env, "build", "-t", "app", ".")
    assert done.returncode == 0, done.stderr
    command, state = ran.read_text().splitlines()
    assert command == "build -t app ."
    assert state.startswith("host=unix:///users-engine.sock ")
    assert str(made.bin_dir) not in state, "the real client must not find the interceptor again"
    assert made.intercepted() == (), "a plain pass is not logged"


def test_the_program_does_not_run_what_publishes_and_logs_it(sandbox):
    made, env, ran = sandbox
    pushed = _docker(env, "push", "r/app:1")
    changed = _docker(env, "build", "--pull", "-t", "app", ".")
    refused = _docker(env, "-H", "tcp://x:2375", "ps")
    moved = _docker({**env, "DOCKER_HOST": "tcp://elsewhere:2375"}, "ps")
    assert (pushed.returncode, changed.returncode, refused.returncode, moved.returncode) == (0, 0, 125, 125)
    assert "intercepted, not run: docker push r/app:1" in pushed.stderr
    assert ran.read_text().splitlines()[0] == "build -t app .", "only the changed build ran"
    assert len(ran.read_text().splitlines()) == 2
    logged = made.intercepted()
    assert [(c.argv, c.action, c.ran) for c in logged] == [
        (("docker", "push", "r/app:1"), INTERCEPTED, None),
        (("docker", "build", "--pull", "-t", "app", "."), CHANGED, ("docker", "build", "-t", "app", ".")),
        (("docker", "-H", "tcp://x:2375", "ps"), REFUSED, None),
        (("docker", "ps"), REFUSED, None),
    ]


def test_the_program_ignores_the_drivers_python_path(sandbox, tmp_path):
    made, env, ran = sandbox
    fake = tmp_path / "fake" / "migrate"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise SystemExit('the driver picked this interceptor')\n")
    (tmp_path / "fake" / "json.py").write_text("raise SystemExit('the driver picked this json')\n")
    done = _docker({**env, "PYTHONPATH": str(tmp_path / "fake")}, "push", "r/app:1")
    assert done.returncode == 0 and "intercepted" in done.stderr, done.stderr


def test_a_bake_whose_file_cannot_be_shown_is_not_run(sandbox, tmp_path):
    made, env, ran = sandbox
    failing = tmp_path / "client" / "docker"
    failing.write_text(STAND_IN + 'case "$*" in *--print*) exit 1 ;; esac\n')
    done = _docker(env, "buildx", "bake", "--push", "app")
    assert done.returncode == 0
    assert ran.read_text().splitlines()[0] == "buildx bake app --print", "only the --print ran"
    assert len(ran.read_text().splitlines()) == 2
    assert made.intercepted()[0].action == INTERCEPTED


def test_a_bake_whose_file_does_not_publish_runs_as_changed(sandbox, tmp_path):
    made, env, ran = sandbox
    printing = tmp_path / "client" / "docker"
    printing.write_text(STAND_IN + 'case "$*" in *--print*) echo \'{"target": {"app": {"output": ["type=docker"]}}}\' ;; esac\n')
    done = _docker(env, "buildx", "bake", "--push", "app")
    assert done.returncode == 0, done.stderr
    assert [line for line in ran.read_text().splitlines() if not line.startswith("host=")] == ["buildx bake app --print", "buildx bake --load app"]
    assert made.intercepted()[0].action == CHANGED


# --- the engine gate ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "target", "refused", "forwarded"),
    [
        ("POST", "/v1.41/images/r%2Fapp/push?tag=1", "publishes", None),
        ("POST", "/auth", "logs in", None),
        ("POST", "/v1.41/images/create?fromImage=busybox&tag=latest", "pulls", None),
        ("POST", "/v1.41/images/create?fromSrc=-&repo=app", None, None),
        ("GET", "/v1.41/images/search?term=busybox", "queries", None),
        ("GET", "/v1.41/distribution/busybox/json", "asks a registry", None),
        ("POST", "/v1.41/plugins/pull?remote=x", "plugin", None),
        ("POST", "/v1.41/plugins/x/push", "plugin", None),
        ("POST", "/grpc", "BuildKit", None),
        ("POST", "/v1.41/build?t=app&outputs=%5B%7B%22Type%22%3A%22registry%22%7D%5D", "publishes", None),
        ("POST", "/v1.41/build?t=app&pull=1", None, "/v1.41/build?t=app"),
        ("POST", "/v1.41/build?t=app&pull=0", None, None),
        ("POST", "/v1.41/containers/create?name=x", None, None),
        ("GET", "/_ping", None, None),
        ("POST", "/session", None, None),
    ],
)
def test_the_gate_refuses_what_publishes_and_forwards_the_rest(method, target, refused, forwarded):
    reason, sent = gate_decision(method, target)
    assert (reason is None) == (refused is None) and (refused is None or refused in reason), reason
    assert sent == (forwarded or target)


def _serve_once(path: Path, answer: bytes, seen: list[bytes]) -> threading.Thread:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def serve() -> None:
        connection, _ = listener.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(4096)
        seen.append(data)
        connection.sendall(answer)
        connection.close()
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def _request(path: Path, text: str) -> bytes:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(str(path))
    client.sendall(text.encode())
    received = b""
    while chunk := client.recv(4096):
        received += chunk
    client.close()
    return received


def test_the_gate_forwards_one_request_per_connection_and_refuses_a_push(tmp_path):
    engine_path, gate_path = tmp_path / "engine.sock", tmp_path / "gate.sock"
    seen: list[bytes] = []
    served = _serve_once(engine_path, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", seen)
    with EngineGate(gate_path, str(engine_path)) as gate:
        answer = _request(gate_path, "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: keep-alive\r\n\r\n")
        refused = _request(gate_path, "POST /v1.41/images/app/push HTTP/1.1\r\nHost: docker\r\n\r\n")
        requests = gate.take_requests()
    served.join(timeout=5)
    assert answer.endswith(b"OK")
    assert b"Connection: close" in seen[0] and b"keep-alive" not in seen[0]
    assert refused.startswith(b"HTTP/1.1 403")
    assert "call docker by name" in json.loads(refused.partition(b"\r\n\r\n")[2])["message"]
    assert [(r.method, r.path, r.refused) for r in requests] == [("GET", "/_ping", None), ("POST", "/v1.41/images/app/push", "it publishes an image")]
    assert not gate_path.exists()


def test_a_gate_without_a_local_engine_refuses_everything(tmp_path):
    gate_path = tmp_path / "gate.sock"
    with EngineGate(gate_path, None, "the engine is tcp://x:2376") as gate:
        answer = _request(gate_path, "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 403") and b"tcp://x:2376" in answer
    assert gate.take_requests()[0].refused == "the engine is tcp://x:2376"


# --- the build steps behind the cache report ---------------------------------------------------------

BUILDKIT = """\
#1 [internal] load build definition from Dockerfile
#1 DONE 0.0s
#4 [1/3] FROM docker.io/library/busybox:latest
#4 DONE 0.0s
#5 [2/3] RUN echo hi > /x
#5 CACHED
#6 [3/3] COPY app /app
#6 DONE 0.1s
#7 exporting to image
#1 [internal] load build definition from Dockerfile
#3 [builder 1/2] FROM docker.io/library/golang:1.21
#5 [builder 2/2] RUN go build
#5 DONE 1.0s
#5 [builder 2/2] RUN go build
#6 [stage-1 2/2] COPY --from=builder /out/app /app
#6 CACHED
"""

CLASSIC = """\
Step 1/3 : FROM busybox
 ---> 2c42a7dc090e
Step 2/3 : RUN echo hi
 ---> Using cache
 ---> 1234
Step 3/3 : COPY app /app
 ---> 5678
"""


@pytest.mark.parametrize(
    ("output", "steps"),
    [
        (BUILDKIT, BuildSteps(4, 2)),
        (CLASSIC, BuildSteps(2, 1)),
        (BUILDKIT.replace("#5 CACHED\n", "#5 DONE 0.2s\n").replace("#6 CACHED\n", "#6 DONE 0.1s\n"), BuildSteps(4, 0)),
        ("sha256:1234\n", None),
        ("", None),
    ],
)
def test_build_steps_and_cache_hits_are_counted_from_the_output(output, steps):
    assert count_build_steps(output) == steps


def test_the_interceptor_program_names_its_python_words_safely(tmp_path):
    made = FlowSandbox.make(tmp_path / "with space", {"PATH": "/usr/bin"}, "/usr/bin/docker", "unix:///gate.sock")
    text = (made.bin_dir / "docker").read_text()
    assert text.startswith("#!/bin/sh\nexec ") and '"$@"' in text
    words = shlex.split(text.splitlines()[1])[1:-1]
    assert words[1:3] == ["-I", "-S"] and Path(words[-1]).parent.name == "with space"


@pytest.mark.parametrize(
    ("words", "shown"),
    [
        ("login -u ci -p secret r.example", "login -u ci -p *** r.example"),
        ("login --password=secret r.example", "login --password=*** r.example"),
        ("login -psecret r.example", "login -p*** r.example"),
        ("login --password secret", "login --password ***"),
        ("build -p 1 .", "build -p 1 ."),
    ],
)
def test_a_login_password_never_reaches_the_log(words, shown):
    assert interceptor.without_secrets(words.split()) == shown.split()


def test_the_logged_login_hides_its_password(sandbox):
    made, env, ran = sandbox
    assert _docker(env, "login", "-u", "ci", "-p", "secret", "r.example").returncode == 0
    assert "secret" not in Path(made.settings.log).read_text()
    assert made.intercepted()[0].argv == ("docker", "login", "-u", "ci", "-p", "***", "r.example")


def test_a_gate_in_a_deep_directory_binds_where_its_path_fits(tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    with EngineGate(deep / "engine.sock", None, "no engine") as gate:
        assert len(str(gate.socket_path)) < 100 and gate.socket_path.exists()
        assert _request(gate.socket_path, "GET /_ping HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 403")
        short = gate.socket_path.parent
    assert not short.exists()
