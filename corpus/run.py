#!/usr/bin/env python3
"""Run dmigrate over the local corpus and print one row per project.

FOLDER is what corpus/fetch.py made: one git work tree per repository,
FOLDER/OWNER+NAME/. For every entry of corpus/manifest.toml, dmigrate runs
with --dry-run --format json over the entry's project directory (so discovery
is measured too); the row is the report's project whose driver is the
entry's driver. An entry whose driver discovery does not find is run again
with the driver named, and its row says so.

    python3 corpus/run.py /work/corpus-local
    python3 corpus/run.py /work/corpus-local --diffs /tmp/corpus-diffs   # one file per project to review
    python3 corpus/run.py /work/corpus-local --compare                   # against the judged results in the manifest
    python3 corpus/run.py /work/corpus-local --record                    # print the manifest lines of the current results

--compare says, per entry, whether dmigrate's answer is still the one that
was judged (same status, same first refusal, same diff); an entry whose answer
changed needs judging again, and the verdict table counts it apart.
Exit status: 0, or 1 with --compare when an answer changed, 2 when dmigrate
could not be run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
VERDICTS = ("migrated correctly", "refused justly", "refused falsely", "wrong", "not builder pattern")
STATUSES = ("pending", "nothing to do", "refused", "error", "not found")


@dataclass
class Entry:
    raw: dict

    @property
    def repo(self) -> str:
        return self.raw["repo"]

    @property
    def folder(self) -> str:
        return self.repo.replace("/", "+")

    @property
    def project_dir(self) -> str:
        return str(PurePosixPath(self.raw.get("project_dir", ".")))

    @property
    def driver(self) -> str:
        return str(PurePosixPath(self.raw["driver"]))

    @property
    def label(self) -> str:
        return self.raw.get("label") or self.repo

    @property
    def args(self) -> list[str]:
        return list(self.raw.get("dmigrate_args", []))

    def path_in(self) -> str:
        return str(PurePosixPath(self.folder, self.project_dir))

    def driver_path(self) -> str:
        return str(PurePosixPath(self.folder, self.driver))


@dataclass
class Result:
    status: str
    location: str = ""
    reason: str = ""
    changed: list[str] = field(default_factory=list)
    diff: str = ""
    direct: bool = False
    warnings: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    refusals: list[dict] = field(default_factory=list)

    @property
    def diff_sha(self) -> str:
        return hashlib.sha256(self.diff.encode()).hexdigest()[:16] if self.diff else ""

    @property
    def first_line(self) -> str:
        return self.reason.splitlines()[0] if self.reason else ""


def load_entries(path: Path) -> list[Entry]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return [Entry(raw) for raw in data.get("project", [])]


def dmigrate_command(explicit: str | None) -> list[str]:
    if explicit:
        return [explicit]
    local = HERE.parent / ".venv" / "bin" / "dmigrate"
    if local.exists():
        return [str(local)]
    return [sys.executable, "-m", "migrate"]


def run_dmigrate(command: list[str], folder: Path, paths: list[str], jobs: int) -> dict:
    """One dmigrate run over PATHS (relative to FOLDER); the parsed JSON report."""
    result = subprocess.run(
        [*command, "--dry-run", "--format", "json", "--jobs", str(jobs), *paths],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        check=False,
    )
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"dmigrate exited {result.returncode} without a JSON report: {tail[0]}") from None


def result_of(project: dict, folder_prefix: str) -> Result:
    refusals = project.get("refusals") or []
    reason, location = project.get("message", ""), project.get("location") or ""
    if refusals:
        reason = refusals[0].get("reason") or reason
        location = refusals[0].get("location") or location
    changed = [name.removeprefix(folder_prefix) for name in project.get("changed_files", [])]
    return Result(
        status=project["status"],
        location=(location or "").removeprefix(folder_prefix),
        reason=reason if project["status"] in ("refused", "error") else "",
        changed=changed,
        diff=project.get("diff") or "",
        warnings=project.get("warnings") or [],
        decisions=project.get("decisions") or [],
        refusals=refusals,
    )


def measure(entries: list[Entry], folder: Path, command: list[str], jobs: int) -> dict[int, Result]:
    """Run dmigrate over every entry's project directory; map entry index -> Result."""
    results: dict[int, Result] = {}
    present = [i for i, e in enumerate(entries) if (folder / e.folder / ".git").exists()]
    for i, entry in enumerate(entries):
        if i not in present:
            results[i] = Result("not found", reason=f"{entry.folder} is not in {folder}: run corpus/fetch.py")
    plain = [i for i in present if not entries[i].args]
    paths = sorted({entries[i].path_in() for i in plain})
    by_driver = {}
    for project in reports(command, folder, paths, jobs):
        by_driver[project["driver"]] = project
    own = {}  # entries with their own dmigrate arguments run alone
    for i in present:
        if entries[i].args:
            for project in reports([*command, *entries[i].args], folder, [entries[i].path_in()], jobs):
                own[(i, project["driver"])] = project
    missing = []
    for i in present:
        entry = entries[i]
        if entry.args:
            project = own.get((i, entry.driver_path()))
        else:
            project = by_driver.get(entry.driver_path())
        if project is None:
            missing.append(i)
            continue
        results[i] = result_of(project, entry.folder + "/")
    if missing:
        direct = {p["driver"]: p for p in reports(command, folder, sorted({entries[i].driver_path() for i in missing if not entries[i].args}), jobs)}
        for i in missing:
            entry = entries[i]
            if entry.args:
                named = reports([*command, *entry.args], folder, [entry.driver_path()], jobs)
                project = named[0] if named else None
            else:
                project = direct.get(entry.driver_path())
            if project is None:
                results[i] = Result("not found", reason="dmigrate reports no project for this driver, even when named")
            else:
                results[i] = result_of(project, entry.folder + "/")
                results[i].direct = True
    return results


