"""A plan's typed driver edits, written by each driver kind's emitter: before/after tables, in memory, without tracing.

Each case reads a driver with its reader, names the edits by the lines of the
steps they touch, and compares the emitter's text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.emit.makefile import emit_makefile
from migrate.emit.python import emit_python
from migrate.emit.shell import emit_shell
from migrate.plan import AddBuildArgs, BuildArgValue, RemoveStep, RetargetBuild
from migrate.read.makefile import read_makefile
from migrate.read.ops import Build, DriverReading, Site, Word
from migrate.read.python import read_python
from migrate.read.shell import read_shell
from support import d

ROOT = Path("/project")


def step(reading: DriverReading, line: int, index: int = 0):
    return [op for op in reading.operations if op.site.line == line][index]


def carried(reading: DriverReading, line: int, *, renamed: str | None = None) -> BuildArgValue:
    """The first build arg of the build at ``line``, passed as written, or under a new name."""
    build = step(reading, line)
    assert isinstance(build, Build)
    arg = build.build_args[0]
    if renamed is not None:
        return BuildArgValue(renamed, build.site, reading.kind, arg.value)
    return BuildArgValue(arg.name, build.site, reading.kind, arg.value, written=arg.text)


def edits(reading: DriverReading, removed: tuple[int, ...], final: int | None = None, args=(), retarget: tuple[int, str, str] | None = None):
    out: list = [RemoveStep(op.site, "goes") for line in removed for op in reading.operations if op.site.line == line]
    if final is not None:
        out.append(AddBuildArgs(step(reading, final).site, tuple(args(reading)) if callable(args) else tuple(args)))
    if retarget is not None:
        line, dockerfile, stage = retarget
        out.append(RetargetBuild(step(reading, line).site, dockerfile, stage))
    return tuple(out)


# -- shell ---------------------------------------------------------------------------------------------

SHELL = d(
    """
    #!/bin/sh
    set -e
    docker build --build-arg V=$V -f Dockerfile.build -t app:build .
    docker create --name c app:build
    docker cp c:/out/app app
    docker rm c

    docker build -t app .
    """
)

SHELL_CASES = [
    (
        "the legacy steps go; the runtime build passes the builder's arg as written",
        SHELL,
        dict(removed=(3, 4, 5, 6), final=8, args=lambda r: [carried(r, 3)]),
        "#!/bin/sh\nset -e\n\ndocker build --build-arg V=$V -t app .\n",
    ),
    (
        "a renamed arg: the new name, the value as written",
        SHELL,
        dict(removed=(3, 4, 5, 6), final=8, args=lambda r: [carried(r, 3, renamed="BUILDER_V")]),
        "#!/bin/sh\nset -e\n\ndocker build --build-arg BUILDER_V=$V -t app .\n",
    ),
    (
        "a run stage's `-e NAME`: the variable's value",
        SHELL,
        dict(removed=(3, 4, 5, 6), final=8, args=lambda r: [BuildArgValue("RUN_E", step(r, 4).site, "shell", environment="E")]),
        '#!/bin/sh\nset -e\n\ndocker build --build-arg RUN_E="${E}" -t app .\n',
    ),
    (
        "a build image still used is built from its stage",
        SHELL,
        dict(removed=(4, 5, 6), retarget=(3, "Dockerfile", "builder")),
        "#!/bin/sh\nset -e\ndocker build --target builder --build-arg V=$V -f Dockerfile -t app:build .\n\ndocker build -t app .\n",
    ),
    (
        "a retargeted build without -f gets one",
        "docker build -t app:build .\ndocker build -t app .\n",
        dict(removed=(), retarget=(1, "../Dockerfile", "builder")),
        "docker build --target builder -f ../Dockerfile -t app:build .\ndocker build -t app .\n",
    ),
    (
        "a chain whose every command goes goes whole",
        "set -e\ndocker create --name c app:build && docker cp c:/out/app app && docker rm c\necho done\n",
        dict(removed=(2,)),
        "set -e\necho done\n",
    ),
    (
        "an `|| true` that only guarded a removed command goes with it",
        "set -e\ndocker rm c || true\necho done\n",
        dict(removed=(2,)),
        "set -e\necho done\n",
    ),
    (
        "a test that only decided whether removed commands run goes with them",
        'set -e\n[ -n "$C" ] && docker rm c || docker rm -f c\necho done\n',
        dict(removed=(2,)),
        "set -e\necho done\n",
    ),
    (
        "a call of a function left empty goes from its chain",
        "set -e\nfetch() {\n  docker cp c:/out/app app\n}\ndocker create --name c app || fetch\necho done\n",
        dict(removed=(3, 5)),
        "set -e\necho done\n",
    ),
    (
        "a function left empty goes with its call",
        "set -e\nextract() {\n  docker cp c:/out/app app\n}\nextract\necho done\n",
        dict(removed=(3,)),
        "set -e\necho done\n",
    ),
]


@pytest.mark.parametrize(("driver", "spec", "expected"), [case[1:] for case in SHELL_CASES], ids=[case[0] for case in SHELL_CASES])
def test_shell_edits(driver, spec, expected):
    reading = read_shell(ROOT / "build.sh", driver, cwd=str(ROOT))
    assert emit_shell(reading, edits(reading, **spec)) == expected


def test_only_the_trap_handler_commands_that_go_go():
    driver = "set -e\ntrap 'docker rm -f c; rm -rf tmp' EXIT\ndocker create --name c app:build\n"
    reading = read_shell(ROOT / "build.sh", driver, cwd=str(ROOT))
    trap_steps = [op for op in reading.operations if op.site.line == 2]
    assert len(trap_steps) == 2
    removal = RemoveStep(trap_steps[0].site, "removes the container", position=0)
    assert emit_shell(reading, (removal, RemoveStep(step(reading, 3).site, "goes"))) == "set -e\ntrap 'rm -rf tmp' EXIT\n"


# -- make --------------------------------------------------------------------------------------------

MAKEFILE = d(
    """
    V ?= 1
    all: image
    builder: Dockerfile.build
    \tdocker build --build-arg V=$(V) -f Dockerfile.build -t app:build .
    image: builder
    \tdocker create --name c app:build
    \tdocker cp c:/out/app app
    \tdocker rm c
    \tdocker build -t app .
    """
)

MAKE_CASES = [
    (
        "a rule whose recipe all goes keeps its place with a no-op recipe; its prerequisite on the deleted file names the merged one",
        MAKEFILE,
        dict(removed=(4, 6, 7, 8), final=9, args=lambda r: [carried(r, 4)]),
        "V ?= 1\nall: image\nbuilder: Dockerfile\n\t@:\nimage: builder\n\tdocker build --build-arg V=$(V) -t app .\n",
    ),
    (
        "a value from a shell script is written as the value it is known to have, $ doubled",
        MAKEFILE,
        dict(removed=(4, 6, 7, 8), final=9, args=[BuildArgValue("S", Site(ROOT / "build.sh", 3, None), "shell", Word('"$S"', "a $b"))]),
        "V ?= 1\nall: image\nbuilder: Dockerfile\n\t@:\nimage: builder\n\tdocker build --build-arg 'S=a $$b' -t app .\n",
    ),
    (
        "a run stage's `-e NAME` in make's syntax",
        MAKEFILE,
        dict(removed=(4, 6, 7, 8), final=9, args=lambda r: [BuildArgValue("RUN_E", step(r, 6).site, "make", environment="E")]),
        'V ?= 1\nall: image\nbuilder: Dockerfile\n\t@:\nimage: builder\n\tdocker build --build-arg RUN_E="$${E}" -t app .\n',
    ),
    (
        "a retargeted build in a recipe",
        MAKEFILE,
        dict(removed=(6, 7, 8), retarget=(4, "Dockerfile", "builder")),
        "V ?= 1\nall: image\nbuilder: Dockerfile.build\n\tdocker build --target builder --build-arg V=$(V) -f Dockerfile -t app:build .\nimage: builder\n\tdocker build -t app .\n",
    ),
]


@pytest.mark.parametrize(("driver", "spec", "expected"), [case[1:] for case in MAKE_CASES], ids=[case[0] for case in MAKE_CASES])
def test_makefile_edits(driver, spec, expected):
    reading = read_makefile(ROOT / "Makefile", driver)
    retargeting = spec.get("retarget") is not None
    deleted = () if retargeting else (ROOT / "Dockerfile.build",)
    assert emit_makefile(reading, edits(reading, **spec), deleted, ROOT / "Dockerfile") == expected


# -- Python ----------------------------------------------------------------------------------------------

PYTHON = d(
    """
    import docker
    import subprocess

    V = "1"
    subprocess.run(["docker", "build", "--build-arg", f"V={V}", "-f", "Dockerfile.build", "-t", "app:build", "."], check=True)
    cid = subprocess.run(["docker", "create", "app:build"], capture_output=True, text=True).stdout.strip()
    subprocess.run(["docker", "cp", f"{cid}:/out/app", "app"], check=True)
    subprocess.run(["docker", "rm", cid], check=True)
    {final}
    """
)
ARGV_FINAL = 'subprocess.run(["docker", "build", "-t", "app", "."], check=True)'
SDK_FINAL = 'docker.from_env().images.build(path=".", tag="app")'
SHELL_FINAL = 'subprocess.run("docker build -t app .", shell=True, check=True)'
HEAD = 'import docker\nimport subprocess\n\nV = "1"\n'

PYTHON_CASES = [
    (
        "argv: the builder's elements as written",
        ARGV_FINAL,
        lambda r: [carried(r, 5)],
        HEAD + 'subprocess.run(["docker", "build", "--build-arg", f"V={V}", "-t", "app", "."], check=True)\n',
    ),
    (
        "argv: a renamed arg keeps the builder's expression",
        ARGV_FINAL,
        lambda r: [carried(r, 5, renamed="BUILDER_V")],
        HEAD + 'subprocess.run(["docker", "build", "--build-arg", f"BUILDER_V={V}", "-t", "app", "."], check=True)\n',
    ),
    (
        # An argv element's expression is the text after NAME= in it; a dict entry takes the value it is known to have.
        # What the removed steps alone used (subprocess) goes with them.
        "SDK: a buildargs= entry",
        SDK_FINAL,
        lambda r: [carried(r, 5, renamed="BUILDER_V")],
        'import docker\n\nV = "1"\ndocker.from_env().images.build(path=".", tag="app", buildargs={"BUILDER_V": "1"})\n',
    ),
    (
        "a shell string: the words with the value it is known to have",
        SHELL_FINAL,
        lambda r: [carried(r, 5, renamed="BUILDER_V")],
        HEAD + 'subprocess.run("docker build --build-arg BUILDER_V=1 -t app .", shell=True, check=True)\n',
    ),
]


@pytest.mark.parametrize(("final", "args", "expected"), [case[1:] for case in PYTHON_CASES], ids=[case[0] for case in PYTHON_CASES])
def test_python_edits(final, args, expected):
    reading = read_python(ROOT / "build.py", PYTHON.replace("{final}", final))
    assert emit_python(reading, edits(reading, removed=(5, 6, 7, 8), final=9, args=args)) == expected


def test_a_retargeted_python_build():
    reading = read_python(ROOT / "build.py", PYTHON.replace("{final}", ARGV_FINAL))
    emitted = emit_python(reading, edits(reading, removed=(6, 7, 8), retarget=(5, "Dockerfile", "builder")))
    assert 'subprocess.run(["docker", "build", "--target", "builder", "--build-arg", f"V={V}", "-f", "Dockerfile", "-t", "app:build", "."], check=True)\n' in emitted


# -- what an emitter cannot write ----------------------------------------------------------------------------


def test_a_text_that_would_not_read_again_stops_the_emitter_without_a_refusal():
    from migrate.emit.failure import EmitFailure
    from migrate.emit.reparse import check_reads_again
    from migrate.errors import Refusal

    with pytest.raises(EmitFailure) as failure:
        check_reads_again(ROOT / "build.sh", "shell", "set -e\nif true; then\n")
    assert not isinstance(failure.value, Refusal)
    assert (failure.value.location.line, failure.value.kind) == (2, "refused")
    assert "the rewritten build.sh would not read again" in failure.value.reason
