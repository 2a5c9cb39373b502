"""Python drivers: what the reader finds in subprocess, os.system and docker SDK calls, and the rewritten file.

The real builds are in test_python_driver_equivalence.py and test_equivalence.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from migrate.read.ops import Build, Container, Copy, HostCommand, Opaque, Remove
from migrate.read.project import read_driver
from support import d, make_project, migrate, texts_after




BUILD = d(
    """
    FROM golang:1.21
    ARG VERSION=dev
    WORKDIR /src
    COPY . .
    RUN go build -ldflags "-X main.version=${VERSION}" -o /out/app .
    """
)
RUNTIME = d(
    """
    FROM alpine:3.19
    COPY app /usr/local/bin/app
    CMD ["app"]
    """
)


def project(tmp_path, driver: str, **extra: str):
    return make_project(tmp_path / "project", {"build.py": driver, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **extra})


def operations(root):
    return [op for op in read_driver(root / "build.py").operations if not isinstance(op, HostCommand)]


def after(tmp_path, driver: str, **options) -> str:
    root = project(tmp_path, driver)
    outcome = migrate(root / "build.py", **options)
    assert outcome.status == "pending", f"{outcome.status}: {outcome.location} {outcome.message}"
    text = texts_after(outcome, root)["build.py"]
    compile(text, "build.py", "exec")
    return text


HELPER = d(
    '''
    import os
    import subprocess

    IMAGE = os.environ.get("IMAGE", "acme/app")
    VERSION = "1.2.3"
    BUILDER = f"{IMAGE}:build"


    def sh(*args):
        """Run a command, echoing it."""
        print("+", " ".join(args))
        subprocess.run(args, check=True)


    def main():
        sh("docker", "build", "--build-arg", f"VERSION={VERSION}", "-f", "Dockerfile.build", "-t", BUILDER, ".")
        sh("docker", "create", "--name", "extract", BUILDER)
        try:
            sh("docker", "cp", "extract:/out/app", "./app")
        finally:
            sh("docker", "rm", "-f", "extract")
        # The runtime image.
        sh("docker", "build", "-t", IMAGE + ":latest", ".")


    if __name__ == "__main__":
        main()
    '''
)


# -- reading ---------------------------------------------------------------------------------------


def test_a_helper_its_calls_and_the_values_of_constants(tmp_path):
    root = project(tmp_path, HELPER)
    found = operations(root)
    assert [type(op).__name__ for op in found] == ["Build", "Container", "Copy", "Remove", "Build"]
    builder, final = found[0], found[-1]
    assert [tag.key for tag in builder.tags] == ["acme/app:build"] and [tag.key for tag in final.tags] == ["acme/app:latest"]
    assert builder.build_args[0].value.key == "1.2.3"
    assert builder.build_args[0].text == '"--build-arg", f"VERSION={VERSION}"'
    # The step is the helper's call in main(), not the subprocess.run inside sh().
    assert [op.site.line for op in found] == [16, 17, 19, 21, 23]
    assert not found[0].site.anchor.direct


def test_list_string_and_shell_forms_and_a_captured_id(tmp_path):
    driver = d(
        """
        import os, subprocess
        HERE = os.path.dirname(os.path.abspath(__file__))
        os.chdir(HERE)
        subprocess.check_call(["docker", "build", "-t", "b", "-f", "Dockerfile.build", "."])
        cid = subprocess.check_output(["docker", "create", "b"], text=True).strip()
        subprocess.run(f"docker cp {cid}:/out/app app && docker rm {cid}", shell=True, check=True)
        os.system("docker build -t app .")
        """
    )
    root = project(tmp_path, driver)
    found = operations(root)
    assert [type(op).__name__ for op in found] == ["Build", "Container", "Copy", "Remove", "Build"]
    container, copy = found[1], found[2]
    assert container.captured_as == "cid"
    assert copy.container.key == remove_key(found[3]) == "\x00container-id cid 1\x00"
    assert copy.cwd.key == str(root.resolve())
    assert found[2].site.anchor.form == "shell" and found[2].site.anchor.statement == found[3].site.anchor.statement


def remove_key(remove: Remove) -> str:
    return remove.containers[0].key


def test_the_docker_sdk(tmp_path):
    driver = d(
        """
        import io, tarfile
        import docker

        client = docker.from_env()
        client.images.build(path=".", dockerfile="Dockerfile.build", tag="b", buildargs={"VERSION": "2"})
        box = client.containers.create("b")
        try:
            bits, _ = box.get_archive("/out/app")
            tarfile.open(fileobj=io.BytesIO(b"".join(bits))).extractall(".")
        finally:
            box.remove()
        client.images.build(path=".", tag="app")
        """
    )
    root = project(tmp_path, driver)
    build, container, copy, remove, final = operations(root)
    assert isinstance(build, Build) and build.build_args[0].text == '"VERSION": "2"'
    assert isinstance(container, Container) and container.captured_as == "box"
    assert isinstance(copy, Copy) and copy.source.key == "/out/app" and copy.destination.key == "-"
    assert [w.key for w in copy.stream_into] == ["tar", "-x", "-C", "."]
    assert isinstance(remove, Remove) and remove.containers[0].key == copy.container.key
    assert copy.site.anchor.extra, "the get_archive statement belongs to the step"


def test_unknown_values_and_guards(tmp_path):
    driver = d(
        """
        import subprocess, sys
        TAG = sys.argv[1]
        if len(sys.argv) > 2:
            subprocess.run(["docker", "cp", "x:/out/app", "app"])
        for name in ["a", "b"]:
            subprocess.run(["docker", "rm", "-f", name])
        subprocess.run(["docker", "build", "-t", TAG, "."])
        """
    )
    root = project(tmp_path, driver)
    copy, first, second, build = operations(root)
    assert "`if`" in copy.site.guard
    assert [first.containers[0].key, second.containers[0].key] == ["a", "b"]
    assert not build.tags[0].known


def test_functions_called_in_ways_the_reader_cannot_follow_are_refused(tmp_path):
    driver = d(
        """
        import subprocess, sys
        def extract():
            subprocess.run(["docker", "cp", "x:/out/app", "app"])
        COMMANDS = {"extract": extract}
        COMMANDS[sys.argv[1]]()
        """
    )
    root = project(tmp_path, driver)
    opaque = operations(root)[0]
    assert isinstance(opaque, Opaque) and "extract runs docker" in opaque.reason


# -- before and after -----------------------------------------------------------------------------------


def test_helper_calls_and_the_try_finally_go(tmp_path):
    text = after(tmp_path, HELPER)
    assert text == HELPER.replace(
        d(
            """
                sh("docker", "build", "--build-arg", f"VERSION={VERSION}", "-f", "Dockerfile.build", "-t", BUILDER, ".")
                sh("docker", "create", "--name", "extract", BUILDER)
                try:
                    sh("docker", "cp", "extract:/out/app", "./app")
                finally:
                    sh("docker", "rm", "-f", "extract")
                # The runtime image.
                sh("docker", "build", "-t", IMAGE + ":latest", ".")
            """
        ).replace("\n", "\n    ").rstrip(" ").join(["    ", ""]),
        '    # The runtime image.\n    sh("docker", "build", "--build-arg", f"VERSION={VERSION}", "-t", IMAGE + ":latest", ".")\n',
    )


def test_a_try_whose_body_stays_keeps_its_body(tmp_path):
    driver = d(
        """
        import subprocess
        subprocess.run(["docker", "build", "-t", "b", "-f", "Dockerfile.build", "."], check=True)
        subprocess.run(["docker", "create", "--name", "x", "b"], check=True)
        try:
            subprocess.run(["docker", "cp", "x:/out/app", "app"], check=True)
            subprocess.run(["docker", "build", "-t", "app", "."], check=True)
        finally:
            subprocess.run(["docker", "rm", "x"])
            print("cleaned up")
        """
    )
    assert after(tmp_path, driver) == d(
        """
        import subprocess
        try:
            subprocess.run(["docker", "build", "-t", "app", "."], check=True)
        finally:
            print("cleaned up")
        """
    )


def test_a_function_left_empty_goes_with_its_calls(tmp_path):
    driver = d(
        """
        import subprocess

        def run(*words):
            subprocess.run(list(words), check=True)

        def extract():
            run("docker", "create", "--name", "x", "b")
            run("docker", "cp", "x:/out/app", "app")
            run("docker", "rm", "x")

        run("docker", "build", "-t", "b", "-f", "Dockerfile.build", ".")
        extract()
        run("docker", "build", "-t", "app", ".")
        """
    )
    assert after(tmp_path, driver) == d(
        """
        import subprocess

        def run(*words):
            subprocess.run(list(words), check=True)

        run("docker", "build", "-t", "app", ".")
        """
    )


def test_build_args_in_a_list_a_shell_string_and_the_sdk(tmp_path):
    listed = d(
        """
        import subprocess
        VERSION = "2.0"
        subprocess.run(["docker", "build", "--build-arg", "VERSION=" + VERSION, "-t", "b", "-f", "Dockerfile.build", "."])
        subprocess.run(["docker", "create", "--name", "x", "b"])
        subprocess.run(["docker", "cp", "x:/out/app", "app"])
        subprocess.run(["docker", "rm", "x"])
        subprocess.run("docker build -t app .", shell=True)
        """
    )
    text = after(tmp_path / "one", listed)
    assert text.endswith('subprocess.run("docker build --build-arg VERSION=2.0 -t app .", shell=True)\n')

    sdk = d(
        """
        import docker
        client = docker.from_env()
        client.images.build(path=".", dockerfile="Dockerfile.build", tag="b", buildargs={"VERSION": "2.0"})
        box = client.containers.create("b", name="x")
        try:
            stream, _ = box.get_archive("/out/app")
            import io, tarfile
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
                archive.extractall(".")
        finally:
            box.remove(force=True)
        client.images.build(path=".", tag="app", buildargs={"OTHER": "1"})
        """
    )
    text = after(tmp_path / "two", sdk)
    assert text.endswith('client.images.build(path=".", tag="app", buildargs={"OTHER": "1", "VERSION": "2.0"})\n')
    assert "get_archive" not in text and "tarfile" not in text


def test_a_name_the_removed_steps_set_must_not_be_read_later(tmp_path):
    driver = d(
        """
        import subprocess
        subprocess.run(["docker", "build", "-t", "b", "-f", "Dockerfile.build", "."])
        cid = subprocess.check_output(["docker", "create", "b"], text=True).strip()
        subprocess.run(["docker", "cp", cid + ":/out/app", "app"])
        subprocess.run(["docker", "rm", cid])
        subprocess.run(["docker", "build", "-t", "app", "."])
        print("extracted from", cid)
        """
    )
    root = project(tmp_path, driver)
    outcome = migrate(root / "build.py")
    assert outcome.status == "refused" and "cid is still used" in outcome.message and outcome.location.line == 7


def test_a_shell_string_that_runs_a_step_that_stays_is_refused(tmp_path):
    driver = d(
        """
        import os
        os.system("docker build -t b -f Dockerfile.build . && docker create --name x b")
        os.system("docker cp x:/out/app app && docker rm x && docker build -t app .")
        """
    )
    root = project(tmp_path, driver)
    outcome = migrate(root / "build.py")
    assert outcome.status == "refused" and outcome.location.line == 3


def test_a_syntax_error_is_bad_input(tmp_path):
    root = project(tmp_path, "import subprocess\nsubprocess.run(['docker', 'build'\n")
    outcome = migrate(root / "build.py")
    assert outcome.status == "error" and "syntax error" in outcome.message


def test_libcst_is_imported_only_for_a_python_driver(tmp_path):
    shell = make_project(tmp_path / "shell", {"build.sh": "#!/bin/sh\ndocker build -t app .\n", "Dockerfile": RUNTIME})
    probe = (
        "import sys\nfrom pathlib import Path\nfrom migrate.migration import Options, migrate_driver\n"
        f"migrate_driver(Path({str(shell / 'build.sh')!r}), Options())\n"
        "print('libcst' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_docker_command_handed_to_code_dmigrate_does_not_read_is_refused(tmp_path):
    driver = d(
        """
        from tools import run
        run("docker", "build", "-t", "b", "-f", "Dockerfile.build", ".")
        """
    )
    root = project(tmp_path, driver)
    outcome = migrate(root / "build.py")
    assert outcome.status == "refused" and "tools.run is handed a docker command" in outcome.message
    assert outcome.location.line == 2


def test_a_build_image_still_used_is_built_from_its_stage(tmp_path):
    driver = d(
        """
        import subprocess
        subprocess.run(
            [
                "docker",
                "build",
                "-f",
                "Dockerfile.build",
                "-t",
                "acme/app:build",
                ".",
            ],
            check=True,
        )
        subprocess.run(["docker", "create", "--name", "x", "acme/app:build"], check=True)
        subprocess.run(["docker", "cp", "x:/out/app", "app"], check=True)
        subprocess.run(["docker", "rm", "x"], check=True)
        subprocess.run(["docker", "build", "-t", "acme/app", "."], check=True)
        subprocess.run(["docker", "run", "--rm", "acme/app:build", "go", "vet"], check=True)
        """
    )
    text = after(tmp_path, driver)
    assert text.startswith(
        'import subprocess\nsubprocess.run(\n    [\n        "docker",\n        "build",\n        "--target",\n        "builder",\n'
        '        "-f",\n        "Dockerfile",\n'
    )
    assert "docker\", \"create" not in text


def test_an_sdk_build_image_still_used_gets_dockerfile_and_target(tmp_path):
    driver = d(
        """
        import docker, io, tarfile
        client = docker.from_env()
        client.images.build(path=".", dockerfile="Dockerfile.build", tag="acme/app:build")
        box = client.containers.create("acme/app:build", name="x")
        stream, _ = box.get_archive("/out/app")
        tarfile.open(fileobj=io.BytesIO(b"".join(stream))).extractall()
        box.remove()
        client.images.build(path=".", tag="acme/app")
        client.containers.run("acme/app:build", "go vet", remove=True)
        """
    )
    assert after(tmp_path, driver) == d(
        """
        import docker
        client = docker.from_env()
        client.images.build(path=".", dockerfile="Dockerfile", tag="acme/app:build", target="builder")
        client.images.build(path=".", tag="acme/app")
        client.containers.run("acme/app:build", "go vet", remove=True)
        """
    )


def test_output_written_to_a_file_is_an_extraction(tmp_path):
    driver = d(
        """
        import subprocess
        subprocess.run(["docker", "build", "-t", "b", "-f", "Dockerfile.build", "."], check=True)
        with open("app", "wb") as out:
            subprocess.run(["docker", "run", "--rm", "b", "cat", "/out/app"], stdout=out, check=True)
        subprocess.run(["docker", "build", "-t", "app", "."], check=True)
        """
    )
    root = project(tmp_path, driver)
    outcome = migrate(root / "build.py")
    texts = texts_after(outcome, root)
    assert texts["build.py"] == 'import subprocess\nsubprocess.run(["docker", "build", "-t", "app", "."], check=True)\n'
    assert "COPY --from=b-build --chmod=644 /out/app /usr/local/bin/app" in texts["Dockerfile"]


def test_what_runs_only_sometimes_leaves_its_names_unknown_and_ends_nothing(tmp_path):
    driver = d(
        """
        import os, subprocess, sys
        TAG = "app:1"
        def main():
            global TAG
            if os.environ.get("CI"):
                TAG = "app:ci"
            if len(sys.argv) > 1:
                return
            subprocess.run(["docker", "build", "-t", TAG, "."])
        main()
        """
    )
    root = project(tmp_path, driver)
    [build] = operations(root)
    assert not build.tags[0].known and build.site.guard is None


RUNTIME_WITH_VERSION = "FROM alpine:3.19\nARG VERSION\nLABEL version=$VERSION\nCOPY app /usr/local/bin/app\n"


def test_a_renamed_build_arg_is_written_in_python(tmp_path):
    listed = d(
        """
        import subprocess
        V = "1.0"
        subprocess.run(["docker", "build", "--build-arg", f"VERSION={V}", "-t", "b", "-f", "Dockerfile.build", "."])
        subprocess.run(["docker", "create", "--name", "x", "b"])
        subprocess.run(["docker", "cp", "x:/out/app", "app"])
        subprocess.run(["docker", "rm", "x"])
        subprocess.run(["docker", "build", "--build-arg", "VERSION=2.0", "-t", "app", "."])
        """
    )
    root = make_project(tmp_path / "list", {"build.py": listed, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME_WITH_VERSION})
    texts = texts_after(migrate(root / "build.py"), root)
    assert texts["build.py"].endswith(
        'subprocess.run(["docker", "build", "--build-arg", f"B_BUILD_VERSION={V}", "--build-arg", "VERSION=2.0", "-t", "app", "."])\n'
    )
    assert "ARG B_BUILD_VERSION=dev\nENV VERSION=${B_BUILD_VERSION}\n" in texts["Dockerfile"]
    sdk = d(
        """
        import docker, io, tarfile
        c = docker.from_env()
        V = "1.0"
        c.images.build(path=".", dockerfile="Dockerfile.build", tag="b", buildargs={"VERSION": V})
        box = c.containers.create("b", name="x")
        s, _ = box.get_archive("/out/app")
        tarfile.open(fileobj=io.BytesIO(b"".join(s))).extractall()
        box.remove()
        c.images.build(path=".", tag="app", buildargs={"VERSION": "2.0"})
        """
    )
    root = make_project(tmp_path / "sdk", {"build.py": sdk, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME_WITH_VERSION})
    text = texts_after(migrate(root / "build.py"), root)["build.py"]
    assert text.endswith('c.images.build(path=".", tag="app", buildargs={"VERSION": "2.0", "B_BUILD_VERSION": V})\n')


def test_a_build_arg_that_reads_a_local_name_of_another_function_is_refused(tmp_path):
    driver = d(
        """
        import subprocess

        def builder(version):
            subprocess.run(["docker", "build", "--build-arg", f"VERSION={version}", "-t", "b", "-f", "Dockerfile.build", "."])

        def runtime():
            subprocess.run(["docker", "build", "-t", "app", "."])

        builder("1.0")
        subprocess.run(["docker", "create", "--name", "x", "b"])
        subprocess.run(["docker", "cp", "x:/out/app", "app"])
        subprocess.run(["docker", "rm", "x"])
        runtime()
        """
    )
    root = project(tmp_path, driver)
    outcome = migrate(root / "build.py")
    assert outcome.status == "refused" and "reads version" in outcome.message and outcome.location.line == 7


def test_code_that_still_reads_the_deleted_dockerfile_is_refused(tmp_path):
    driver = HELPER.replace('if __name__ == "__main__":', 'def lint():\n    sh("hadolint", "Dockerfile.build")\n\n\nif __name__ == "__main__":')
    root = project(tmp_path, driver)
    outcome = migrate(root / "build.py")
    assert outcome.status == "refused" and "still reads Dockerfile.build" in outcome.message
    assert migrate(root / "build.py", keep_legacy=True).status == "pending"


@pytest.mark.parametrize(
    "call",
    ['subprocess.run(["docker", "run", "-i", "b", "sh"], input=b"cat /out/app")', 'subprocess.run(["docker", "run", "-i", "b", "sh"], stdin=open("script.sh"))'],
)
def test_input_fed_to_a_container_is_opaque(tmp_path, call):
    root = project(tmp_path, f"import subprocess\n{call}\n")
    [op] = operations(root)
    assert isinstance(op, Opaque) and "standard input" in op.reason


def test_unpacked_words_of_unknown_length_may_be_options(tmp_path):
    root = project(tmp_path, 'import subprocess, sys\nsubprocess.run(["docker", "run", *sys.argv[1:], "b", "cat", "/out/app"])\n')
    [op] = operations(root)
    assert isinstance(op, Opaque) and "*sys.argv[1:] may stand for options" in op.reason



RUN_PREFIX = 'import subprocess, sys\nargs = ["docker", "run", "--rm", "-v", "/host:/x", "b", "cp"]\n'


@pytest.mark.parametrize(
    "body, command",
    [
        ('args.extend(["/out/app", "/x/app"])\n', ("cp", "/out/app", "/x/app")),
        ('alias = args\nalias.append("/out/app")\nargs += ["/x/app"]\n', ("cp", "/out/app", "/x/app")),
        ('args.insert(7, "-a")\nargs.append("/out/app")\nargs.append("/x/app")\n', ("cp", "-a", "/out/app", "/x/app")),
        ('def add(words):\n    words.append("/out/app")\nadd(args)\nargs.append("/x/app")\n', ("cp", "/out/app", "/x/app")),
        ('args.append("/out/app")\nargs.append("/x/app")\nargs.pop()\n', None),
        ('args.append("/out/app")\nargs[-1] = "/out/other"\n', None),
        ('args.append("/out/app")\ndel args[-1]\n', None),
        ('if len(sys.argv) > 1:\n    args.append("-a")\nargs.append("/out/app")\n', None),
    ],
    ids=["extend", "alias and +=", "insert", "in a helper", "pop", "item set", "del", "only sometimes"],
)
def test_a_command_list_changed_in_place(tmp_path, body, command):
    root = project(tmp_path, RUN_PREFIX + body + "subprocess.run(args, check=True)\n")
    [op] = operations(root)
    if command is None:
        assert isinstance(op, Opaque) and op.mentions_docker
    else:
        assert isinstance(op, Container) and tuple(word.key for word in op.command) == command


def test_unknown_values_without_source_do_not_compare_equal(tmp_path):
    driver = 'import subprocess\nsubprocess.run(["docker", "build", "-t", tag(), "."])\nsubprocess.run(["docker", "create", image()])\n'
    root = project(tmp_path, driver)
    build, create = operations(root)
    assert not build.tags[0].known and build.tags[0].key != create.image.key


FLOW = (
    "import os, pathlib, subprocess, sys\n"
    'subprocess.run(["docker", "build", "-t", "b", "-f", "Dockerfile.build", "."], check=True)\n'
    'subprocess.run(["docker", "create", "--name", "x", "b"], check=True)\n'
    'subprocess.run(["docker", "cp", "x:/out/app", "app"], check=True)\n'
)


@pytest.mark.parametrize(
    "code, host",
    [
        ('with open("app", "a") as f:\n    f.write("#")\n', (">", "app")),
        ('digest = open("app", "rb").read()\n', ("<", "app")),
        ('pathlib.Path("app").write_text("x")\n', (">", "app")),
        ('assert os.path.exists("app")\n', ("test", "-e", "app")),
        ('if not os.path.isfile("app"):\n    sys.exit(1)\n', ("test", "-e", "app")),
    ],
)
def test_the_driver_reading_or_writing_a_file_itself_is_a_host_step(tmp_path, code, host):
    root = project(tmp_path, FLOW + code + 'subprocess.run(["docker", "build", "-t", "app", "."], check=True)\n')
    found = [op for op in read_driver(root / "build.py").operations if isinstance(op, HostCommand)]
    assert [tuple(word.key for word in op.argv) for op in found] == [host]
    outcome = migrate(root / "build.py")
    assert outcome.status == "refused" and "uses the extracted artifact" in outcome.message


@pytest.mark.parametrize(
    "code, kind, guarded",
    [
        ('ok = subprocess.run(["docker", "rm", "x"]).returncode == 0 or sys.exit(1)\n', Remove, False),
        ('assert subprocess.run(["docker", "rm", "x"]).returncode == 0\n', Remove, False),
        ('if not subprocess.run(["docker", "rm", "x"]).returncode:\n    pass\n', Remove, False),
        ('done = len(sys.argv) > 1 and subprocess.run(["docker", "rm", "x"])\n', Remove, True),
        ('for name in ["x", "y"]:\n    subprocess.run(["docker", "rm", name])\n    break\n', Remove, True),
        ('cleanup = [subprocess.run(["docker", "rm", n]) for n in ["x"]]\n', Opaque, False),
    ],
)
def test_calls_inside_expressions_are_read(tmp_path, code, kind, guarded):
    root = project(tmp_path, FLOW + code)
    last = operations(root)[-1]
    assert isinstance(last, kind) and (last.site.guard is not None) is guarded


@pytest.mark.parametrize(
    "call",
    [
        'subprocess.run(["docker", "cp", "x:/out/app", "app"], cwd=pick())',
        "os.system(f\"docker cp x:/out/app '{os.environ['OUT']}'\")",
    ],
)
def test_a_destination_that_depends_on_the_run_is_unknown(tmp_path, call):
    root = project(tmp_path, f"import os, subprocess\n{call}\n")
    [copy] = operations(root)
    assert isinstance(copy, Copy) and not (copy.destination.known and copy.cwd.known)


def test_build_args_for_a_shell_string_with_two_builds_are_refused(tmp_path):
    driver = d(
        """
        import os, subprocess
        subprocess.run(["docker", "build", "--build-arg", "V=1", "-t", "b", "-f", "Dockerfile.build", "."], check=True)
        subprocess.run(["docker", "create", "--name", "x", "b"], check=True)
        subprocess.run(["docker", "cp", "x:/out/app", "app"], check=True)
        subprocess.run(["docker", "rm", "x"], check=True)
        os.system("docker build -t tools tools && docker build -t app .")
        """
    )
    root = project(tmp_path, driver, **{"tools/Dockerfile": "FROM alpine:3.19\n"})
    outcome = migrate(root / "build.py")
    assert (outcome.status, outcome.location.line) == ("refused", 6)
    assert "more than one `docker build`" in outcome.message


def test_a_build_arg_from_env_is_refused(tmp_path):
    call = 'subprocess.run(["docker", "build", "--build-arg", "V", "-t", "b", "."], env={"V": "1"})'
    root = project(tmp_path, f"import subprocess\n{call}\n")
    [op] = operations(root)
    assert isinstance(op, Opaque) and "from env=" in op.reason


def test_a_bom_and_crlf_line_endings_stay(tmp_path):
    driver = (
        "\ufeffimport subprocess\r\n"
        'subprocess.run(["docker", "build", "-t", "b", "-f", "Dockerfile.build", "."], check=True)\r\n'
        'subprocess.run(["docker", "create", "--name", "x", "b"], check=True)\r\n'
        'subprocess.run(["docker", "cp", "x:/out/app", "app"], check=True)\r\n'
        'subprocess.run(["docker", "rm", "x"], check=True)\r\n'
        'subprocess.run(["docker", "build", "-t", "app", "."], check=True)\r\n'
    )
    root = project(tmp_path, driver)
    outcome = migrate(root / "build.py")
    assert outcome.status == "pending", outcome.message
    expected = '\ufeffimport subprocess\r\nsubprocess.run(["docker", "build", "-t", "app", "."], check=True)\r\n'
    assert texts_after(outcome, root)["build.py"] == expected


def test_a_shell_string_in_a_list_is_read(tmp_path):
    call = 'subprocess.run(["sh", "-c", "docker create --name x b && docker cp x:/out/app app"])'
    root = project(tmp_path, f"import subprocess\n{call}\n")
    assert [type(op).__name__ for op in operations(root)] == ["Container", "Copy"]


@pytest.mark.parametrize("call", ['subprocess.run(["./extract.sh"])', 'subprocess.run(["bash", "extract.sh"])', 'os.system("sh extract.sh")'])
def test_a_script_that_runs_docker_is_refused(tmp_path, call):
    driver = FLOW + call + '\nsubprocess.run(["docker", "build", "-t", "app", "."], check=True)\n'
    root = project(tmp_path, driver, **{"extract.sh": "#!/bin/sh\ndocker rm x\n"})
    outcome = migrate(root / "build.py")
    assert (outcome.status, outcome.location.line) == ("refused", 5)
    assert "extract.sh runs docker" in outcome.message


def test_a_program_named_by_a_variable_is_refused_while_the_artifact_is_on_the_host(tmp_path):
    driver = d(
        """
        import os
        import subprocess

        subprocess.run(["docker", "build", "-f", "Dockerfile.build", "-t", "acme/app:build", "."], check=True)
        subprocess.run(["docker", "create", "--name", "extract", "acme/app:build"], check=True)
        subprocess.run(["docker", "cp", "extract:/out/app", "app"], check=True)
        subprocess.run(["docker", "rm", "extract"], check=True)
        subprocess.run([os.environ["POST"], "app"], check=True)
        subprocess.run(["docker", "build", "-t", "acme/app", "."], check=True)
        """
    )
    root = project(tmp_path, driver)
    [post] = [op for op in read_driver(root / "build.py").operations if isinstance(op, HostCommand)]
    assert not post.argv[0].known
    outcome = migrate(root / "build.py")
    assert outcome.status == "refused"
    assert (outcome.location.file.name, outcome.location.line) == ("build.py", 8)
    assert "cannot be known without running the driver" in outcome.message