def reports(command: list[str], folder: Path, paths: list[str], jobs: int) -> list[dict]:
    if not paths:
        return []
    try:
        return run_dmigrate(command, folder, paths, jobs)["projects"]
    except RuntimeError:
        if len(paths) == 1:
            raise
    projects = []  # one bad path must not hide the others' results
    for path in paths:
        try:
            projects.extend(run_dmigrate(command, folder, [path], jobs)["projects"])
        except RuntimeError as error:
            projects.append({"driver": path, "status": "error", "message": str(error), "location": None,
                             "refusals": [], "changed_files": [], "diff": ""})
    return projects


def row_text(entry: Entry, result: Result) -> str:
    status = result.status + (" (named)" if result.direct else "")
    if result.status in ("refused", "error", "not found"):
        detail = f"{result.location}: {result.first_line}" if result.location else result.first_line
    else:
        detail = ", ".join(result.changed)
    return f"{entry.label[:50]:50}  {status:15}  {detail}"


def recorded(entry: Entry) -> dict:
    return entry.raw.get("result", {})


def changed_since_judged(entry: Entry, result: Result) -> str:
    judged = recorded(entry)
    if not judged:
        return "not judged yet"
    if judged.get("status") != result.status:
        return f"status {judged.get('status')} -> {result.status}"
    if result.status == "refused" and judged.get("reason", "") != result.first_line:
        return "another refusal"
    if result.status == "pending" and judged.get("diff_sha", "") != result.diff_sha:
        return "another diff"
    return ""


def write_review(directory: Path, entry: Entry, result: Result) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    name = entry.folder + ("" if entry.label == entry.repo else "--" + entry.label.split(":")[-1].replace("/", "_"))
    lines = [f"# {entry.repo} {entry.driver} ({result.status}{', named' if result.direct else ''})"]
    for refusal in result.refusals:
        lines.append(f"# refused: {refusal.get('location')}: {refusal.get('reason')}")
    if result.status in ("error", "not found"):
        lines.append(f"# {result.reason}")
    for warning in result.warnings:
        lines.append(f"# warning: {warning}")
    for decision in result.decisions:
        lines.append(f"# note: {decision}")
    text = "\n".join(lines) + "\n" + result.diff
    (directory / f"{name}.diff").write_text(text)


