"""Build args that a `docker run` in a Makefile recipe becomes are written in make's syntax, so make hands the shell what it did."""

from __future__ import annotations

import pytest

from support import make_project, migrate, texts_after

RUNTIME = "FROM alpine:3.19\nCOPY app /usr/bin/app\n"
SOURCES = {"go.mod": "module example.com/a\n\ngo 1.21\n", "main.go": "package main\n\nfunc main() {}\n", "Dockerfile": RUNTIME}


@pytest.mark.parametrize(
    "flags, prelude, build_args",
    [
        ('-u "$$(id -u):$$(id -g)"', "", '--build-arg GOLANG_RUN_USER="$$(id -u):$$(id -g)"'),
        ("-u $(UID)", "UID := $(shell id -u)\n", "--build-arg GOLANG_RUN_USER=$(UID)"),
        ('-e CFLAGS="$$EXTRA -O2"', "", '--build-arg GOLANG_RUN_CFLAGS="$$EXTRA -O2"'),
        ("-e GOARCH", "export GOARCH\n", '--build-arg GOLANG_RUN_GOARCH="$${GOARCH}"'),
    ],
    ids=["shell substitution", "make variable", "shell variable", "environment"],
)
def test_run_stage_build_args_keep_makes_escapes(tmp_path, flags, prelude, build_args):
    makefile = (
        f"{prelude}image:\n"
        f'\tdocker run --rm {flags} -v "$$PWD":/src -w /src golang:1.21 go build -o app .\n'
        "\tdocker build -t app:latest .\n"
    )
    root = make_project(tmp_path / "p", {**SOURCES, "Makefile": makefile})
    outcome = migrate(root / "Makefile")
    assert outcome.status == "pending", outcome.message
    assert texts_after(outcome, root)["Makefile"] == f"{prelude}image:\n\tdocker build {build_args} -t app:latest .\n"
