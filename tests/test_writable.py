"""Trace decides what the emitters can write (trace/writable.py): typed edits on drivers read in memory, no tracing.

Each refusal here was once raised by an emitter while it wrote; now the plan
is refused before anything is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.errors import Location, Refusal
from migrate.plan import AddBuildArgs, BuildArgValue, CopySpec, Plan, RemoveStep, RetargetBuild, StagePlan
from migrate.read.dockerfile import parse_dockerfile
from migrate.read.makefile import read_makefile
from migrate.read.ops import DriverReading, Site, Word
from migrate.read.python import read_python
from migrate.read.shell import read_shell
from migrate.trace.writable import check_writable

ROOT = Path("/project")
UNKNOWN = "\0$V\0"


def plan_of(driver: DriverReading, edits=(), *, deleted=(), stages=()) -> Plan:
    return Plan(driver, ROOT / "Dockerfile", (), (), tuple(stages), (), tuple(edits), tuple(deleted))


def steps(reading: DriverReading, line: int) -> list:
    return [op for op in reading.operations if op.site.line == line]


def removals(reading: DriverReading, *lines: int) -> list[RemoveStep]:
    return [RemoveStep(op.site, "goes") for line in lines for op in steps(reading, line)]


def refusal(plan: Plan, **options) -> tuple[str, int | None, str]:
    with pytest.raises(Refusal) as refused:
        check_writable(plan, naming=options.pop("naming", {}), **options)
    return refused.value.location.file.name, refused.value.location.line, refused.value.reason


def passes(plan: Plan, **options) -> bool:
    check_writable(plan, naming=options.pop("naming", {}), **options)
    return True


# -- around the flow ---------------------------------------------------------------------------------------


def test_a_file_outside_the_flow_naming_a_deleted_file_is_refused_unless_it_stays():
    driver = read_shell(ROOT / "build.sh", "docker build -t app .\n", cwd=str(ROOT))
    plan = plan_of(driver, deleted=(ROOT / "Dockerfile.build",))
    naming = {str(ROOT / "Dockerfile.build"): (("/project/ci.yml", 7), ("/project/other.sh", 2))}
    name, line, reason = refusal(plan, naming=naming)
    assert (name, line) == ("ci.yml", 7)
    assert "this line names Dockerfile.build, which migrating build.sh deletes (as does 1 more file), so it would break" in reason
    assert passes(plan, naming=naming, keep_legacy=True)


@pytest.mark.parametrize(("flags", "refused"), [(("--from=builder", "--chmod=755"), True), (("--from=builder", "--chown=0:0"), False)])
def test_a_copy_flag_the_classic_builder_lacks_is_refused_where_the_driver_may_choose_it(flags, refused):
    driver = read_shell(ROOT / "build.sh", "docker build -t app .\n", cwd=str(ROOT))
    dockerfile = parse_dockerfile("FROM alpine:3.19\n", ROOT / "Dockerfile")
    stage = StagePlan("run", dockerfile, -1, "run", base="alpine:3.19", extra_lines=(CopySpec(flags, ("/out/app",), "/app"),))
    plan = plan_of(driver, stages=(stage,))
    classic = (Location(ROOT / "build.sh", 1), "DOCKER_BUILDKIT=0")
    assert passes(plan)
    if refused:
        name, line, reason = refusal(plan, classic_builder=classic)
        assert (name, line) == ("build.sh", 1)
        assert "which rejects COPY --chmod, and the migrated Dockerfile needs `COPY --from=builder --chmod=755 /out/app /app`" in reason
    else:
        assert passes(plan, classic_builder=classic)


# -- build args carried into other text ----------------------------------------------------------------------

MAKEFILE = "all:\n\t./build.sh\n\tdocker build -t app .\n"


def test_a_value_only_a_shell_script_knows_cannot_be_carried_into_a_makefile():
    makefile = read_makefile(ROOT / "Makefile", MAKEFILE)
    script = DriverReading(ROOT / "build.sh", "shell", "", (), ROOT)
    driver = DriverReading(makefile.path, "make", makefile.text, makefile.operations, ROOT, parts=(script,))
    [final] = steps(makefile, 3)
    origin = Site(ROOT / "build.sh", 4, None)
    unknown = AddBuildArgs(final.site, (BuildArgValue("V", origin, "shell", Word("$V", UNKNOWN)),))
    assert refusal(plan_of(driver, [unknown])) == ("build.sh", 4, "the build arg V gets its value from build.sh, which Makefile cannot read")
    known = AddBuildArgs(final.site, (BuildArgValue("V", origin, "shell", Word("$V", "1.0")),))
    assert passes(plan_of(driver, [known]))


RULES = "{variables}all: image\nbuilder:\n\tdocker build --build-arg V={value} -t app:build .\nimage: builder\n\tdocker build -t app .\n"


@pytest.mark.parametrize(
    ("variables", "value", "reason"),
    [
        ("", "$(X)", None),
        ("", "$@", "uses the automatic variable $(@), which differs in the rule image"),
        ("", "$(@D)", "uses the automatic variable $(@D), which differs in the rule image"),
        ("builder: X = 1\n", "$(X)", "reads X, which the rule builder sets for itself; it would mean something else in the rule image"),
        ("image: X = 2\n", "${X}", "reads X, which the rule image sets for itself"),
    ],
)
def test_a_build_arg_moved_to_another_rule_must_expand_the_same_there(variables, value, reason):
    reading = read_makefile(ROOT / "Makefile", RULES.format(variables=variables, value=value))
    offset = variables.count("\n")
    [builder] = steps(reading, 3 + offset)
    [final] = steps(reading, 5 + offset)
    arg = builder.build_args[0]
    edit = AddBuildArgs(final.site, (BuildArgValue("V", builder.site, "make", arg.value, written=arg.text),))
    plan = plan_of(reading, [*removals(reading, 3 + offset), edit])
    if reason is None:
        assert passes(plan)
    else:
        name, line, found = refusal(plan)
        assert (name, line) == ("Makefile", 5 + offset) and reason in found


def test_make_text_whose_value_cannot_be_written_back_is_refused():
    reading = read_makefile(ROOT / "Makefile", MAKEFILE)
    [final] = steps(reading, 3)
    arg = BuildArgValue("V", final.site, "make", Word("${__dmigrate_make_0}", UNKNOWN), written="--build-arg V=${__dmigrate_make_0}")
    assert refusal(plan_of(reading, [AddBuildArgs(final.site, (arg,))]))[2].endswith("holds make text whose value dmigrate cannot write back")


# -- a removed command in a chain -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "removed", "refused_at"),
    [
        ("set -e\nmkdir -p out || echo no out\ndocker cp c:/out/app out/app\n", (2,), 2),
        # A fallback that does nothing goes with the command.
        ("set -e\ndocker rm c || true\n", (2,), None),
        # Every command of the chain goes.
        ("set -e\ndocker create --name c app && docker cp c:/out/app app\n", (2,), None),
        # The test before it may only have decided whether it runs: the emitter sees whether it is one.
        ("set -e\n[ -d out ] && rm -rf out\n", (2,), None),
        ("set -e\n[ -n \"$C\" ] && docker rm c || docker rm -f c\n", (2,), None),
        # A function whose every step goes may take its call along: the emitter decides.
        ("set -e\nfetch() {\n  docker cp c:/out/app app\n}\ndocker create --name c app || fetch\n", (3, 5), None),
    ],
)
def test_a_command_removed_from_an_or_chain_is_refused(text, removed, refused_at):
    reading = read_shell(ROOT / "build.sh", text, cwd=str(ROOT))
    plan = plan_of(reading, removals(reading, *removed))
    if refused_at is None:
        assert passes(plan)
    else:
        assert refusal(plan) == ("build.sh", refused_at, "cannot remove a command from an `||` chain without changing what runs")


def test_a_recipe_command_removed_from_an_or_chain_is_refused():
    reading = read_makefile(ROOT / "Makefile", "all:\n\ttrue\n\tmkdir -p out || echo no out\n\tdocker build -t app .\n")
    plan = plan_of(reading, removals(reading, 3)[:1])
    assert refusal(plan) == ("Makefile", 3, "cannot remove a command from an `||` chain without changing what runs")


# -- Python ----------------------------------------------------------------------------------------------------------

PYTHON = 'import docker, os, subprocess\nV = os.environ["V"]\nsubprocess.run(["docker", "build", "--build-arg", f"V={V}", "-t", "b", "-f", "Dockerfile.build", "."])\n{final}\n'


def python_case(final: str, arg=None, *, retarget: bool = False) -> Plan:
    reading = read_python(ROOT / "build.py", PYTHON.replace("{final}", final))
    [builder] = steps(reading, 3)
    final_step = steps(reading, 4)[0]
    if retarget:
        return plan_of(reading, [RetargetBuild(final_step.site, "Dockerfile", "builder")])
    build_arg = builder.build_args[0]
    arg = arg or BuildArgValue("BUILDER_V", builder.site, "python", build_arg.value)
    return plan_of(reading, [AddBuildArgs(final_step.site, (arg,))])


@pytest.mark.parametrize(
    ("final", "reason"),
    [
        # Another argv takes the builder's expression along.
        ('subprocess.run(["docker", "build", "-t", "app", "."])', None),
        # The builder's value is an expression whose value is not known: neither buildargs= nor a shell string can say it.
        ('docker.from_env().images.build(path=".", tag="app")', "the build arg BUILDER_V has a value dmigrate cannot write into buildargs="),
        ('os.system("docker build -t app .")', "the build arg BUILDER_V has a value dmigrate cannot write into a shell string"),
    ],
)
def test_a_python_build_arg_must_fit_the_form_of_the_call(final, reason):
    plan = python_case(final)
    if reason is None:
        assert passes(plan)
    else:
        assert refusal(plan) == ("build.py", 4, reason)


def test_an_arg_passed_as_written_is_still_written_anew_in_another_form():
    reading = read_python(ROOT / "build.py", PYTHON.replace("{final}", 'os.system("docker build -t app .")'))
    [builder] = steps(reading, 3)
    written = builder.build_args[0]
    arg = BuildArgValue("V", builder.site, "python", written.value, written=written.text)
    plan = plan_of(reading, [AddBuildArgs(steps(reading, 4)[0].site, (arg,))])
    assert refusal(plan)[2] == "the build arg V has a value dmigrate cannot write into a shell string"


def test_an_arg_from_the_environment_cannot_be_said_in_buildargs():
    reading = read_python(ROOT / "build.py", PYTHON.replace("{final}", 'docker.from_env().images.build(path=".", tag="app")'))
    arg = BuildArgValue("V", steps(reading, 3)[0].site, "python")
    plan = plan_of(reading, [AddBuildArgs(steps(reading, 4)[0].site, (arg,))])
    assert refusal(plan)[2] == "--build-arg V takes its value from the environment, which buildargs= cannot say"


def test_a_run_stage_arg_is_not_written_into_a_python_driver():
    reading = read_python(ROOT / "build.py", PYTHON.replace("{final}", 'subprocess.run(["docker", "build", "-t", "app", "."])'))
    arg = BuildArgValue("RUN_V", Site(ROOT / "build.py", 2, None), "python", environment="V")
    plan = plan_of(reading, [AddBuildArgs(steps(reading, 4)[0].site, (arg,))])
    assert refusal(plan) == ("build.py", 4, "the stage that replaces the run at line 2 needs the build arg RUN_V, which dmigrate cannot yet write into a Python driver's build")


def test_a_python_build_written_as_a_shell_string_is_not_retargeted():
    assert refusal(python_case('os.system("docker build -t app .")', retarget=True))[2].startswith("the build image is still used; dmigrate cannot yet retarget")


def test_a_shell_string_with_two_builds_gets_no_build_args():
    final = 'os.system("docker build -t tools tools && docker build -t app .")'
    reading = read_python(ROOT / "build.py", PYTHON.replace("{final}", final))
    [builder] = steps(reading, 3)
    arg = BuildArgValue("V", builder.site, "python", Word("V", "1"))
    plan = plan_of(reading, [AddBuildArgs(steps(reading, 4)[-1].site, (arg,))])
    assert refusal(plan) == ("build.py", 4, "this string holds more than one `docker build`; dmigrate cannot tell where to add the build args")


def test_a_python_statement_that_runs_a_step_that_stays_does_not_go():
    final = 'os.system("docker rm c && docker build -t app .")'
    reading = read_python(ROOT / "build.py", PYTHON.replace("{final}", final))
    remove = steps(reading, 4)[0]
    plan = plan_of(reading, [RemoveStep(remove.site, "removes the container")])
    assert refusal(plan) == ("build.py", 4, "this statement runs both a step that goes away and one that stays")