def record_lines(entry: Entry, result: Result) -> str:
    parts = [f'status = "{result.status}"']
    if result.status == "refused":
        parts.append("reason = " + json.dumps(result.first_line))
    if result.diff_sha:
        parts.append(f'diff_sha = "{result.diff_sha}"')
    return f"# {entry.label}\nresult = {{ {', '.join(parts)} }}"


def verdict_table(entries: list[Entry], results: dict[int, Result]) -> str:
    """Counts per verdict, by project and by repository (a repository counts once per verdict it has)."""
    by_project: Counter[str] = Counter()
    by_repo: dict[str, set[str]] = {}
    for i, entry in enumerate(entries):
        verdict = entry.raw.get("verdict", "unjudged")
        if changed_since_judged(entry, results[i]):
            verdict = "changed, to re-judge"
        by_project[verdict] += 1
        by_repo.setdefault(verdict, set()).add(entry.repo)
    lines = ["| verdict | projects | repositories |", "|---|---|---|"]
    for name in (*VERDICTS, "unjudged", "changed, to re-judge"):
        if by_project[name]:
            lines.append(f"| {name} | {by_project[name]} | {len(by_repo[name])} |")
    repos = {e.repo for e in entries}
    lines.append(f"| total | {len(entries)} | {len(repos)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="the folder corpus/fetch.py filled")
    parser.add_argument("--manifest", type=Path, default=HERE / "manifest.toml")
    parser.add_argument("--dmigrate", help="the dmigrate executable (default: this checkout's .venv)")
    parser.add_argument("--diffs", type=Path, help="write each project's diff or refusal to DIR/OWNER+NAME.diff")
    parser.add_argument("--compare", action="store_true", help="compare with the results judged in the manifest")
    parser.add_argument("--record", action="store_true", help="print each entry's result as a manifest line")
    parser.add_argument("--table", action="store_true", help="with --compare: print the verdict counts as a Markdown table")
    parser.add_argument("--only", default="", help="comma-separated substrings of repo names")
    parser.add_argument("--all", action="store_true", help="include the entries marked genuine = false")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    entries = load_entries(args.manifest)
    wanted = [word for word in args.only.split(",") if word]
    entries = [
        e for e in entries
        if (args.all or wanted or e.raw.get("genuine", True)) and (not wanted or any(w in e.repo for w in wanted))
    ]
    folder = args.folder.resolve()
    try:
        results = measure(entries, folder, dmigrate_command(args.dmigrate), args.jobs)
    except (RuntimeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    statuses: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    rejudge = []
    for i, entry in enumerate(entries):
        result = results[i]
        statuses[result.status] += 1
        line = row_text(entry, result)
        if args.compare:
            change = changed_since_judged(entry, result)
            verdict = entry.raw.get("verdict", "")
            if change:
                rejudge.append((entry, change))
                line += f"   [re-judge: {change}; was {verdict or 'unjudged'}]"
            else:
                verdicts[verdict or "unjudged"] += 1
        print(line)
        if args.diffs:
            write_review(args.diffs, entry, result)
    print()
    print("status: " + ", ".join(f"{name} {statuses[name]}" for name in STATUSES if statuses[name]) + f" (of {len(entries)})")
    if args.compare:
        print("verdicts of unchanged answers: " + ", ".join(
            f"{name} {verdicts[name]}" for name in (*VERDICTS, "unjudged") if verdicts[name]))
        if rejudge:
            print(f"{len(rejudge)} answer(s) changed since judged; read their diffs again:")
            for entry, change in rejudge:
                print(f"  {entry.label}: {change}")
    if args.compare and args.table:
        print()
        print(verdict_table(entries, results))
    if args.record:
        print()
        for i, entry in enumerate(entries):
            print(record_lines(entry, results[i]))
    return 1 if args.compare and rejudge else 0


if __name__ == "__main__":
    sys.exit(main())
