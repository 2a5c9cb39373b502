"""What reaches docker's own environment: ``-e NAME`` and ``--build-arg NAME`` without a value.

docker takes such a NAME from its environment, which holds a driver's variable
only when the driver exports it (``export``, ``declare -x``, ``set -a``; in a
Makefile ``export`` or ``.EXPORT_ALL_VARIABLES``) or sets it on the command
(``NAME=value docker ...``).  A plain assignment stays in the shell.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from migrate.read.makefile import read_makefile
from migrate.read.ops import Build, Container, Opaque
from migrate.read.shell import read_shell
from support import d, make_project, migrate, migrate_leaving_disk_unchanged, texts_after

UNEXPORTED = "assumed GOARCH is not set in the environment, so `-e GOARCH` passes nothing: {} sets GOARCH without `export`"


def passed(reading) -> tuple[str, ...] | str:
    """The ``-e`` words of the reading's one ``docker run``, or ``opaque: reason``."""
    [operation] = [op for op in reading.operations if isinstance(op, (Container, Build)) or isinstance(op, Opaque) and op.mentions_docker]
    if isinstance(operation, Opaque):
        return f"opaque: {operation.reason}"
    if isinstance(operation, Build):
        return tuple(arg.text if arg.value is None else f"{arg.name}={arg.value.key}" for arg in operation.build_args)
    return tuple(word.key for word in operation.env)


def read(text: str):
    return read_shell(Path("/project/build.sh"), textwrap.dedent(text).lstrip("\n") + "\n")


SHELL_CASES = [
    # (name, driver text, what docker gets, the assumption noted)
    ("a plain assignment stays in the shell", "GOARCH=arm64\ndocker run -e GOARCH img", (), True),
    ("--env as well", "GOARCH=arm64\ndocker run --env=GOARCH img", (), True),
    ("export NAME=value", "export GOARCH=arm64\ndocker run -e GOARCH img", ("GOARCH=arm64",), False),
    ("export after the assignment", "GOARCH=arm64\nexport GOARCH\ndocker run -e GOARCH img", ("GOARCH=arm64",), False),
    ("export before the assignment", "export GOARCH\nGOARCH=arm64\ndocker run -e GOARCH img", ("GOARCH=arm64",), False),
    ("declare -x", "declare -x GOARCH=arm64\ndocker run -e GOARCH img", ("GOARCH=arm64",), False),
    ("typeset -x", "typeset -x GOARCH=arm64\ndocker run -e GOARCH img", ("GOARCH=arm64",), False),
    ("set -a", "set -a\nGOARCH=arm64\nset +a\ndocker run -e GOARCH img", ("GOARCH=arm64",), False),
    ("set -a bundled with other options", "set -eao pipefail\nGOARCH=arm64\ndocker run -e GOARCH img", ("GOARCH=arm64",), False),
    ("set -o allexport", "set -o allexport\nGOARCH=arm64\ndocker run -e GOARCH img", ("GOARCH=arm64",), False),
    ("set +a before the assignment", "set -a\nset +a\nGOARCH=arm64\ndocker run -e GOARCH img", (), True),
    ("a for loop under set -a", "set -a\nfor GOARCH in arm64; do docker run -e GOARCH img; done", ("GOARCH=arm64",), False),
    ("the command's own assignment", "GOARCH=arm64\nGOARCH=riscv64 docker run -e GOARCH img", ("GOARCH=riscv64",), False),
    ("env NAME=value", "env GOARCH=riscv64 docker run -e GOARCH img", ("GOARCH=riscv64",), False),
    ("env -i empties it", "export GOARCH=arm64\nenv -i docker run -e GOARCH img", (), False),
    ("env -u takes one out", "export GOARCH=arm64\nenv -u GOARCH docker run -e GOARCH img", (), False),
    ("sudo -E keeps it", "export GOARCH=arm64\nsudo -E docker run -e GOARCH img", ("GOARCH=arm64",), False),
    ("never assigned: the environment's", "docker run -e GOARCH img", ("GOARCH",), False),
    ("exported, value unknown: the variable's", 'export GOARCH="$(uname -m)"\ndocker run -e GOARCH img', ("GOARCH",), False),
    ("HOME is always exported", "HOME=/tmp\ndocker run -e HOME img", ("HOME=/tmp",), False),
    ("unset", "export GOARCH=arm64\nunset GOARCH\ndocker run -e GOARCH img", (), False),
    ("unset, then assigned again", "export GOARCH=arm64\nunset GOARCH\nGOARCH=arm64\ndocker run -e GOARCH img", (), False),
    ("export -n", "export GOARCH=arm64\nexport -n GOARCH\ndocker run -e GOARCH img", (), False),
    ("declare +x", "export GOARCH=arm64\ndeclare +x GOARCH\ndocker run -e GOARCH img", (), False),
    ("a local of an exported name is exported", "export GOARCH=amd64\nf() { local GOARCH=arm64; docker run -e GOARCH img; }\nf", ("GOARCH=arm64",), False),
    ("a local of a plain name is not", "GOARCH=amd64\nf() { local GOARCH=arm64; docker run -e GOARCH img; }\nf", (), True),
    ("local -x", "f() { local -x GOARCH=arm64; docker run -e GOARCH img; }\nf", ("GOARCH=arm64",), False),
    ("local -x ends with the function", "f() { local -x GOARCH=arm64; }\nf\nGOARCH=arm64\ndocker run -e GOARCH img", (), True),
    ("a function exports for its caller", "f() { export GOARCH=arm64; }\nf\ndocker run -e GOARCH img", ("GOARCH=arm64",), False),
    ("a subshell exports for itself", "(export GOARCH=riscv64)\nGOARCH=arm64\ndocker run -e GOARCH img", (), True),
]


