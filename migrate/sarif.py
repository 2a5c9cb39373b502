"""``--format sarif``: pending migrations as SARIF 2.1.0 results, each with its fix.

Code-scanning dashboards show one result per project that can be migrated,
at the driver's first line that the migration changes; paths are relative
to the directory dmigrate ran in (the repository root, in CI).  The fix replaces
each changed hunk of each file (byte ranges of the file as it is now) with
its new text; a deleted file's fix removes all of its bytes.  Refusals and
errors are not findings about the code but about the run, so they go to the
invocation's notifications.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import migrate
from migrate.migration import ERROR, PENDING, REFUSED

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json"
RULE_ID = "DM001"
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def sarif_report(entries: list[dict], cwd: Path) -> dict:
    results = [_result(entry, cwd) for entry in entries if entry["status"] == PENDING and entry["diff"]]
    notifications = [
        {
            "level": "error" if entry["status"] == ERROR else "warning",
            "message": {"text": f"{entry['status']}: {entry['message']}"},
            "locations": [_location(entry["location"] or entry["driver"])],
        }
        for entry in entries
        if entry["status"] in (REFUSED, ERROR)
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dmigrate",
                        "version": migrate.__version__,
                        "rules": [
                            {
                                "id": RULE_ID,
                                "name": "BuilderPatternBuild",
                                "shortDescription": {"text": "Builder-pattern Docker build that can be one multi-stage build"},
                                "fullDescription": {
                                    "text": "The driver builds an image, copies artifacts out of a container with docker cp and "
                                    "builds a second image from them. dmigrate proved that one multi-stage Dockerfile "
                                    "builds the same image; the fix applies that migration."
                                },
                                "defaultConfiguration": {"level": "warning"},
                                "help": {"text": "Apply the fix, or run `dmigrate PATH` and review the change."},
                            }
                        ],
                    }
                },
                "invocations": [{"executionSuccessful": not any(e["status"] == ERROR for e in entries), "toolExecutionNotifications": notifications}],
                "results": results,
            }
        ],
    }


def _location(where: str) -> dict:
    path, line = _split_location(where)
    physical: dict = {"artifactLocation": {"uri": _uri(path)}}
    if line is not None:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _split_location(where: str) -> tuple[str, int | None]:
    path, sep, line = where.rpartition(":")
    if sep and line.isdigit():
        return path, int(line)
    return where, None


def _uri(path: str) -> str:
    from urllib.parse import quote

    # A name that is not UTF-8 keeps its own bytes, percent-encoded.
    return quote(path.replace(os.sep, "/"), errors="surrogateescape")


def _result(entry: dict, cwd: Path) -> dict:
    files = _split_diff(entry["diff"], entry["changed_files"])
    driver_line = next((hunks[0][0] for name, (_kind, hunks) in files.items() if name == entry["driver"] and hunks), 1)
    changed = ", ".join(entry["changed_files"])
    return {
        "ruleId": RULE_ID,
        "ruleIndex": 0,
        "level": "warning",
        "message": {"text": f"This builder-pattern build can be one multi-stage Dockerfile: dmigrate would change {changed}."},
        "locations": [_location(f"{entry['driver']}:{max(driver_line, 1)}")],
        "partialFingerprints": {"dmigrateDriver/v1": entry["driver"]},
        "fixes": [
            {
                "description": {"text": entry["message"] or "Migrate to one multi-stage Dockerfile"},
                "artifactChanges": [_artifact_change(name, kind, hunks, cwd) for name, (kind, hunks) in files.items()],
            }
        ],
    }


def _split_diff(diff: str, names: list[str]) -> dict[str, tuple[str, list[tuple[int, int, list[str]]]]]:
    """Per file of a patch: ``modified``/``new``/``deleted`` and its hunks as (old start, old count, new lines).

    The patch holds one file for each of ``names``, in that order; its own
    headers spell the names as git does (quoted, with a tab) and are not read.
    """
    files: dict[str, tuple[str, list]] = {}
    following = iter(names)
    name = ""
    lines = diff.split("\n")[:-1]
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("diff --git "):
            name = next(following)
            files[name] = ("modified", [])
        elif line.startswith("new file mode"):
            files[name] = ("new", files[name][1])
        elif line.startswith("deleted file mode"):
            files[name] = ("deleted", files[name][1])
        elif line.startswith("@@"):
            match = _HUNK.match(line)
            assert match is not None
            old_start = int(match.group(1))
            old_count = int(match.group(2)) if match.group(2) is not None else 1
            new_lines: list[str] = []
            index += 1
            while index < len(lines) and not lines[index].startswith(("@@", "diff --git ")):
                body = lines[index]
                if body.startswith("\\"):
                    if new_lines and body.startswith("\\ No newline") and lines[index - 1][:1] in (" ", "+"):
                        new_lines[-1] = new_lines[-1][:-1]
                elif body[:1] in (" ", "+"):
                    new_lines.append(body[1:] + "\n")
                index += 1
            files[name][1].append((old_start, old_count, new_lines))
            continue
        index += 1
    return files


def _artifact_change(name: str, kind: str, hunks: list, cwd: Path) -> dict:
    location = {"uri": _uri(name)}
    if kind == "new":
        text = "".join(line for _start, _count, new in hunks for line in new)
        return {"artifactLocation": location, "replacements": [{"deletedRegion": {"byteOffset": 0, "byteLength": 0}, "insertedContent": {"text": text}}]}
    try:
        data = (cwd / name).read_bytes()
    except OSError:
        data = b""
    # Where each line starts, as git counts lines (only a newline ends one), and the end.
    starts = [0] + [match.end() for match in re.finditer(b"\n", data)]
    if not data.endswith(b"\n") and data:
        starts.append(len(data))
    replacements = []
    for old_start, old_count, new_lines in hunks:
        first = max(old_start, 1) - 1 if old_count else old_start
        first = min(first, len(starts) - 1)
        last = min(first + old_count, len(starts) - 1)
        replacement: dict = {"deletedRegion": {"byteOffset": starts[first], "byteLength": starts[last] - starts[first]}}
        if kind != "deleted":
            replacement["insertedContent"] = {"text": "".join(new_lines)}
        replacements.append(replacement)
    return {"artifactLocation": location, "replacements": replacements}
