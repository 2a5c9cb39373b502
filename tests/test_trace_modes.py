"""Modes, names and the builder: what the host decides about an artifact that a COPY --from must reproduce.

A host chmod with a setuid, setgid or sticky bit (COPY --chmod drops those),
the umask under which the host writes a file or makes a directory, a renamed
artifact copied to a target that may be a directory of the base image, and a
driver that selects the classic builder, which has no COPY --chmod.
"""

from __future__ import annotations

import pytest

from migrate.read.host_args import UmaskCommand, chmod_mode, made_directory_modes, read_mkdir, read_umask
from support import d, make_project, migrate, migrate_leaving_disk_unchanged, texts_after

BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
STDOUT_BUILD = "FROM alpine:3.19\nRUN mkdir -p /out && echo data > /out/report.txt && chmod 600 /out/report.txt\n"


def driver(*middle: str) -> str:
    return "#!/bin/sh\nset -e\n" + "".join(line + "\n" for line in middle)


def cp_flow(*host_steps: str, destination: str = "app") -> tuple[str, ...]:
    return (
        "docker build -f Dockerfile.build -t app:build .",
        "docker create --name c app:build",
        f"docker cp c:/out/app {destination}",
        "docker rm c",
        *host_steps,
        "docker build -t app .",
    )


def stdout_flow(*before: str, run: str = "docker run --rm app:build cat /out/report.txt > report.txt") -> tuple[str, ...]:
    return (*before, "docker build -f Dockerfile.build -t app:build .", run, "docker build -t app .")


def outcome_of(tmp_path, files: dict[str, str], name: str = "build.sh"):
    root = make_project(tmp_path / "project", files)
    return root, migrate(root / name)


def merged(tmp_path, files: dict[str, str], name: str = "build.sh") -> tuple[str, tuple[str, ...]]:
    root, outcome = outcome_of(tmp_path, files, name)
    assert outcome.status == "pending", f"{outcome.location}: {outcome.message}"
    return texts_after(outcome, root)["Dockerfile"], outcome.plan.decisions


def assert_refused(outcome, file: str, line: int, fragment: str) -> None:
    assert outcome.status == "refused", outcome.message
    assert fragment in outcome.message, outcome.message
    assert outcome.location is not None and (outcome.location.file.name, outcome.location.line) == (file, line), outcome.location
    written = migrate_leaving_disk_unchanged(outcome.driver)
    assert (written.status, written.message) == (outcome.status, outcome.message)


# -- F3: COPY --chmod cannot give setuid, setgid or sticky bits ----------------------------------------------------------

SPECIAL_BITS = ["4755", "2750", "1777", "04711", "u+s", "g+s", "+t", "ug+s"]


@pytest.mark.parametrize("mode", SPECIAL_BITS)
def test_a_host_chmod_with_special_bits_is_refused_at_the_chmod(tmp_path, mode):
    files = {
        "Dockerfile.build": BUILD,
        "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n",
        "build.sh": driver(*cp_flow("chmod 0755 app", f"chmod {mode} app")),
    }
    _, outcome = outcome_of(tmp_path, files)
    assert_refused(outcome, "build.sh", 8, "this chmod gives app the mode")
    assert "with a setuid, setgid or sticky bit, which COPY --chmod drops" in outcome.message


def test_a_host_chmod_that_clears_special_bits_still_migrates(tmp_path):
    files = {
        "Dockerfile.build": BUILD,
        "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n",
        "build.sh": driver(*cp_flow("chmod 4755 app", "chmod u-s app")),
    }
    dockerfile, _ = merged(tmp_path, files)
    assert "COPY --from=builder --chmod=755 /out/app /usr/local/bin/app" in dockerfile


def test_modes_the_host_gives_by_itself_never_carry_special_bits():
    for umask in range(0o1000):
        assert 0o666 & ~umask <= 0o777


# -- F1: the umask the host writes under ---------------------------------------------------------------------------------


def stdout_files(script: str, runtime: str = "FROM alpine:3.19\nCOPY report.txt /report.txt\n") -> dict[str, str]:
    return {"Dockerfile.build": STDOUT_BUILD, "Dockerfile": runtime, "build.sh": script}


