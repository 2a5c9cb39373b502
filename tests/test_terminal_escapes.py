"""Names from a repository are shown as text, never sent to the terminal as commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from migrate.terminal import printable
from support import make_project

BUILD = "FROM golang:1.21\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"
DRIVER = (
    "#!/bin/sh\n"
    "docker build -t app:build -f Dockerfile.build .\n"
    "docker create --name c app:build\n"
    "docker cp c:/out/app app\n"
    "docker rm c\n"
    "docker build -t app .\n"
)
HOSTILE = "evil\x1b]0;owned\x07\x1b[2J\u202e"


def dmigrate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, env=env, timeout=60)


def test_printable_escapes_controls_and_keeps_text():
    assert printable("services/web/build.sh") == "services/web/build.sh"
    assert printable("a\x1b[31mb\nc\x07\u202ed\udcff") == "a\\e[31mb\\nc\\x07\\u202ed\\xff"
    assert printable("tab\tand ünïcode") == "tab\tand ünïcode"


def test_escape_sequences_in_names_reach_the_terminal_escaped(tmp_path):
    org = tmp_path / "org"
    make_project(org / HOSTILE, {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME + "COPY missing /x\n"})
    make_project(org / "plain", {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    for mode in (["--check"], ["--explain"]):
        result = dmigrate(*mode, ".", cwd=org)
        shown = (result.stdout + result.stderr).decode("utf-8")
        assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown, shown
        assert "evil\\e]0;owned\\x07\\e[2J\\u202e" in shown, shown


def test_json_keeps_the_name_exact(tmp_path):
    org = tmp_path / "org"
    make_project(org / HOSTILE, {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    result = dmigrate("--dry-run", "--format", "json", ".", cwd=org)
    assert b"\x1b" not in result.stdout
    assert [entry["driver"] for entry in json.loads(result.stdout)["projects"]] == [f"{HOSTILE}/build.sh"]