@pytest.mark.parametrize("name, text, expected, assumed", SHELL_CASES, ids=[case[0] for case in SHELL_CASES])
def test_what_docker_run_e_passes(name, text, expected, assumed):
    reading = read(text)
    assert passed(reading) == expected
    assert (UNEXPORTED.format("build.sh") in reading.notes) is assumed


BUILD_ARG_CASES = [
    ("a plain assignment stays in the shell", "V=1\ndocker build --build-arg V .", ()),
    ("exported: its value travels", "export V=1\ndocker build --build-arg V .", ("V=1",)),
    ("the command's own assignment", "V=2 docker build --build-arg V .", ("V=2",)),
    ("never assigned: the environment's", "docker build --build-arg V .", ("--build-arg V",)),
    ("a value make would expand stays the environment's", "export V='a$b'\ndocker build --build-arg V .", ("--build-arg V",)),
]


@pytest.mark.parametrize("name, text, expected", BUILD_ARG_CASES, ids=[case[0] for case in BUILD_ARG_CASES])
def test_what_build_arg_passes(name, text, expected):
    assert passed(read(text)) == expected


def test_an_exported_value_is_written_quoted():
    [build] = read("export V='a b'\ndocker build --build-arg V .").operations
    assert build.build_args[0].text == "--build-arg V='a b'" and build.build_args[0].value.key == "a b"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('GOARCH=arm64\nif [ -n "$CI" ]; then export GOARCH; fi\ndocker run -e GOARCH img', "only if it is exported"),
        ('if [ -n "$CI" ]; then set -a; fi\nGOARCH=arm64\ndocker run -e GOARCH img', "only if it is exported"),
        ('export "$NAME"=1\nGOARCH=arm64\ndocker run -e GOARCH img', "only if it is exported"),
        ("export GOARCH=arm64\nsudo docker run -e GOARCH img", "`sudo` gives it an environment of its own"),
        ("sudo docker build --build-arg V .", "`sudo` gives it an environment of its own"),
    ],
    ids=["export inside an if", "set -a inside an if", "export of an unknown name", "sudo", "sudo build"],
)
def test_what_cannot_be_known_is_opaque(text, fragment):
    assert passed(read(text)).startswith("opaque:") and fragment in passed(read(text))


def test_a_sourced_file_that_exports_leaves_it_unknown(tmp_path):
    (tmp_path / "env.sh").write_text("export GOARCH=arm64\n")
    reading = read_shell(tmp_path / "build.sh", ". ./env.sh\nGOARCH=riscv64\ndocker run -e GOARCH img\n")
    assert "only if it is exported" in passed(reading)


