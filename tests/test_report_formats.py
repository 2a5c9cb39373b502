"""The machine-readable reports: JSON against its published schema, SARIF 2.1.0 and its fixes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from support import make_project

REPOSITORY = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPOSITORY / "schemas" / "report-v1.json").read_text())

BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nRUN apk add --no-cache ca-certificates\nCOPY app /usr/local/bin/app\nCMD [\"app\"]\n"


def driver(tag: str, extra: str = "") -> str:
    return (
        "#!/bin/sh\nset -e\n"
        f"docker build -t {tag}:build -f Dockerfile.build .\n"
        f"docker create --name {tag}-x {tag}:build\n"
        f"{extra}docker cp {tag}-x:/out/app app\n"
        f"docker rm {tag}-x\n"
        f"docker build -t {tag} .\n"
    )


@pytest.fixture
def org(tmp_path) -> Path:
    root = tmp_path / "org"
    make_project(root / "one", {"build.sh": driver("one"), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    make_project(root / "two", {"build.sh": driver("two"), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME + "EXPOSE 80\n"})
    make_project(root / "refused", {"build.sh": driver("r", "eval true\n").replace("docker cp", "eval docker cp"), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME})
    make_project(root / "done", {"build.sh": "#!/bin/sh\ndocker build -t done .\n", "Dockerfile": RUNTIME})
    return root


def dmigrate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})


_TYPES = {"object": dict, "array": list, "string": str, "integer": int, "null": type(None), "boolean": bool}


def schema_errors(value, schema: dict, where: str = "$") -> list[str]:
    """The subset of JSON Schema that the report schema uses."""
    errors: list[str] = []
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(isinstance(value, _TYPES[t]) and not (t == "integer" and isinstance(value, bool)) for t in types):
            return [f"{where}: {value!r} is not {types}"]
    if isinstance(value, dict):
        errors += [f"{where}: missing {key}" for key in schema.get("required", []) if key not in value]
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            errors += [f"{where}: unexpected {key}" for key in value if key not in properties]
        for key, item in value.items():
            if key in properties:
                errors += schema_errors(item, properties[key], f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{where}[{index}]")
    if "minimum" in schema and isinstance(value, int) and value < schema["minimum"]:
        errors.append(f"{where}: {value} < {schema['minimum']}")
    return errors


def test_schema_checker_finds_mistakes():
    report = {"version": 1, "projects": [{"driver": 3}], "summary": {}, "extra": True}
    errors = schema_errors(report, SCHEMA)
    assert "$: unexpected extra" in errors
    assert "$.projects[0].driver: 3 is not ['string']" in errors
    assert "$.summary: missing pending" in errors


def test_json_report_follows_its_schema(org):
    result = dmigrate("--dry-run", "--format", "json", ".", cwd=org)
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert schema_errors(report, SCHEMA) == []
    entries = {entry["driver"]: entry for entry in report["projects"]}
    assert report["summary"] == {"migrated": 0, "pending": 2, "nothing to do": 1, "refused": 1, "error": 0}
    one = entries["one/build.sh"]
    assert one["kind"] == "shell"
    assert one["stages"][0] == {"name": "builder", "role": "build", "dockerfile": "one/Dockerfile.build"}
    (artifact,) = one["artifacts"]
    assert (artifact["container_path"], artifact["host_path"], artifact["extracted_at"]) == ("/out/app", "app", "one/build.sh:5")
    assert artifact["consumers"] == [{"at": "one/Dockerfile:3", "instruction": "COPY app /usr/local/bin/app", "relation": "itself"}]
    assert one["diff"].startswith("diff --git a/one/Dockerfile b/one/Dockerfile\n")
    refused = entries["refused/build.sh"]
    assert refused["refusals"] and refused["refusals"][0]["location"].startswith("refused/build.sh:")
    assert refused["diff"] == "" and refused["changed_files"] == []


def test_sarif_is_valid_2_1_0_with_one_result_per_pending_project(org):
    result = dmigrate("--check", "--format", "sarif", ".", cwd=org)
    assert result.returncode == 2
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "dmigrate"
    assert [result["ruleId"] for result in run["results"]] == [rules[0]["id"]] * 2
    for finding in run["results"]:
        assert finding["level"] in ("none", "note", "warning", "error")
        assert finding["message"]["text"]
        (location,) = finding["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] in ("one/build.sh", "two/build.sh")
        assert physical["region"]["startLine"] >= 1
        for change in finding["fixes"][0]["artifactChanges"]:
            assert not change["artifactLocation"]["uri"].startswith("/")
            for replacement in change["replacements"]:
                region = replacement["deletedRegion"]
                assert region["byteOffset"] >= 0 and region["byteLength"] >= 0
    (notification,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["message"]["text"].startswith("refused: ")
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "refused/build.sh"


def apply_sarif_fix(root: Path, fix: dict) -> dict[str, bytes | None]:
    """The files a SARIF fix leaves: replacements are byte ranges of the original file, applied back to front."""
    out: dict[str, bytes | None] = {}
    for change in fix["artifactChanges"]:
        path = root / change["artifactLocation"]["uri"]
        data = path.read_bytes() if path.exists() else b""
        for replacement in sorted(change["replacements"], key=lambda r: r["deletedRegion"]["byteOffset"], reverse=True):
            start = replacement["deletedRegion"]["byteOffset"]
            end = start + replacement["deletedRegion"]["byteLength"]
            data = data[:start] + replacement.get("insertedContent", {}).get("text", "").encode() + data[end:]
        out[change["artifactLocation"]["uri"]] = data
    return out


def test_sarif_fixes_make_the_same_files_as_the_patch(org, tmp_path):
    sarif = json.loads(dmigrate("--dry-run", "--format", "sarif", "one", "two", cwd=org).stdout)
    fixed: dict[str, bytes | None] = {}
    for finding in sarif["runs"][0]["results"]:
        fixed.update(apply_sarif_fix(org, finding["fixes"][0]))
    patch = dmigrate("--dry-run", "one", "two", cwd=org).stdout
    applied = subprocess.run(["git", "apply", "-"], input=patch, cwd=org, text=True, capture_output=True)
    assert applied.returncode == 0, applied.stderr
    for name, data in fixed.items():
        path = org / name
        assert (path.read_bytes() if path.exists() else b"") == data, name
    assert sorted(fixed) == ["one/Dockerfile", "one/Dockerfile.build", "one/build.sh", "two/Dockerfile", "two/Dockerfile.build", "two/build.sh"]


def test_reports_go_to_files_cleanly(org, tmp_path):
    """Standard output holds only the report; people's messages stay on standard error."""
    for fmt in ("json", "sarif"):
        result = dmigrate("--check", "--format", fmt, ".", cwd=org)
        json.loads(result.stdout)
        assert "refused" in json.dumps(json.loads(result.stdout))
    text = dmigrate("--dry-run", ".", cwd=org)
    assert text.stdout.startswith("diff --git ")
    assert "projects:" in text.stderr and "projects:" not in text.stdout


