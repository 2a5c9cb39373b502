"""A Python driver's directory that the migration no longer fills: its os.makedirs stays while the driver still enters it."""

from __future__ import annotations

import pytest

from support import make_project, migrate, texts_after

BUILD = "FROM golang:1.21\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY dist/app /usr/local/bin/app\n"
HEAD = 'import os\nimport subprocess\n\nsubprocess.run(["docker", "build", "-t", "b", "-f", "Dockerfile.build", "."], check=True)\n'
EXTRACT = (
    'os.makedirs("dist", exist_ok=True)\n'
    'subprocess.run(["docker", "create", "--name", "x", "b"], check=True)\n'
    'subprocess.run(["docker", "cp", "x:/out/app", "."], check=True, cwd="dist")\n'
)
TAIL = 'subprocess.run(["docker", "rm", "x"], check=True)\nsubprocess.run(["docker", "build", "-t", "app", "."], check=True)\n'


@pytest.mark.parametrize(
    "driver, after, note",
    [
        (
            HEAD + EXTRACT + TAIL,
            'import subprocess\n\nsubprocess.run(["docker", "build", "-t", "app", "."], check=True)\n',
            None,
        ),
        (
            HEAD + EXTRACT + 'os.chdir("dist")\nos.chdir("..")\n' + TAIL,
            'import os\nimport subprocess\n\nos.makedirs("dist", exist_ok=True)\nos.chdir("dist")\nos.chdir("..")\n'
            'subprocess.run(["docker", "build", "-t", "app", "."], check=True)\n',
            "build.py:5: the mkdir of dist stays: the driver still changes into dist",
        ),
    ],
    ids=["cwd= goes with its call", "os.chdir stays"],
)
def test_makedirs_stays_only_while_the_driver_still_enters_the_directory(tmp_path, driver, after, note):
    root = make_project(tmp_path / "project", {"build.py": driver, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    outcome = migrate(root / "build.py")
    assert outcome.status == "pending", outcome.message
    assert texts_after(outcome, root)["build.py"] == after
    assert [d for d in outcome.plan.decisions if "stays" in d] == ([note] if note else [])
