"""Measure dmigrate: one project end to end, and batches over synthetic organisations.

    python benchmarks/generate.py --repos 1000 benchmarks/out/org-1000
    python benchmarks/generate.py --repos 10000 benchmarks/out/org-10000
    python benchmarks/run.py benchmarks/out/org-1000 benchmarks/out/org-10000

Run it with the interpreter of an environment where dmigrate is installed
the way a user installs it (``pip install .``, which byte-compiles): an
editable install adds an import hook, and without byte-code every run
compiles the package again.

Every time is the wall time of a whole process, start-up included, as a user
sees it: the median (and the best) of ``--repeat`` runs, with the CPU time
(user and system, workers included) of the same runs.  Nothing else runs in
this process while it times.  Memory comes from one more run of each
command, sampled every 10 ms: the peak sum of the resident sizes of the
process and its workers (forked workers share pages, which this counts once
per process) and the peak sum of their proportional set sizes (each shared
page split between the processes that map it).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
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


def measure(command: list[str], cwd: Path, repeat: int, ok: tuple[int, ...] = (0, 1, 2)) -> dict:
    """Wall seconds (median and best) and CPU seconds (median) of ``repeat`` runs of ``command``."""
    walls = []
    cpus = []
    for _ in range(repeat):
        before = _children_cpu()
        start = time.perf_counter()
        code = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_environment()).returncode
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - before)
        if code not in ok:
            raise SystemExit(f"{command} exited {code}")
    return {"seconds": statistics.median(walls), "best": min(walls), "cpu_seconds": statistics.median(cpus)}


def _children_cpu() -> float:
    """User and system seconds of every finished child and its workers, at microsecond resolution."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_memory(command: list[str], cwd: Path) -> dict:
    """Peak resident and proportional set sizes, in KiB, of one run of ``command`` and its workers."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_environment())
    sampler = _PeakSampler(process.pid)
    sampler.start()
    process.wait()
    sampler.stop()
    return {"peak_rss_kib": sampler.rss, "peak_pss_kib": sampler.pss}


def _environment() -> dict:
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["NO_COLOR"] = "1"
    return environment


class _PeakSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.rss = 0
        self.pss = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            rss, pss = _tree_memory(self.pid)
            self.rss = max(self.rss, rss)
            self.pss = max(self.pss, pss)
            time.sleep(0.01)

    def stop(self) -> None:
        self.running = False
        self.join()


def _tree_memory(pid: int) -> tuple[int, int]:
    """Resident and proportional KiB of ``pid`` and its descendants (found through /proc/PID/task/*/children)."""
    rss = pss = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        rss += _field(f"/proc/{current}/status", "VmRSS:")
        pss += _field(f"/proc/{current}/smaps_rollup", "Pss:")
        for children in glob.glob(f"/proc/{current}/task/*/children"):
            try:
                with open(children) as handle:
                    stack.extend(int(child) for child in handle.read().split())
            except OSError:
                continue
    return rss, pss


def _field(path: str, name: str) -> int:
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(name):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def single_project(org: Path, repeat: int) -> dict:
    manifest = json.loads((org / "manifest.json").read_text())
    project = next(p for p in manifest["projects"] if p["driver"].endswith("/build.sh") and len(p["reads"]) == 3 and "/services/" not in p["driver"])
    repository = org / Path(project["driver"]).parent
    files = [str(org / name) for name in project["reads"]]
    commands = {
        "dmigrate --dry-run": DMIGRATE + ["--dry-run", "."],
        "python -c pass": [PYTHON, "-c", "pass"],
        "parse only (tree-sitter-bash, dockerfile-parse)": [PYTHON, str(HERE / "parse_only.py"), *files],
        "dmigrate --version": DMIGRATE + ["--version"],
    }
    results: dict = {"project": project["driver"]}
    for name, command in commands.items():
        results[name] = measure(command, repository, repeat, ok=(0, 1, 2) if name.startswith("dmigrate") else (0,))
        results[name].update(peak_memory(command, repository))
    return results


def batch(org: Path, jobs_list: list[int], repeat: int) -> dict:
    manifest = json.loads((org / "manifest.json").read_text())
    count = len(manifest["projects"])
    rows: dict = {"repositories": manifest["repositories"], "projects": count, "runs": {}}
    commands = {f"dmigrate --dry-run --jobs {jobs}": DMIGRATE + ["--dry-run", "--jobs", str(jobs), "."] for jobs in jobs_list}
    for jobs in sorted({1, 2} & set(jobs_list) or {2}):
        parse = [PYTHON, str(HERE / "parse_only.py"), "--manifest", str(org / "manifest.json"), "--jobs", str(jobs)]
        commands[f"parse only --jobs {jobs}"] = parse
    for name, command in commands.items():
        row = {"load_before": os.getloadavg()[0]}
        row.update(measure(command, org, repeat, ok=(0, 1, 2) if name.startswith("dmigrate") else (0,)))
        row["projects_per_second"] = count / row["seconds"]
        row.update(peak_memory(command, org))
        rows["runs"][name] = row
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("orgs", nargs="+", type=Path, help="Organisations made by generate.py.")
    parser.add_argument("--jobs", default="1,2,4", help="--jobs values to try (default 1,2,4).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per batch figure (the single project runs 10 times as many).")
    parser.add_argument("--output", type=Path, default=HERE / "out" / "results.json")
    args = parser.parse_args()
    # Byte-compile the package the runs import, as an installed one is (a no-op after pip install).
    compile_it = "import compileall, os, migrate; compileall.compile_dir(os.path.dirname(migrate.__file__), quiet=1)"
    subprocess.run([PYTHON, "-c", compile_it], check=True, env=_environment())
    jobs_list = [int(j) for j in args.jobs.split(",")]
    args.orgs = [org.resolve() for org in args.orgs]
    results = {"cores": len(os.sched_getaffinity(0)), "python": sys.version.split()[0], "command": DMIGRATE, "load_before": os.getloadavg()}
    results["single"] = single_project(args.orgs[0], args.repeat * 10)
    print(f"one project ({results['single']['project']}), {results['cores']} cores, load {results['load_before'][0]:.2f}:")
    for name, row in ((k, v) for k, v in results["single"].items() if k != "project"):
        print(
            f"  {name:<50} {row['seconds'] * 1000:7.1f} ms median, {row['best'] * 1000:7.1f} ms best, "
            f"{row['cpu_seconds'] * 1000:7.1f} ms CPU, {row['peak_rss_kib'] / 1024:6.1f} MiB RSS, {row['peak_pss_kib'] / 1024:6.1f} MiB PSS"
        )
    results["batches"] = {}
    for org in args.orgs:
        rows = batch(org, jobs_list, args.repeat)
        results["batches"][str(org)] = rows
        print(f"{org}: {rows['repositories']} repositories, {rows['projects']} projects")
        for name, row in rows["runs"].items():
            print(
                f"  {name:<34} {row['seconds']:7.2f} s ({row['best']:.2f} best) {row['projects_per_second']:8.0f} projects/s "
                f"{row['cpu_seconds']:7.2f} s CPU  {row['peak_rss_kib'] / 1024:7.1f} MiB RSS {row['peak_pss_kib'] / 1024:7.1f} MiB PSS"
                f"  (load {row['load_before']:.2f})"
            )
        parse = rows["runs"].get("parse only --jobs 2") or rows["runs"].get("parse only --jobs 1")
        ours = rows["runs"].get("dmigrate --dry-run --jobs 2")
        if parse and ours:
            print(f"  dmigrate --jobs 2 / parse only: {ours['seconds'] / parse['seconds']:.1f}x wall, {ours['cpu_seconds'] / parse['cpu_seconds']:.1f}x CPU")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