def test_sarif_and_patch_agree_for_names_with_spaces_quotes_and_bytes_that_are_not_utf8(tmp_path):
    names = ["with space", 'a "quoted" one', os.fsdecode(b"caf\xe9")]
    for name in names:
        make_project(tmp_path / name, {"build.sh": driver("x"), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME.replace("RUN", "RUN \f")})
    env = {**os.environ, "NO_COLOR": "1"}
    run = [sys.executable, "-m", "migrate", "--dry-run"]
    sarif = subprocess.run([*run, "--format", "sarif", *names], cwd=tmp_path, capture_output=True, env=env)
    assert sarif.returncode == 0 and b"Traceback" not in sarif.stderr, sarif.stderr
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    uris = sorted(change["artifactLocation"]["uri"] for result in results for change in result["fixes"][0]["artifactChanges"])
    assert uris[:3] == ["a%20%22quoted%22%20one/Dockerfile", "a%20%22quoted%22%20one/Dockerfile.build", "a%20%22quoted%22%20one/build.sh"]
    assert "caf%E9/build.sh" in uris
    fixed: dict[str, bytes | None] = {}
    for result in results:
        fix = result["fixes"][0]
        for change in fix["artifactChanges"]:
            change["artifactLocation"]["uri"] = os.fsdecode(urllib.parse.unquote_to_bytes(change["artifactLocation"]["uri"]))
        fixed.update(apply_sarif_fix(tmp_path, fix))
    patch = subprocess.run(run + names, cwd=tmp_path, capture_output=True, env=env).stdout
    applied = subprocess.run(["git", "apply", "-"], input=patch, cwd=tmp_path, capture_output=True)
    assert applied.returncode == 0, applied.stderr
    assert len(fixed) == 9
    for name, data in fixed.items():
        path = tmp_path / name
        assert (path.read_bytes() if path.exists() else b"") == data, name


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_summary_table_on_a_terminal_shows_brackets_as_they_are(monkeypatch):
    from migrate.report import print_summary

    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.delenv("NO_COLOR", raising=False)
    entries = [
        {"driver": "x[/y]/build.sh", "status": "refused", "location": "x[/y]/build.sh:3", "message": "reads [/out]", "changed_files": []},
        {"driver": "[bold]/build.sh", "status": "pending", "location": None, "message": "", "changed_files": ["[bold]/Dockerfile"]},
    ]
    print_summary(entries)
    shown = sys.stderr.getvalue()
    for text in ("x[/y]/build.sh:3: reads [/out]", "[bold]/build.sh", "[bold]/Dockerfile"):
        assert text in shown
