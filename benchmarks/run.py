"""Measure dmigrate: one project end to end, and batches over synthetic organisations.

    python benchmarks/generate.py --repos 1000 benchmarks/out/org-1000
    python benchmarks/generate.py --repos 10000 benchmarks/out/org-10000
    python benchmarks/run.py benchmarks/out/org-1000 benchmarks/out/org-10000

Every figure is wall time of a whole process, start-up included, as a user
sees it: the median of ``--repeat`` runs.  Peak memory is the largest sum of
the resident sizes of dmigrate and its workers, sampled every 5 ms from
/proc.  The package is byte-compiled first, as an installed one is.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
_SCRIPT = Path(PYTHON).parent / "dmigrate"
DMIGRATE = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "migrate"]
"""The console script a user runs, where it is installed next to this interpreter."""


def wall(command: list[str], cwd: Path, repeat: int, ok: tuple[int, ...] = (0, 1, 2)) -> tuple[float, float, int]:
    """Median and best wall seconds of ``command``, and the peak memory of its process tree in KiB."""
    times = []
    peak = 0
    for _ in range(repeat):
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_environment())
        sampler = _PeakSampler(process.pid)
        sampler.start()
        code = process.wait()
        times.append(time.perf_counter() - start)
        sampler.stop()
        peak = max(peak, sampler.peak)
        if code not in ok:
            raise SystemExit(f"{command} exited {code}")
    return statistics.median(times), min(times), peak


def _cpu_seconds(command: list[str], cwd: Path) -> float:
    """User and system CPU of one run, its workers included: what the run costs whatever else the machine does."""
    before = os.times()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_environment(), check=False)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def _environment() -> dict:
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["NO_COLOR"] = "1"
    return environment


class _PeakSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _tree_rss(self.pid))
            time.sleep(0.005)

    def stop(self) -> None:
        self.running = False
        self.join()


def _tree_rss(pid: int) -> int:
    """Resident KiB of ``pid`` and its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        child = int(entry)
        children.setdefault(int(fields.get("PPid", "0").strip() or 0), []).append(child)
        rss[child] = int(fields.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in fields else 0
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def single_project(org: Path, repeat: int) -> dict:
    manifest = json.loads((org / "manifest.json").read_text())
    project = next(p for p in manifest["projects"] if p["driver"].endswith("/build.sh") and len(p["reads"]) == 3 and "/services/" not in p["driver"])
    repository = org / Path(project["driver"]).parent
    files = [str(org / name) for name in project["reads"]]
    results = {
        "project": project["driver"],
        "dmigrate --dry-run": wall(DMIGRATE + ["--dry-run", "."], repository, repeat),
        "python -c pass": wall([PYTHON, "-c", "pass"], repository, repeat),
        "parse only (tree-sitter-bash, dockerfile-parse)": wall([PYTHON, str(HERE / "parse_only.py"), *files], repository, repeat, ok=(0,)),
        "dmigrate --version": wall(DMIGRATE + ["--version"], repository, repeat),
    }
    return results


def batch(org: Path, jobs_list: list[int], repeat: int) -> dict:
    manifest = json.loads((org / "manifest.json").read_text())
    count = len(manifest["projects"])
    rows = {"repositories": manifest["repositories"], "projects": count, "runs": {}}
    for jobs in jobs_list:
        median, best, peak = wall(DMIGRATE + ["--dry-run", "--jobs", str(jobs), "."], org, repeat)
        rows["runs"][f"dmigrate --dry-run --jobs {jobs}"] = {"seconds": median, "best": best, "projects_per_second": count / median, "peak_kib": peak}
        cpu = _cpu_seconds(DMIGRATE + ["--dry-run", "--jobs", str(jobs), "."], org)
        rows["runs"][f"dmigrate --dry-run --jobs {jobs}"]["cpu_seconds"] = cpu
    for jobs in sorted({1, 2} & set(jobs_list) or {2}):
        median, best, peak = wall([PYTHON, str(HERE / "parse_only.py"), "--manifest", str(org / "manifest.json"), "--jobs", str(jobs)], org, repeat, ok=(0,))
        rows["runs"][f"parse only --jobs {jobs}"] = {"seconds": median, "best": best, "projects_per_second": count / median, "peak_kib": peak}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("orgs", nargs="+", type=Path, help="Organisations made by generate.py.")
    parser.add_argument("--jobs", default="1,2,4", help="--jobs values to try (default 1,2,4).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per batch figure (the single project runs 10 times as many).")
    parser.add_argument("--output", type=Path, default=HERE / "out" / "results.json")
    args = parser.parse_args()
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(HERE.parent / "migrate")], check=True, env=_environment())
    jobs_list = [int(j) for j in args.jobs.split(",")]
    args.orgs = [org.resolve() for org in args.orgs]
    results = {"cores": len(os.sched_getaffinity(0)), "python": sys.version.split()[0], "load_before": os.getloadavg()}
    results["single"] = single_project(args.orgs[0], args.repeat * 10)
    print(f"one project ({results['single']['project']}), {len(os.sched_getaffinity(0))} cores:")
    for name, (median, best, peak) in ((k, v) for k, v in results["single"].items() if k != "project"):
        print(f"  {name:<50} {median * 1000:7.1f} ms median, {best * 1000:7.1f} ms best, {peak / 1024:6.1f} MiB peak")
    results["batches"] = {}
    for org in args.orgs:
        rows = batch(org, jobs_list, args.repeat)
        results["batches"][str(org)] = rows
        print(f"{org}: {rows['repositories']} repositories, {rows['projects']} projects")
        for name, row in rows["runs"].items():
            cpu = f"  {row['cpu_seconds']:6.2f} s CPU" if "cpu_seconds" in row else ""
            print(f"  {name:<34} {row['seconds']:7.2f} s  {row['projects_per_second']:8.0f} projects/s  {row['peak_kib'] / 1024:7.1f} MiB peak{cpu}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