UMASK_MODES = [
    # (what, driver, mode the host gives report.txt)
    ("no umask: 022 is assumed", driver(*stdout_flow()), "644"),
    ("umask 027", driver(*stdout_flow("umask 027")), "640"),
    ("umask 0077 with a leading zero", driver(*stdout_flow("umask 0077")), "600"),
    ("the later of two umasks", driver(*stdout_flow("umask 077", "umask 002")), "664"),
    ("umask -S with an octal value", driver(*stdout_flow("umask -S 027")), "640"),
    ("a umask that only prints changes nothing", driver(*stdout_flow("umask 027", "umask", "umask -S")), "640"),
    ("a umask that is only printed", driver(*stdout_flow('echo "umask: $(umask)"')), "644"),
    ("a umask in a subshell ends with it", driver(*stdout_flow("(umask 077; echo hi)")), "644"),
    (
        "a umask in the subshell that writes the file",
        driver("docker build -f Dockerfile.build -t app:build .", "(umask 077; docker run --rm app:build cat /out/report.txt > report.txt)", "docker build -t app ."),
        "600",
    ),
    ("a umask piped into another command is in a subshell", driver(*stdout_flow("umask 077 | cat")), "644"),
    ("a umask run in the background is in a shell of its own", driver(*stdout_flow("umask 077 &")), "644"),
    ("a umask in a brace group stays", driver(*stdout_flow("{ umask 027; }")), "640"),
    ("a umask before the build, after a chain", driver(*stdout_flow("true && umask 027")), "640"),
]


@pytest.mark.parametrize("what, script, mode", UMASK_MODES, ids=[case[0] for case in UMASK_MODES])
def test_a_file_the_host_writes_gets_the_mode_of_the_umask_in_force(tmp_path, what, script, mode):
    dockerfile, decisions = merged(tmp_path, stdout_files(script))
    assert f"COPY --from=builder --chmod={mode} /out/report.txt /report.txt" in dockerfile
    if mode not in ("644",) and "umask" in script:
        assert any(f"so it had mode 0{mode}" in decision and "the umask" in decision for decision in decisions), decisions


def test_a_symbolic_chmod_without_who_uses_the_umask_in_force(tmp_path):
    script = driver(*stdout_flow("umask 077"), "").replace("docker build -t app .", "chmod +x report.txt\ndocker build -t app .")
    dockerfile, _ = merged(tmp_path, stdout_files(script))
    # 0600 from the umask, and +x gives only what the umask lets through: u+x.
    assert "--chmod=700 /out/report.txt" in dockerfile


def test_a_script_the_driver_runs_inherits_its_umask(tmp_path):
    files = stdout_files(driver("umask 027", "docker build -f Dockerfile.build -t app:build .", "./extract.sh", "docker build -t app ."))
    files["extract.sh"] = "#!/bin/sh\ndocker run --rm app:build cat /out/report.txt > report.txt\n"
    dockerfile, _ = merged(tmp_path, files)
    assert "--chmod=640 /out/report.txt /report.txt" in dockerfile


def test_a_umask_in_a_script_the_driver_runs_does_not_reach_back(tmp_path):
    files = stdout_files(driver("./setup.sh", *stdout_flow()))
    files["setup.sh"] = "#!/bin/sh\numask 077\nmkdir -p cache\n"
    dockerfile, _ = merged(tmp_path, files)
    assert "--chmod=644 /out/report.txt /report.txt" in dockerfile


def test_a_script_that_sets_the_umask_and_writes_the_file(tmp_path):
    files = stdout_files(driver("docker build -f Dockerfile.build -t app:build .", "./extract.sh", "docker build -t app ."))
    files["extract.sh"] = "#!/bin/sh\numask 007\ndocker run --rm app:build cat /out/report.txt > report.txt\n"
    dockerfile, _ = merged(tmp_path, files)
    assert "--chmod=660 /out/report.txt /report.txt" in dockerfile


