"""A run stage's build arg whose value a script wrote, passed by a Makefile's build: each value in the Makefile's own syntax."""

from __future__ import annotations

from support import make_project, migrate, migrate_leaving_disk_unchanged, texts_after

MAKEFILE = "V = 1\nHOME_DIR = /make\nall:\n\tdocker build -t b -f Dockerfile.build .\n\t./extract.sh\n\tdocker build -t app .\n"
FILES = {"Dockerfile.build": 'FROM alpine:3.19\nCMD ["make"]\n', "Dockerfile": "FROM alpine:3.19\nCOPY app /app\n"}


def extract_sh(env: str) -> str:
    return f"#!/bin/sh\nset -e\ndocker run --name x {env} b\ndocker cp x:/out/app app\ndocker rm x\n"


def test_a_variable_only_the_script_reads_is_not_written_into_the_makefile(tmp_path):
    # In the script $V is the environment's V (unset: the Makefile does not export it); in a recipe make reads
    # $V as its own V, 1.  Written there, the migrated build would pass another value.
    root = make_project(tmp_path / "p", {"Makefile": MAKEFILE, "extract.sh": extract_sh('-e TOKEN="$V"'), **FILES})
    outcome = migrate_leaving_disk_unchanged(root / "Makefile")
    assert (outcome.status, outcome.location.file.name, outcome.location.line) == ("refused", "extract.sh", 3)
    assert outcome.message == "the build arg X_TOKEN gets its value from extract.sh, which Makefile cannot read"


def test_a_variable_the_run_passes_from_the_environment_is_the_shell_s_in_a_recipe(tmp_path):
    # `-e HOME_DIR` passes the environment's HOME_DIR; in a recipe "${HOME_DIR}" would be make's (/make).
    root = make_project(tmp_path / "p", {"Makefile": MAKEFILE, "extract.sh": extract_sh("-e HOME_DIR"), **FILES})
    outcome = migrate(root / "Makefile")
    assert outcome.status == "pending", outcome.message
    assert '\tdocker build --build-arg X_HOME_DIR="$${HOME_DIR}" -t app .\n' in texts_after(outcome, root)["Makefile"]


def test_a_python_driver_whose_run_stage_needs_a_build_arg_is_refused_at_its_runtime_build(tmp_path):
    driver = (
        "import subprocess, sys\n"
        "token = sys.argv[1]\n"
        'subprocess.run(["docker", "build", "-t", "b", "-f", "Dockerfile.build", "."], check=True)\n'
        'subprocess.run(["docker", "run", "--name", "x", "-e", f"TOKEN={token}", "b"], check=True)\n'
        'subprocess.run(["docker", "cp", "x:/out/app", "app"], check=True)\n'
        'subprocess.run(["docker", "rm", "x"], check=True)\n'
        'subprocess.run(["docker", "build", "-t", "app", "."], check=True)\n'
    )
    root = make_project(tmp_path / "p", {"build.py": driver, **FILES})
    outcome = migrate_leaving_disk_unchanged(root / "build.py")
    assert (outcome.status, outcome.location.file.name, outcome.location.line) == ("refused", "build.py", 7)
    assert outcome.message == "the stage that replaces the run at line 4 needs the build arg X_TOKEN, which dmigrate cannot yet write into a Python driver's build"
