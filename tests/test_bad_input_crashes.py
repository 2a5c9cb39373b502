"""Inputs a fuzz run found to crash dmigrate: each is now an error or a refusal at file:line, in every mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.errors import InputError, Refusal
from migrate.read.dockerfile import parse_dockerfile
from support import d, make_project, migrate, texts_after

BUILD = "FROM golang:1.21\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"
SHELL_DRIVER = (
    "#!/bin/sh\n"
    "docker build -t app:build -f Dockerfile.build .\n"
    "docker create --name c app:build\n"
    "docker cp c:/out/app app\n"
    "docker rm c\n"
    "docker build -t app .\n"
)


def dmigrate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


def assert_clear_error_everywhere(project: Path, driver: str, where: str, said: str) -> None:
    """The same file:line error in a dry run, an in-place run and --explain; no traceback, nothing changed."""
    before = snapshot(project)
    for mode in (["--dry-run"], [], ["--explain"]):
        result = dmigrate(*mode, driver, cwd=project)
        assert "Traceback" not in result.stderr + result.stdout, result.stderr
        assert "internal error" not in result.stderr + result.stdout
        assert result.returncode == 2, (mode, result.stderr)
        assert where in result.stderr + result.stdout, (mode, result.stderr, result.stdout)
        assert said in result.stderr + result.stdout
    assert snapshot(project) == before


# -- ENV A=1 B ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["FROM a\nENV A=1 B\n", 'FROM a\nLABEL "a=1" b\n'])
def test_a_pair_followed_by_a_bare_word_is_an_error_at_its_line(text):
    with pytest.raises(InputError) as stop:
        parse_dockerfile(text, Path("Dockerfile"))
    assert stop.value.location.line == 2
    assert "can't find =" in stop.value.reason


@pytest.mark.parametrize("text", ["FROM a\nENV A 1 B\n", "FROM a\nENV A=1 B=2\n", 'FROM a\nENV A="1 2" B=3\n', "FROM a\nLABEL a=b\n"])
def test_the_forms_docker_takes_still_read(text):
    parse_dockerfile(text, Path("Dockerfile"))


def test_env_with_a_bare_word_in_a_run_image(tmp_path):
    driver = "#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\ndocker run --rm -v \"$PWD/out:/out\" app:build\ndocker build -t app .\n"
    project = make_project(
        tmp_path / "p", {"build.sh": driver, "Dockerfile.build": "FROM golang:1.21\nENV A=1 B\nCMD [\"go\", \"build\"]\n", "Dockerfile": "FROM alpine\nCOPY out /app\n"}
    )
    assert_clear_error_everywhere(project, "build.sh", "Dockerfile.build:2", "can't find =")


# -- a bare COPY -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["FROM a\nCOPY\n", "FROM a\nCOPY only-one\n", "FROM a\nADD\n", "FROM\n"])
def test_an_instruction_without_its_words_is_an_error(text):
    with pytest.raises(InputError) as stop:
        parse_dockerfile(text, Path("Dockerfile"))
    assert stop.value.location.line == text.count("\n")
    assert "docker build stops at this line" in stop.value.reason


def test_a_bare_copy_reached_by_docker_cp_of_a_directory(tmp_path):
    driver = SHELL_DRIVER.replace("docker cp c:/out/app app", "docker cp c:t/. out")
    project = make_project(tmp_path / "p", {"build.sh": driver, "Dockerfile.build": "FROM golang:1.21\nCOPY\n", "Dockerfile": "FROM alpine\nCOPY out /app\n"})
    assert_clear_error_everywhere(project, "build.sh", "Dockerfile.build:2", "COPY needs a source and a destination")


# -- Python that libcst reads and Python does not ---------------------------------------------------


def test_a_nul_byte_in_a_python_driver(tmp_path):
    driver = 'import subprocess\nsubprocess.run(["docker", "build", "-f", "Dockerfile.build", "."])\nsubprocess.run(["docker", "cp", "c:/out/app", "app\0"])\n'
    project = make_project(tmp_path / "p", {"build.py": driver, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    assert_clear_error_everywhere(project, "build.py", "build.py:3", "NUL byte")


def test_a_continuation_libcst_accepts_and_python_rejects(tmp_path):
    driver = 'import subprocess\nif 1:\n  x = 1\n \\\n  subprocess.run(["docker", "build", "."])\n'
    project = make_project(tmp_path / "p", {"build.py": driver, "Dockerfile": RUNTIME})
    assert_clear_error_everywhere(project, "build.py", "build.py:5", "syntax error: unindent does not match any outer indentation level")


def test_a_python_syntax_error_is_said_in_python_terms_at_its_line(tmp_path):
    driver = 'import subprocess\nargs = ["docker", "build",\n        "."\nsubprocess.run(args)\n'
    project = make_project(tmp_path / "p", {"build.py": driver, "Dockerfile": RUNTIME})
    outcome = migrate(project / "build.py")
    assert outcome.status == "error"
    assert outcome.location.line == 2
    assert outcome.message == "syntax error: '[' was never closed (column 8)"


# -- one-line blocks in Python --------------------------------------------------------------------

ONE_LINE_FINALLY = d(
    """
    import io, tarfile
    import docker

    client = docker.from_env()
    client.images.build(path=".", dockerfile="Dockerfile.build", tag="b")
    box = client.containers.create("b")
    try:
        bits, _ = box.get_archive("/out/app")
        tarfile.open(fileobj=io.BytesIO(b"".join(bits))).extractall(".")
    finally: box.remove()
    client.images.build(path=".", tag="app")
    """
)


def test_a_one_line_finally_is_read_and_rewritten_as_valid_python(tmp_path):
    project = make_project(tmp_path / "p", {"build.py": ONE_LINE_FINALLY, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    outcome = migrate(project / "build.py")
    assert outcome.status == "pending", outcome.message
    after = texts_after(outcome, project)["build.py"]
    compile(after, "build.py", "exec")
    assert "box" not in after
    assert after.endswith('client.images.build(path=".", tag="app")\n')


def test_a_one_line_finally_that_keeps_other_work(tmp_path):
    driver = ONE_LINE_FINALLY.replace("finally: box.remove()", "finally: box.remove(); print('done')")
    project = make_project(tmp_path / "p", {"build.py": driver, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    outcome = migrate(project / "build.py")
    assert outcome.status == "pending", outcome.message
    after = texts_after(outcome, project)["build.py"]
    compile(after, "build.py", "exec")
    assert "print('done')\n" in after and "box" not in after


def test_a_one_line_try_whose_finally_goes(tmp_path):
    driver = ONE_LINE_FINALLY.replace(
        'try:\n    bits, _ = box.get_archive("/out/app")\n    tarfile.open(fileobj=io.BytesIO(b"".join(bits))).extractall(".")\nfinally: box.remove()\n',
        'bits, _ = box.get_archive("/out/app")\ntarfile.open(fileobj=io.BytesIO(b"".join(bits))).extractall(".")\ntry: print("copied")\nfinally: box.remove()\n',
    )
    assert 'try: print("copied")' in driver
    project = make_project(tmp_path / "p", {"build.py": driver, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    outcome = migrate(project / "build.py")
    assert outcome.status == "pending", outcome.message
    after = texts_after(outcome, project)["build.py"]
    compile(after, "build.py", "exec")
    assert 'print("copied")\n' in after and "box" not in after


def test_a_one_line_if_that_changes_directory_is_read(tmp_path):
    """Unread, the ``os.chdir`` would leave the artifact's host path wrong; read, the directory is unknown afterwards."""
    driver = d(
        """
        import subprocess, sys
        subprocess.run(["docker", "build", "-t", "b", "-f", "Dockerfile.build", "."])
        subprocess.run(["docker", "create", "--name", "c", "b"])
        if len(sys.argv) > 1: os.chdir("elsewhere")
        subprocess.run(["docker", "cp", "c:/out/app", "app"])
        subprocess.run(["docker", "rm", "c"])
        subprocess.run(["docker", "build", "-t", "app", "."])
        """
    ).replace("import subprocess, sys", "import os, subprocess, sys")
    project = make_project(tmp_path / "p", {"build.py": driver, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    outcome = migrate(project / "build.py")
    assert outcome.status == "refused", outcome.message
    assert outcome.location.line == 5
    assert outcome.message == "the destination \"app\" cannot be known without running the driver"


# -- nesting --------------------------------------------------------------------------------------


def test_deep_nesting_in_discovery_is_that_project_error(tmp_path, monkeypatch):
    from migrate import batch

    org = tmp_path / "org"
    deep = "all:\n\t" + "$(if 1," * 400 + "docker build ." + ")" * 400 + "\n"
    make_project(org / "deep", {"Makefile": deep})
    make_project(org / "good", {"build.sh": SHELL_DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    monkeypatch.chdir(org)
    by_driver = {entry["driver"]: entry for entry in batch.run([Path(".")], jobs=1).entries}
    assert by_driver["good/build.sh"]["status"] == "pending"
    assert by_driver["deep/Makefile"]["status"] == "error"
    assert "nests too deeply" in by_driver["deep/Makefile"]["message"]


# -- the last check before writing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "module", "function", "broken"),
    [
        ("shell", "migrate.emit.shell", "emit_shell", "if true; then\n"),
        ("python", "migrate.emit.python", "emit_python", "def broken(:\n"),
        ("make", "migrate.emit.makefile", "emit_makefile", "$(error\n"),
    ],
)
def test_a_driver_text_that_would_not_read_again_is_refused(tmp_path, monkeypatch, kind, module, function, broken):
    import importlib

    files = {
        "shell": {"build.sh": SHELL_DRIVER},
        "python": {
            "build.py": "import subprocess\n"
            + "".join(f"subprocess.run({line.split()!r})\n" for line in SHELL_DRIVER.splitlines()[1:])
        },
        "make": {"Makefile": "all:\n" + "".join(f"\t{line}\n" for line in SHELL_DRIVER.splitlines()[1:])},
    }[kind]
    project = make_project(tmp_path / "p", {**files, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    emitter = importlib.import_module(module)
    real = getattr(emitter, function)
    monkeypatch.setattr(emitter, function, lambda *args, **kw: real(*args, **kw) + broken)
    before = snapshot(project)
    outcome = migrate(project / next(iter(files)))
    assert outcome.status == "refused", outcome.message
    assert "would not read again" in outcome.message
    assert outcome.location.file.name == next(iter(files))
    assert outcome.location.line is not None or kind == "make"
    assert snapshot(project) == before


def test_a_merged_dockerfile_that_would_not_read_again_is_refused(tmp_path, monkeypatch):
    import migrate.emit as emit

    project = make_project(tmp_path / "p", {"build.sh": SHELL_DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    real = emit.emit_dockerfile
    monkeypatch.setattr(emit, "emit_dockerfile", lambda plan: real(plan) + "COPY\n")
    outcome = migrate(project / "build.sh")
    assert outcome.status == "refused"
    assert outcome.location.file.name == "Dockerfile"
    assert "would not read again" in outcome.message and "COPY needs" in outcome.message


def test_refusal_is_a_refusal():
    assert Refusal.kind == "refused"


# -- found by the long fuzz run ---------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["[z-a]", "[]"])
def test_a_dockerignore_pattern_docker_cannot_read_is_an_error_at_its_line(tmp_path, pattern):
    project = make_project(tmp_path / "p", {"build.sh": SHELL_DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME, ".dockerignore": f"*.md\n{pattern}\n"})
    assert_clear_error_everywhere(project, "build.sh", ".dockerignore:2", "syntax error in pattern")


def test_a_make_target_whose_name_is_too_long_for_a_path(tmp_path):
    makefile = "all: " + "x" * 5000 + "\n\tdocker build -t app .\n"
    project = make_project(tmp_path / "p", {"Makefile": makefile, "Dockerfile": RUNTIME}, commit=False)
    outcome = migrate(project / "Makefile")
    assert outcome.status in ("nothing to do", "refused", "error")
    assert not outcome.message.startswith("internal error")