UMASK_REFUSED = [
    # (what, files, file, line, fragment)
    ("a umask under an if", stdout_files(driver(*stdout_flow('if [ -n "$CI" ]; then umask 077; fi')))),
    ("a symbolic umask", stdout_files(driver(*stdout_flow("umask u=rwx,g=rx,o=")))),
    ("a umask from a variable", stdout_files(driver(*stdout_flow('umask "$MASK"')))),
    ("a umask in a function", stdout_files(driver("tight() { umask 077; }", *stdout_flow("tight")))),
    ("a umask in sh -c", stdout_files(driver(*stdout_flow("sh -c 'umask 077; exec make'")))),
]


@pytest.mark.parametrize("what, files", UMASK_REFUSED, ids=[case[0] for case in UMASK_REFUSED])
def test_a_umask_that_cannot_be_known_is_refused_where_it_is_set(tmp_path, what, files):
    _, outcome = outcome_of(tmp_path, files)
    line = next(number for number, text in enumerate(files["build.sh"].splitlines(), start=1) if "umask" in text)
    assert_refused(outcome, "build.sh", line, "the mode the host writes report.txt with (build.sh:")


def test_an_unknown_umask_does_not_matter_once_a_chmod_sets_an_octal_mode(tmp_path):
    script = driver(*stdout_flow('umask "$MASK"')).replace("docker build -t app .", "chmod 0640 report.txt\ndocker build -t app .")
    dockerfile, _ = merged(tmp_path, stdout_files(script))
    assert "--chmod=640 /out/report.txt /report.txt" in dockerfile


def test_an_unknown_umask_and_a_symbolic_chmod_without_who_are_refused(tmp_path):
    files = {
        "Dockerfile.build": BUILD,
        "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n",
        "build.sh": driver('umask "$MASK"', *cp_flow("chmod 0600 app", "chmod +x app")),
    }
    _, outcome = outcome_of(tmp_path, files)
    assert_refused(outcome, "build.sh", 3, "and `chmod +x app` (build.sh:9) gives app a mode that depends on it")


def test_a_python_driver_that_sets_the_umask_is_refused_at_that_line(tmp_path):
    files = stdout_files("")
    del files["build.sh"]
    files["build.py"] = d(
        """
        import os
        import subprocess

        os.umask(0o077)
        subprocess.run(["docker", "build", "-f", "Dockerfile.build", "-t", "app:build", "."], check=True)
        subprocess.run("docker run --rm app:build cat /out/report.txt > report.txt", shell=True, check=True)
        subprocess.run(["docker", "build", "-t", "app", "."], check=True)
        """
    )
    _, outcome = outcome_of(tmp_path, files, "build.py")
    assert_refused(outcome, "build.py", 4, "build.py:4 sets a umask in a way dmigrate does not follow, and the mode the host writes report.txt")


MAKEFILE_CASES = [
    # (what, recipe lines, .ONESHELL, mode)
    ("the umask on the recipe line that writes the file", ["umask 027; docker run --rm app:build cat /out/report.txt > report.txt"], False, "640"),
    ("a umask on a recipe line of its own ends with that line", ["umask 027", "docker run --rm app:build cat /out/report.txt > report.txt"], False, "644"),
    ("under .ONESHELL the recipe is one shell", ["umask 027", "docker run --rm app:build cat /out/report.txt > report.txt"], True, "640"),
]


@pytest.mark.parametrize("what, lines, oneshell, mode", MAKEFILE_CASES, ids=[case[0] for case in MAKEFILE_CASES])
def test_a_makefile_umask_reaches_only_its_own_shell(tmp_path, what, lines, oneshell, mode):
    recipe = "".join(f"\t{line}\n" for line in ["docker build -f Dockerfile.build -t app:build .", *lines, "docker build -t app ."])
    makefile = (".ONESHELL:\n" if oneshell else "") + "all:\n" + recipe
    files = stdout_files("")
    del files["build.sh"]
    files["Makefile"] = makefile
    dockerfile, _ = merged(tmp_path, files, "Makefile")
    assert f"--chmod={mode} /out/report.txt /report.txt" in dockerfile