def test_a_followed_script_sees_what_the_command_passes(tmp_path):
    (tmp_path / "run.sh").write_text("#!/bin/sh\ndocker run -e GOARCH -e GOOS img\n")
    reading = read_shell(tmp_path / "build.sh", "GOOS=linux\nGOARCH=arm64 ./run.sh\n")
    assert passed(reading) == ("GOARCH=arm64", "GOOS")


def test_a_followed_script_of_a_driver_that_exports_cannot_tell(tmp_path):
    (tmp_path / "run.sh").write_text("#!/bin/sh\nGOARCH=arm64\ndocker run -e GOARCH img\n")
    reading = read_shell(tmp_path / "build.sh", "export GOARCH=riscv64\n./run.sh\n")
    assert "only if it is exported" in passed(reading)


# -- Makefiles ------------------------------------------------------------------------------------

RECIPE = "all:\n\tdocker run -e GOARCH img\n"

MAKE_CASES = [
    ("a variable without export stays in make", "GOARCH = arm64\n" + RECIPE, (), True),
    ("?= too", "GOARCH ?= arm64\n" + RECIPE, (), True),
    ("export NAME = value", "export GOARCH = arm64\n" + RECIPE, ("GOARCH=arm64",), False),
    ("export NAME later", "GOARCH = arm64\nexport GOARCH\n" + RECIPE, ("GOARCH=arm64",), False),
    ("a bare export exports everything", "GOARCH = arm64\nexport\n" + RECIPE, ("GOARCH=arm64",), False),
    (".EXPORT_ALL_VARIABLES", ".EXPORT_ALL_VARIABLES:\nGOARCH = arm64\n" + RECIPE, ("GOARCH=arm64",), False),
    ("unexport", "export GOARCH = arm64\nunexport GOARCH\n" + RECIPE, (), False),
    ("unexport under a bare export", "export\nGOARCH = arm64\nunexport GOARCH\n" + RECIPE, (), False),
    ("a target-specific export", "GOARCH = amd64\nall: export GOARCH = arm64\n" + RECIPE, ("GOARCH=arm64",), False),
    ("a target-specific value of an exported variable", "export GOARCH = amd64\nall: GOARCH = arm64\n" + RECIPE, ("GOARCH=arm64",), False),
    ("never assigned: the environment's", RECIPE, ("GOARCH",), False),
    ("exported in the recipe's shell", "all:\n\texport GOARCH=arm64; docker run -e GOARCH img\n", ("GOARCH=arm64",), False),
    ("assigned in the recipe's shell", "all:\n\tGOARCH=arm64; docker run -e GOARCH img\n", (), True),
    ("--build-arg of a variable without export", "V = 1\nall:\n\tdocker build --build-arg V .\n", (), False),
    ("--build-arg of an exported variable", "W = 2\nexport V = $(W)\nall:\n\tdocker build --build-arg V .\n", ("V=2",), False),
]


@pytest.mark.parametrize("name, text, expected, assumed", MAKE_CASES, ids=[case[0] for case in MAKE_CASES])
def test_what_a_recipe_passes(tmp_path, name, text, expected, assumed):
    path = tmp_path / "Makefile"
    path.write_text(text)
    reading = read_makefile(path, text)
    assert passed(reading) == expected
    assert (UNEXPORTED.format("Makefile") in reading.notes) is assumed


@pytest.mark.parametrize("conditional", ["export GOARCH", "export"])
def test_an_export_make_may_skip_is_opaque(tmp_path, conditional):
    text = f"GOARCH = arm64\nifdef FAST\n{conditional}\nendif\n" + RECIPE
    path = tmp_path / "Makefile"
    path.write_text(text)
    assert "only if it is exported" in passed(read_makefile(path, text))


# -- whole migrations -------------------------------------------------------------------------------

RUNTIME = "FROM alpine:3.19\nCOPY app /usr/bin/app\n"
RUN = 'docker run --rm -e CGO_ENABLED=0 -e GOARCH -v "$PWD":/src -w /src golang:1.21 go build -o app .'


