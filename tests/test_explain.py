"""``dmigrate --explain``: the traced flow as a tree or JSON, and nothing changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import make_project

BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\nCMD [\"app\"]\n"
DRIVER = (
    "#!/bin/sh\n"
    "docker build --build-arg V=1 -t app:build -f Dockerfile.build .\n"
    "docker create --name x app:build\n"
    "docker cp x:/out/app app\n"
    "docker rm x\n"
    "docker build -t app:latest .\n"
)


def dmigrate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path / "p", {"build.sh": DRIVER, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


def test_json_shows_builds_containers_artifacts_and_the_stage_graph(project):
    before = snapshot(project)
    result = dmigrate("--explain", "--format", "json", ".", cwd=project)
    assert result.returncode == 0, result.stderr
    assert snapshot(project) == before
    (item,) = json.loads(result.stdout)["projects"]
    assert item["driver"] == "build.sh" and item["result"] == "migration"
    first, second = item["builds"]
    assert first == {
        "at": "build.sh:2",
        "dockerfile": "Dockerfile.build",
        "context": ".",
        "tags": ["app:build"],
        "build_args": ["--build-arg V=1"],
        "target": None,
        "stage": "0",
        "guard": None,
    }
    assert second["dockerfile"] == "Dockerfile" and second["tags"] == ["app:latest"]
    (container,) = item["containers"]
    assert container == {"at": "build.sh:3", "name": "x", "image": "app:build", "built_at": "build.sh:2", "runs": False, "removed_at": ["build.sh:5"]}
    (artifact,) = item["artifacts"]
    assert artifact["container_path"] == "/out/app" and artifact["host_path"] == "app" and artifact["extracted_at"] == "build.sh:4"
    assert artifact["consumers"] == [{"at": "Dockerfile:2", "instruction": "COPY app /usr/local/bin/app", "relation": "itself"}]
    builder, final = item["stages"]
    assert (builder["name"], builder["base"], builder["copies"]) == ("builder", "golang:1.21", [])
    assert final["copies"] == [{"from": "builder", "paths": ["/out/app"], "to": "/usr/local/bin/app", "at": "Dockerfile:7"}]
    assert final["base_is_stage"] is False


def test_text_is_a_tree_naming_each_step(project):
    result = dmigrate("--explain", ".", cwd=project)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        "build.sh (shell)",
        "build.sh:2  docker build -f Dockerfile.build .",
        "build.sh:3  create x from app:build",
        "/out/app → app  (build.sh:4)",
        "read by Dockerfile:2  COPY app /usr/local/bin/app  [itself]",
        "Dockerfile:7  ← builder: /out/app → /usr/local/bin/app",
    ):
        assert expected in out, expected


def test_a_refused_project_shows_the_flow_up_to_the_refusal(project):
    (project / "build.sh").write_text(DRIVER.replace("docker rm x\n", "docker rm x\ncat app > copy\n"))
    result = dmigrate("--explain", "--format", "json", ".", cwd=project)
    (item,) = json.loads(result.stdout)["projects"]
    assert item["result"] == "refused"
    assert item["refusal"].startswith("build.sh:")
    assert item["artifacts"][0]["container_path"] == "/out/app"


def test_a_refused_project_notes_a_path_make_and_the_tracer_both_assume_absent_once(tmp_path):
    makefile = (
        "all: image\napp:\n\tdocker build -t b -f Dockerfile.build .\n\tdocker create --name x b\n\tdocker cp x:/out/app app\n"
        "\tdocker rm x\n\tcat app > copy\nimage: app\n\tdocker build -t app .\n"
    )
    root = make_project(tmp_path / "p", {"Makefile": makefile, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    result = dmigrate("--explain", "--format", "json", ".", cwd=root)
    (item,) = json.loads(result.stdout)["projects"]
    assert item["result"] == "refused"
    assert [note for note in item["notes"] if "assumed app does not exist" in note] == [
        "Makefile:5: assumed app does not exist before the driver runs (git does not track it)"
    ]


def test_explain_refuses_to_be_combined_with_a_change(project):
    result = dmigrate("--explain", "--dry-run", ".", cwd=project)
    assert result.returncode == 2
    assert "--explain" in result.stderr


def test_a_refusal_exits_2_as_it_does_without_explain(project):
    (project / "build.sh").write_text(DRIVER.replace("docker cp", "eval docker cp"))
    result = dmigrate("--explain", ".", cwd=project)
    assert result.returncode == 2
    assert "refused: build.sh:4:" in result.stdout


def test_a_refusal_while_writing_the_files_is_a_refusal(project, monkeypatch):
    import migrate.emit
    from migrate.errors import Location, Refusal
    from migrate.explain import explain_driver

    def refusing(plan, **options):
        raise Refusal(Location(project / "build.sh", 2), "the rewritten driver would not parse")

    monkeypatch.setattr(migrate.emit, "emit", refusing)
    item = explain_driver(project / "build.sh", project)
    assert (item["result"], item["refusal"], item["stages"]) == ("refused", "build.sh:2: the rewritten driver would not parse", [])


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_every_kind_of_result_is_shown_and_has_every_key(tmp_path, output_format):
    make_project(tmp_path / "plain", {"README": "no driver here\n"})
    make_project(tmp_path / "broken", {"build.sh": "#!/bin/sh\ndocker build -t a -f Dockerfile.build .\nif then fi\n"})
    result = dmigrate("--explain", "--format", output_format, "plain", "broken", "missing", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    if output_format == "text":
        assert "plain\n└── nothing to do: no driver that calls docker here\n" in result.stdout
        assert "missing\n└── error: no such file or directory\n" in result.stdout
        return
    items = json.loads(result.stdout)["projects"]
    assert [(item["driver"], item["result"]) for item in items] == [("plain", "nothing to do"), ("broken/build.sh", "error"), ("missing", "error")]
    assert len({tuple(item) for item in items}) == 1, "every explanation has the same keys"
