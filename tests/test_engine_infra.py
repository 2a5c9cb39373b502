"""The test machinery itself: the docker wrapper, the stub images and toolchains, the projects."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from engine import flows, images
from migrate.verify.compare import compare, render
from migrate.verify.engine import Engine, EngineUnavailable, choose_client
from migrate.verify.snapshot import snapshot_image

WRAPPER = flows.WRAPPER_DIR / "docker"
needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="the docker wrapper is a bash script")


def wrapped(*args: str, **env: str) -> list[str]:
    """The arguments the wrapper would hand to the real client."""
    done = subprocess.run(
        [str(WRAPPER), *args],
        env={**os.environ, "DMIGRATE_TEST_DOCKER_DRY_RUN": "1", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


@needs_bash
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("build -t x .", "build --network=none -t x ."),
        ("build . -f Dockerfile.build -t x", "build --network=none . -f Dockerfile.build -t x"),
        ("image build -t x .", "image build --network=none -t x ."),
        ("buildx build -t x .", "buildx build --network=none -t x ."),
        ("-H unix:///run/d.sock build .", "-H unix:///run/d.sock build --network=none ."),
        ("--log-level debug run --rm img", "--log-level debug run --network=none --rm img"),
        ("run --rm -it img sh", "run --network=none --rm -it img sh"),
        ("container run -d img", "container run --network=none -d img"),
        ("create --name c img", "create --network=none --name c img"),
        ("container create --name c img", "container create --network=none --name c img"),
        ("run -e A=1 -v /a:/b -w /b img", "run --network=none -e A=1 -v /a:/b -w /b img"),
    ],
)
def test_wrapper_adds_network_none(given, expected):
    assert wrapped(*given.split()) == expected.split()


@needs_bash
@pytest.mark.parametrize(
    "given",
    [
        "build --network=host -t x .",
        "build --network host .",
        "run --net=none img",
        "create --network none img",
        "cp c:/out/app ./app",
        "rm -f c",
        "ps -a",
        "image inspect img",
        "version",
    ],
)
def test_wrapper_leaves_other_commands_and_given_networks_alone(given):
    assert wrapped(*given.split()) == given.split()


@needs_bash
def test_wrapper_does_not_read_the_container_command_as_options():
    argv = "run -e MODE=x img sh -c --network".split()
    assert wrapped(*argv) == ["run", "--network=none", *argv[1:]]


@needs_bash
def test_wrapper_disables_the_build_cache_on_request():
    assert wrapped("build", "-t", "x", ".", DMIGRATE_TEST_NO_CACHE="1") == [
        "build", "--network=none", "--no-cache", "-t", "x", ".",
    ]  # fmt: skip
    assert wrapped("build", "--no-cache", ".", DMIGRATE_TEST_NO_CACHE="1") == ["build", "--network=none", "--no-cache", "."]
    assert wrapped("run", "img", DMIGRATE_TEST_NO_CACHE="1") == ["run", "--network=none", "img"]


def test_client_choice_follows_dmigrate_docker(tmp_path):
    client = tmp_path / "my-docker"
    client.write_text("#!/bin/sh\n")
    client.chmod(0o755)
    assert choose_client({"DMIGRATE_DOCKER": str(client)}) == str(client)
    with pytest.raises(EngineUnavailable, match="DMIGRATE_DOCKER=.*nothing-here"):
        choose_client({"DMIGRATE_DOCKER": str(tmp_path / "nothing-here")})


def test_no_engine_is_reported_with_the_engine_tried(tmp_path):
    client = choose_client({}) if os.access("/usr/bin/docker", os.X_OK) else shutil.which("docker")
    if client is None:
        pytest.skip("no docker client installed")
    socket = tmp_path / "absent.sock"
    engine = Engine(client=client, environ={**os.environ, "DOCKER_HOST": f"unix://{socket}"})
    with pytest.raises(EngineUnavailable) as raised:
        engine.ping(timeout=20)
    message = str(raised.value)
    assert f"unix://{socket}" in message and client in message
    assert "Traceback" not in message


def test_stub_image_recipes_are_byte_deterministic():
    if not images.BUSYBOX.is_file():
        pytest.skip("busybox-static is not installed")
    for image in images.STUB_IMAGES:
        assert images.recipe(image).digest == images.recipe(image).digest, image.ref


def test_stub_image_names_are_unique_and_cover_the_projects():
    refs = [image.ref for image in images.STUB_IMAGES]
    assert len(refs) == len(set(refs))
    for wanted in ("golang:1.7.3", "golang:1.21", "golang:1.22", "alpine:latest", "node:20", "nginx:1.25"):
        assert wanted in refs


def test_busybox_must_be_static():
    if not images.BUSYBOX.is_file():
        pytest.skip("busybox-static is not installed")
    assert images._is_static_elf(images.BUSYBOX.read_bytes())
    assert not images._is_static_elf(Path(shutil.which("python3") or "/bin/ls").resolve().read_bytes())


def test_projects_name_distinct_images_and_have_every_file():
    projects = [flows.load_project(path) for path in flows.project_dirs(flows.PROJECTS_DIR)]
    assert len(projects) >= 13
    finals = [project.final_image for project in projects]
    assert len(set(finals)) == len(finals)
    for project in projects:
        assert project.final_image.startswith(f"dmt-{project.name}:"), project.name
        assert project.form and project.expect, project.name
        driver_file = "Makefile" if project.driver[0] == "make" else project.driver[-1]
        for name in (driver_file, "Dockerfile.build", "Dockerfile"):
            assert (project.path / name).is_file(), f"{project.name}/{name}"


def test_final_image_is_read_from_build_sh_without_project_toml():
    assert flows.final_image_ref(flows.SAMPLES_DIR / "href-counter") == "alexellis2/href-counter:latest"


def test_committed_copy_is_a_clean_git_repository(tmp_path):
    copy = flows.committed_copy(flows.PROJECTS_DIR / "symlink-in-dir", tmp_path / "copy")
    status = subprocess.run(["git", "status", "--porcelain"], cwd=copy, capture_output=True, text=True, check=True)
    assert status.stdout == ""
    log = subprocess.run(["git", "log", "--oneline"], cwd=copy, capture_output=True, text=True, check=True)
    assert len(log.stdout.splitlines()) == 1
    assert os.access(copy / "build.sh", os.X_OK)


def test_a_failing_driver_reports_its_output(tmp_path):
    (tmp_path / "build.sh").write_text("echo building\necho broken >&2\nexit 3\n")
    with pytest.raises(flows.DriverFailed, match="(?s)status 3.*building.*broken"):
        flows.run_driver(tmp_path, env=flows.docker_test_env())


# --- on a real engine ---------------------------------------------------------------------------


def _in_image(engine: Engine, image: str, script: str) -> dict[str, str]:
    """Run ``script`` in ``image``; every output line ``name value`` becomes an item."""
    output = engine.output(["run", "--rm", "--network=none", "--entrypoint", "sh", image, "-euc", script])
    found = {}
    for line in output.splitlines():
        name, _, value = line.partition(" ")
        found[name] = value
    return found


GO_VARIANTS = """
d() { sha256sum "$1" | cut -c1-64; }
mkdir -p /p/a /p/b && cd /p/a
printf 'package main\\n' > main.go
printf 'module example.com/a\\n' > go.mod
go build -o /o/app . && echo "base $(d /o/app)"
go build -o /o/app . && echo "repeat $(d /o/app)"
touch README.md && go build -o /o/app . && echo "unrelated_file $(d /o/app)"
go build -o /o/other . && echo "output_path $(d /o/other)"
printf '// more\\n' >> main.go && go build -o /o/app . && echo "source $(d /o/app)"
printf 'package main\\n' > main.go
printf 'module example.com/b\\n' > go.mod && go build -o /o/app . && echo "go_mod $(d /o/app)"
printf 'module example.com/a\\n' > go.mod
go build -ldflags "-X main.v=1" -o /o/app . && echo "ldflags $(d /o/app)"
go build -a -installsuffix cgo -o /o/app . && echo "flags $(d /o/app)"
GOOS=darwin go build -o /o/app . && echo "goos $(d /o/app)"
GOARCH=arm64 go build -o /o/app . && echo "goarch $(d /o/app)"
CGO_ENABLED=0 go build -o /o/app . && echo "cgo $(d /o/app)"
cp main.go go.mod /p/b/ && cd /p/b && go build -o /o/app . && echo "package_dir $(d /o/app)"
cd /p/a && go build -o /o/app ./ && echo "same_dir_spelled_differently $(d /o/app)"
go build && echo "default_name $(test -x /p/a/a && echo yes)"
go get -d -v golang.org/x/net/html && go mod download && echo "no_ops yes"
"""


@pytest.mark.docker
def test_go_stub_output_follows_every_input(docker_engine, stub_images):
    found = _in_image(docker_engine, "golang:1.21", GO_VARIANTS)
    base = found.pop("base")
    assert found.pop("repeat") == base
    assert found.pop("unrelated_file") == base
    assert found.pop("same_dir_spelled_differently") == base
    assert found.pop("default_name") == "yes" and found.pop("no_ops") == "yes"
    assert base not in found.values()
    assert len(set(found.values())) == len(found), found
    other_toolchain = _in_image(docker_engine, "golang:1.22", GO_VARIANTS)
    assert other_toolchain["base"] != base


NPM_VARIANTS = """
mkdir -p /w/src && cd /w
printf '{"name": "w", "scripts": {"build": "vite build"}}\\n' > package.json
printf '{"lockfileVersion": 3}\\n' > package-lock.json
printf 'console.log(1)\\n' > src/a.js
npm run build 2>/dev/null && echo "without_install built" || echo "without_install refused"
npm ci && npm run build && echo "base $(/usr/local/lib/dmigrate-stub/digest dist)"
npm run build && echo "repeat $(/usr/local/lib/dmigrate-stub/digest dist)"
printf 'console.log(2)\\n' > src/a.js && npm run build && echo "source $(/usr/local/lib/dmigrate-stub/digest dist)"
printf 'console.log(1)\\n' > src/a.js
NODE_ENV=production npm run build && echo "node_env $(/usr/local/lib/dmigrate-stub/digest dist)"
printf '{"name": "v", "scripts": {"build": "vite build"}}\\n' > package.json
npm run build && echo "package_json $(/usr/local/lib/dmigrate-stub/digest dist)"
test -f dist/a.js && echo "mirrors_src yes"
rm package-lock.json && (npm ci 2>/dev/null && echo "ci_without_lock ran" || echo "ci_without_lock refused")
"""


@pytest.mark.docker
def test_npm_stub_output_follows_every_input(docker_engine, stub_images):
    found = _in_image(docker_engine, "node:20-alpine", NPM_VARIANTS)
    assert found.pop("without_install") == "refused"
    assert found.pop("ci_without_lock") == "refused"
    assert found.pop("mirrors_src") == "yes"
    base = found.pop("base")
    assert found.pop("repeat") == base
    assert base not in found.values() and len(set(found.values())) == len(found), found


OTHER_TOOLS = """
d() { sha256sum "$1" | cut -c1-64; }
mkdir -p /m/src/main && cd /m
printf '<project/>\\n' > pom.xml && printf 'class A {}\\n' > src/main/A.java
mvn -B package && echo "jar $(d target/app.jar)"
mvn -B -DskipTests package && echo "jar_property $(d target/app.jar)"
printf 'class B {}\\n' > src/main/A.java && mvn -B package && echo "jar_source $(d target/app.jar)"
mvn clean && test ! -e target && echo "clean yes"
"""

C_TOOLS = """
d() { sha256sum "$1" | cut -c1-64; }
mkdir -p /c && cd /c
printf 'int main(void) { return 0; }\\n' > hello.c
gcc -o hello hello.c && echo "gcc $(d hello)"
gcc -O2 -o hello hello.c && echo "gcc_flags $(d hello)"
printf 'CFLAGS = -O2\\nall: hello\\nhello: hello.c\\n\\t$(CC) $(CFLAGS) -o $@ $<\\n.PHONY: all\\n' > Makefile
rm hello && make >/dev/null && echo "make $(d hello)"
make CFLAGS=-O0 >/dev/null && echo "make_again $(d hello)"
rm hello && make CFLAGS=-O0 >/dev/null && echo "make_override $(d hello)"
"""

PACKAGES = """
apk add --no-cache ca-certificates bash && test -s /etc/ssl/certs/ca-certificates.crt && echo "apk yes"
test -x /bin/bash && echo "bash yes"
apk --no-cache add --virtual .deps make && test -x /usr/bin/make && apk del .deps && echo "virtual yes"
adduser -D -u 1234 builder && echo "adduser $(id -u builder)"
install -d -m 0750 /opt/x && echo "install $(stat -c %a /opt/x)"
"""


@pytest.mark.docker
def test_other_stub_tools(docker_engine, stub_images):
    maven = _in_image(docker_engine, "maven:3.9", OTHER_TOOLS)
    assert maven.pop("clean") == "yes"
    assert len(set(maven.values())) == 3, maven

    c = _in_image(docker_engine, "gcc:13", C_TOOLS)
    assert c["gcc_flags"] != c["gcc"]
    assert c["make"] == c["gcc_flags"]
    assert c["make_again"] == c["make"], "an up-to-date target must not be rebuilt"
    assert c["make_override"] != c["make"]

    found = _in_image(docker_engine, "alpine:3.19", PACKAGES)
    assert found == {"apk": "yes", "bash": "yes", "virtual": "yes", "adduser": "1234", "install": "750"}
    debian = _in_image(docker_engine, "debian:bookworm-slim", "apt-get update && apt-get install -y --no-install-recommends ca-certificates && echo ok $(wc -c < /etc/ssl/certs/ca-certificates.crt)")
    assert int(debian["ok"]) > 0


@pytest.mark.docker
def test_stub_images_have_the_real_ones_config(docker_engine, stub_images):
    golang = docker_engine.inspect_image("golang:1.21")["Config"]
    assert golang["WorkingDir"] == "/go" and "GOPATH=/go" in golang["Env"]
    node = docker_engine.inspect_image("node:20")["Config"]
    assert node["WorkingDir"] == "" and node["Cmd"] == ["node"]
    nginx = snapshot_image("nginx:1.25", docker_engine)
    assert nginx.get("/usr/share/nginx/html/index.html") is not None
    assert nginx.get("/etc/nginx/nginx.conf") is not None
    assert nginx.config.exposed_ports == ("80/tcp",)
    assert nginx.get("/tmp").mode == 0o1777
    assert images.ensure_stub_images(docker_engine.client) == (), "a second ensure must build nothing"


@pytest.mark.docker
def test_wrapper_lets_builds_run_and_creates_without_network(docker_engine, docker_env, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox:latest\nRUN echo built > /built\n")
    flows.run_driver(tmp_path, ["docker", "build", "-t", "dmt-wrapper-check:latest", "."], docker_env)
    flows.run_driver(tmp_path, ["docker", "create", "--name", "dmt-wrapper-check", "dmt-wrapper-check:latest"], docker_env)
    try:
        mode = docker_engine.output(["inspect", "--format", "{{.HostConfig.NetworkMode}}", "dmt-wrapper-check"])
    finally:
        docker_engine.run(["rm", "-f", "dmt-wrapper-check"], check=False)
    assert mode == "none"


@pytest.mark.docker
@pytest.mark.parametrize("project", flows.project_dirs(), ids=lambda path: path.name)
def test_legacy_flow_runs_and_is_deterministic(docker_engine, docker_env, tmp_path, project):
    described = flows.load_project(project)
    flows.remove_test_containers(docker_engine)
    first = flows.build_and_snapshot(flows.committed_copy(project, tmp_path / "first"), docker_env, docker_engine)
    problems = flows.expectation_problems(described, first, docker_engine)
    assert not problems, "\n".join(problems)
    for build_image in described.build_images:
        assert docker_engine.image_exists(build_image), build_image
    second = flows.build_and_snapshot(flows.committed_copy(project, tmp_path / "second"), docker_env, docker_engine)
    differences = compare(first, second)
    assert differences == (), render(differences)