def test_a_makefile_umask_in_another_rule_does_not_reach_this_one(tmp_path):
    makefile = d(
        """
        all: prepare image
        prepare:
        \tumask 077; mkdir -p cache
        image:
        \tdocker build -f Dockerfile.build -t app:build .
        \tdocker run --rm app:build cat /out/report.txt > report.txt
        \tdocker build -t app .
        """
    )
    files = stdout_files("")
    del files["build.sh"]
    files["Makefile"] = makefile
    dockerfile, _ = merged(tmp_path, files, "Makefile")
    assert "--chmod=644 /out/report.txt /report.txt" in dockerfile


# Directories the host makes: a COPY of the directory that holds the artifact copies them with their modes.
STAGE_RUNTIME = "FROM alpine:3.19\nCOPY stage/ /opt/app/\n"


def stage_flow(*prepare: str) -> str:
    return driver(
        "docker build -f Dockerfile.build -t app:build .",
        "rm -rf stage",
        *prepare,
        "docker create --name c app:build",
        "docker cp c:/out/app stage/etc/app",
        "docker rm c",
        "docker build -t app .",
        "rm -rf stage",
    )


def test_a_directory_the_host_makes_under_the_default_umask_migrates(tmp_path):
    dockerfile, _ = merged(tmp_path, {"Dockerfile.build": BUILD, "Dockerfile": STAGE_RUNTIME, "build.sh": stage_flow("mkdir -p stage/etc")})
    assert "COPY --from=builder /out/app /opt/app/etc/app" in dockerfile


@pytest.mark.parametrize(
    "prepare, line, fragment",
    [
        (("umask 027", "mkdir -p stage/etc"), 6, "`mkdir -p stage/etc` makes stage/etc with mode 0750"),
        (("mkdir -p stage", "mkdir -m 700 stage/etc"), 6, "`mkdir -m 700 stage/etc` makes stage/etc with mode 0700"),
        (('umask "$MASK"', "mkdir -p stage/etc"), 5, "makes stage/etc with the mode it leaves, which Dockerfile:2 copies"),
    ],
    ids=["under umask 027", "mkdir -m 700", "under a umask that cannot be known"],
)
def test_a_directory_the_host_makes_with_another_mode_is_refused(tmp_path, prepare, line, fragment):
    files = {"Dockerfile.build": BUILD, "Dockerfile": STAGE_RUNTIME, "build.sh": stage_flow(*prepare)}
    _, outcome = outcome_of(tmp_path, files)
    assert_refused(outcome, "build.sh", line, fragment)


def test_the_top_directory_of_a_copy_takes_no_mode_from_the_host(tmp_path):
    dockerfile, _ = merged(tmp_path, {"Dockerfile.build": BUILD, "Dockerfile": STAGE_RUNTIME, "build.sh": stage_flow("umask 077", "mkdir stage", "umask 022", "mkdir stage/etc")})
    assert "COPY --from=builder /out/app /opt/app/etc/app" in dockerfile


def test_host_mode_rules():
    assert read_umask(["umask"]) is None
    assert read_umask(["umask", "-S"]) is None
    assert read_umask(["umask", "0027"]) == UmaskCommand(0o027)
    assert read_umask(["umask", "g-w"]) == UmaskCommand(None)
    assert read_mkdir(["mkdir", "-pm", "750", "a/b"]).mode == "750"
    assert read_mkdir(["mkdir", "--mode=go-w", "-p", "a"]).parents
    assert read_mkdir(["mkdir", "--mode", "700", "a"]).mode == "700"
    assert read_mkdir(["mkdir", "-Z", "a"]) is None
    assert made_directory_modes(read_mkdir(["mkdir", "-p", "a/b"]), 0o077) == (0o700, 0o700)
    assert made_directory_modes(read_mkdir(["mkdir", "-p", "a/b"]), 0o277) == (0o500, 0o700)
    assert made_directory_modes(read_mkdir(["mkdir", "-m", "g+w", "a"]), 0o027) == (0o777, 0o750 | 0o300)
    # chmod with no u/g/o/a: the umask decides which bits it touches (measured with GNU chmod).
    assert chmod_mode("=r", 0o777, umask=0o022) == 0o444
    assert chmod_mode("+x", 0o600, umask=0o027) == 0o710
    assert chmod_mode("-s", 0o4755, umask=0o077) == 0o755
    assert chmod_mode("+x", 0o600, umask=None) is None
    assert chmod_mode("u+x", 0o600, umask=None) == 0o700


