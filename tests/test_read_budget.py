"""Each project's reading has a time budget: a script that makes the parser crawl is that project's error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from migrate.read import budget
from support import make_project, migrate

STRAY = "2>&1 f() { ; f() { EOF >( [[ #c\n | EOF if x; then <<EOF case x in done =( "
"""A unit that makes tree-sitter-bash's error recovery grow with the square of the script's size (650 of them take seconds)."""


def pathological_script(units: int = 650) -> str:
    return "#!/bin/sh\ndocker build -t app .\n" + STRAY * units


GOOD = (
    "#!/bin/sh\n"
    "docker build -t app:build -f Dockerfile.build .\n"
    "docker create --name c app:build\n"
    "docker cp c:/out/app app\n"
    "docker rm c\n"
    "docker build -t app .\n"
)
BUILD = "FROM golang:1.21\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"


@pytest.fixture
def short_budget(monkeypatch):
    monkeypatch.setattr(budget, "READ_BUDGET_SECONDS", 0.2)


def test_a_script_too_slow_to_parse_is_an_error_naming_the_budget(tmp_path, short_budget):
    project = make_project(tmp_path / "p", {"build.sh": pathological_script(1000), "Dockerfile": RUNTIME})
    started = time.monotonic()
    outcome = migrate(project / "build.sh")
    # The parse is stopped at the deadline, not judged after it: unbounded, this one takes several seconds.
    assert time.monotonic() - started < 3
    assert outcome.status == "error"
    assert outcome.location.file == project / "build.sh"
    assert outcome.message.startswith("too complex to read in 0.2 s")


def test_the_batch_goes_on_past_a_project_over_budget(tmp_path, short_budget, monkeypatch):
    from migrate import batch

    org = tmp_path / "org"
    make_project(org / "slow", {"build.sh": pathological_script(), "Dockerfile": RUNTIME})
    make_project(org / "good", {"build.sh": GOOD, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    monkeypatch.chdir(org)
    started = time.monotonic()
    result = batch.run([Path(".")], jobs=1)
    elapsed = time.monotonic() - started
    by_driver = {entry["driver"]: entry for entry in result.entries}
    assert by_driver["good/build.sh"]["status"] == "pending"
    assert by_driver["slow/build.sh"]["status"] == "error"
    assert "too complex to read in 0.2 s" in by_driver["slow/build.sh"]["message"]
    # Discovery and the migration together spend the budget once, not once each (a loose bound: no timing precision is asked).
    assert elapsed < 10


def test_the_walk_checks_the_budget_between_statements(tmp_path, monkeypatch):
    """A script that parses quickly but takes long to walk stops at the deadline too."""
    from migrate.read.shell import read_shell

    monkeypatch.setattr(budget, "READ_BUDGET_SECONDS", 0.0)
    path = tmp_path / "build.sh"
    with pytest.raises(budget.TooComplex) as stop, budget.project_budget(path):
        time.sleep(0.01)
        read_shell(path, "echo one\necho two\n")
    assert stop.value.location.file == path