def test_a_plain_variable_does_not_reach_the_stage(tmp_path):
    driver = f"#!/bin/sh\nGOARCH=arm64\n{RUN}\ndocker build -t app .\nrm -f app\n"
    root = make_project(tmp_path / "project", {"build.sh": driver, "Dockerfile": RUNTIME})
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    assert texts_after(outcome, root) == {
        "Dockerfile": d(
            """
            FROM golang:1.21 AS golang-run
            COPY . /src
            WORKDIR /src
            ENV CGO_ENABLED="0"
            RUN ["go", "build", "-o", "app", "."]

            FROM alpine:3.19
            COPY --from=golang-run /src/app /usr/bin/app
            """
        ),
        "build.sh": "#!/bin/sh\nGOARCH=arm64\ndocker build -t app .\n",
    }
    assert UNEXPORTED.format("build.sh") in outcome.plan.decisions


def test_an_exported_variable_reaches_the_stage_with_its_value(tmp_path):
    driver = f"#!/bin/sh\nexport GOARCH=arm64\n{RUN}\ndocker build -t app .\nrm -f app\n"
    root = make_project(tmp_path / "project", {"build.sh": driver, "Dockerfile": RUNTIME})
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    dockerfile = texts_after(outcome, root)["Dockerfile"]
    assert 'ENV CGO_ENABLED="0"\nENV GOARCH="arm64"\n' in dockerfile
    assert texts_after(outcome, root)["build.sh"] == "#!/bin/sh\nexport GOARCH=arm64\ndocker build -t app .\n"


def test_a_make_variable_without_export_does_not_reach_the_stage(tmp_path):
    makefile = "GOARCH = arm64\n\nall:\n\t" + RUN.replace("$PWD", "$$PWD") + "\n\tdocker build -t app .\n\trm -f app\n"
    root = make_project(tmp_path / "project", {"Makefile": makefile, "Dockerfile": RUNTIME})
    outcome = migrate(root / "Makefile")
    assert outcome.status == "pending", outcome.message
    after = texts_after(outcome, root)
    assert "GOARCH" not in after["Dockerfile"]
    assert after["Makefile"] == "GOARCH = arm64\n\nall:\n\tdocker build -t app .\n"


def test_an_export_that_happens_only_sometimes_is_refused(tmp_path):
    driver = f'#!/bin/sh\nGOARCH=arm64\nif [ -n "$CI" ]; then export GOARCH; fi\n{RUN}\ndocker build -t app .\n'
    root = make_project(tmp_path / "project", {"build.sh": driver, "Dockerfile": RUNTIME})
    outcome = migrate_leaving_disk_unchanged(root / "build.sh")
    assert (outcome.status, outcome.location.line) == ("refused", 4)
    assert "`-e GOARCH` passes GOARCH only if it is exported" in outcome.message


@pytest.mark.parametrize(
    "makefile, expected",
    [
        ("export GOARCH = amd64\nall:\n\t./run.sh\n", ("GOARCH=arm64",)),
        ("GOARCH = amd64\nall:\n\t./run.sh\n", ()),
        ("all:\n\tGOARCH=amd64 ./run.sh\n", "opaque"),
    ],
    ids=["make exports it: the script's assignment is exported", "make keeps it", "the recipe passes it"],
)
def test_a_script_a_recipe_runs_gets_what_make_exports(tmp_path, makefile, expected):
    (tmp_path / "run.sh").write_text("#!/bin/sh\nGOARCH=arm64\ndocker run -e GOARCH img\n")
    (tmp_path / "Makefile").write_text(makefile)
    found = passed(read_makefile(tmp_path / "Makefile", makefile))
    assert found == expected if expected != "opaque" else "only if it is exported" in found


def test_a_script_a_recipe_runs_reads_make_exported_values(tmp_path):
    (tmp_path / "run.sh").write_text('#!/bin/sh\ndocker build --build-arg V="${V:-dev}" .\n')
    makefile = "export V = 1.2\nall:\n\t./run.sh\n"
    (tmp_path / "Makefile").write_text(makefile)
    assert passed(read_makefile(tmp_path / "Makefile", makefile)) == ("V=1.2",)