# -- F10: a renamed artifact copied to a target without a trailing slash --------------------------------------------------

RENAMED = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app-linux-amd64 .\n"


def renamed_files(runtime: str) -> dict[str, str]:
    return {
        "Dockerfile.build": RENAMED,
        "Dockerfile": runtime,
        "build.sh": driver(
            "docker build -f Dockerfile.build -t app:build .",
            "docker create --name c app:build",
            "docker cp c:/out/app-linux-amd64 app",
            "docker rm c",
            "docker build -t app .",
            "rm -f app",
        ),
    }


RENAMED_KEPT = [
    # (what, runtime Dockerfile, COPY it becomes, the assumption noted or None)
    ("a standard directory", "FROM alpine:3.19\nCOPY app /usr/local/bin\n", "COPY --from=builder /out/app-linux-amd64 /usr/local/bin/app", None),
    (
        "a directory a RUN of the stage makes",
        "FROM nginx:1.25\nRUN mkdir -p /made/here\nCOPY app /made/here\n",
        "COPY --from=builder /out/app-linux-amd64 /made/here/app",
        None,
    ),
    ("a trailing slash", "FROM nginx:1.25\nCOPY app /etc/nginx/\n", "COPY --from=builder /out/app-linux-amd64 /etc/nginx/app", None),
    (
        "a target that names the file",
        "FROM nginx:1.25\nCOPY app /usr/local/bin/app\n",
        "COPY --from=builder /out/app-linux-amd64 /usr/local/bin/app",
        "assumed /usr/local/bin/app is not a directory in the base image nginx:1.25",
    ),
    (
        "a relative target that names the file",
        "FROM nginx:1.25\nWORKDIR /srv\nCOPY app app\n",
        "COPY --from=builder /out/app-linux-amd64 app",
        "assumed /srv/app is not a directory in the base image nginx:1.25",
    ),
    ("FROM scratch holds nothing", "FROM scratch\nCOPY app /server\n", "COPY --from=builder /out/app-linux-amd64 /server", None),
]


@pytest.mark.parametrize("what, runtime, copy, noted", RENAMED_KEPT, ids=[case[0] for case in RENAMED_KEPT])
def test_a_renamed_artifact_whose_target_is_known_or_named_after_it_migrates(tmp_path, what, runtime, copy, noted):
    dockerfile, decisions = merged(tmp_path, renamed_files(runtime))
    assert copy in dockerfile
    assumed = [decision for decision in decisions if "is not a directory in the base image" in decision]
    assert assumed == ([f"Dockerfile:{runtime.count(chr(10))}: {noted} (if it were, the artifact would land in it as app-linux-amd64, not app)"] if noted else [])


RENAMED_REFUSED = [
    ("a directory of the base image", "FROM nginx:1.25\nCOPY app /etc/nginx\n", 2, "/etc/nginx"),
    ("a path under a standard directory", "FROM alpine:3.19\nCOPY app /srv/tool\n", 2, "/srv/tool"),
    ("a relative target", "FROM nginx:1.25\nWORKDIR /usr/share\nCOPY app nginx\n", 3, "/usr/share/nginx"),
    ("FROM scratch with something at the target", "FROM scratch\nCOPY conf /server\nCOPY app /server\n", 3, "/server"),
]


@pytest.mark.parametrize("what, runtime, line, target", RENAMED_REFUSED, ids=[case[0] for case in RENAMED_REFUSED])
def test_a_renamed_artifact_copied_to_a_target_that_may_be_a_directory_is_refused(tmp_path, what, runtime, line, target):
    files = renamed_files(runtime)
    files["conf"] = "x\n"
    _, outcome = outcome_of(tmp_path, files)
    assert_refused(
        outcome, "Dockerfile", line, f"app is /out/app-linux-amd64 renamed on the host, and dmigrate cannot tell whether {target} is a directory"
    )
    assert f"write `{target.rsplit('/', 1)[-1] if 'WORKDIR' in runtime else target}/`" in outcome.message


def test_a_renamed_directory_lands_the_same_in_any_target(tmp_path):
    files = renamed_files("FROM nginx:1.25\nCOPY app /etc/nginx\n")
    files["Dockerfile.build"] = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app-linux-amd64/ ./...\n"
    dockerfile, decisions = merged(tmp_path, files)
    assert "COPY --from=builder /out/app-linux-amd64 /etc/nginx" in dockerfile
    assert not any("is not a directory in the base image" in decision for decision in decisions)


# -- F14: the classic builder has no COPY --chmod ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting, line",
    [
        ("export DOCKER_BUILDKIT=0", 3),
        ("DOCKER_BUILDKIT=false; export DOCKER_BUILDKIT", 3),
        ('export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"', 3),
    ],
)
def test_a_driver_that_selects_the_classic_builder_gets_no_copy_chmod(tmp_path, setting, line):
    _, outcome = outcome_of(tmp_path, stdout_files(driver(setting, *stdout_flow())))
    assert_refused(outcome, "build.sh", line, "may make docker build with the classic builder, which rejects COPY --chmod")
    assert "the migrated Dockerfile needs `COPY --from=builder --chmod=644 /out/report.txt /report.txt`" in outcome.message


def test_the_classic_builder_chosen_for_one_build_is_refused_at_that_line(tmp_path):
    script = driver(*stdout_flow()).replace("docker build -t app .", "DOCKER_BUILDKIT=0 docker build -t app .")
    _, outcome = outcome_of(tmp_path, stdout_files(script))
    assert_refused(outcome, "build.sh", 5, "`DOCKER_BUILDKIT=0` may make docker build with the classic builder")


def test_a_makefile_that_exports_the_classic_builder_is_refused(tmp_path):
    files = stdout_files("")
    del files["build.sh"]
    files["Makefile"] = d(
        """
        export DOCKER_BUILDKIT ?= 0
        all:
        \tdocker build -f Dockerfile.build -t app:build .
        \tdocker run --rm app:build cat /out/report.txt > report.txt
        \tdocker build -t app .
        """
    )
    _, outcome = outcome_of(tmp_path, files, "Makefile")
    assert_refused(outcome, "Makefile", 1, "`DOCKER_BUILDKIT ?= 0` may make docker build with the classic builder")


@pytest.mark.parametrize("setting", ["export DOCKER_BUILDKIT=0", "export DOCKER_BUILDKIT=1"])
def test_a_migration_without_buildkit_flags_works_with_either_builder(tmp_path, setting):
    files = {"Dockerfile.build": BUILD, "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n", "build.sh": driver(setting, *cp_flow())}
    dockerfile, _ = merged(tmp_path, files)
    assert "COPY --from=builder /out/app /usr/local/bin/app" in dockerfile


def test_buildkit_selected_explicitly_keeps_copy_chmod(tmp_path):
    dockerfile, _ = merged(tmp_path, stdout_files(driver("export DOCKER_BUILDKIT=1", *stdout_flow())))
    assert "--chmod=644" in dockerfile


def test_the_note_on_a_host_written_file_names_the_umask_in_force(tmp_path):
    _, decisions = merged(tmp_path, stdout_files(driver(*stdout_flow("umask 027"))))
    assert any("so it had mode 0640 (umask 027); the COPY --from keeps it with --chmod=640" in decision for decision in decisions), decisions


def test_a_umask_beside_a_bind_mount_of_the_project_is_no_use_of_the_artifact(tmp_path):
    files = {
        "go.mod": "module example.com/a\n\ngo 1.21\n",
        "main.go": "package main\n\nfunc main() {}\n",
        "Dockerfile": "FROM alpine:3.19\nCOPY app /usr/bin/app\n",
        "build.sh": driver("umask 022", 'docker run --rm -v "$(pwd)":/src -w /src golang:1.21 go build -o app .', "docker build -t app ."),
    }
    merged(tmp_path, files)
