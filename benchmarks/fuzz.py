"""The long fuzz run: mutate the sample projects at random and run dmigrate on each, for as long as asked.

    python benchmarks/fuzz.py --examples 20000
    python benchmarks/fuzz.py --seconds 600 --seed 7 --keep benchmarks/out/fuzz

Each example is one sample project (``tests/projects``, ``samples``) with
one file changed by one to six small mutations (``tests/fuzzing.py``).  What
must never happen: an exception out of the migration, discovery or
``--explain``, an "internal error", a refusal or error without a place, a
written text that does not read again, or one example taking longer than
``--timeout`` seconds.  Problems are grouped by root cause (the exception and
the innermost dmigrate frame); the first example of each is kept under
``--keep`` to reproduce it.  Exit status 1 when anything was found.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "tests"))

from fuzzing import mutated_project, problems_running, root_cause, seeds, write_project  # noqa: E402


class _Slow(Exception):
    pass


def _alarm(_signal, _frame):
    raise _Slow()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="how many mutated projects to run (default 1000)")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long instead")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock; printed)")
    parser.add_argument("--timeout", type=int, default=30, help="seconds one example may take (default 30)")
    parser.add_argument("--keep", type=Path, default=None, help="directory to keep one reproducer per root cause in")
    args = parser.parse_args()

    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    projects = seeds()
    causes: dict[str, tuple[int, str, str]] = {}
    started = time.monotonic()
    signal.signal(signal.SIGALRM, _alarm)
    done = 0
    print(f"fuzz: seed {seed}, {len(projects)} seed projects", flush=True)
    with tempfile.TemporaryDirectory(prefix="dmigrate-fuzz-") as scratch:
        while True:
            if args.seconds is not None and time.monotonic() - started >= args.seconds:
                break
            if args.seconds is None and done >= args.examples:
                break
            project = projects[rng.randrange(len(projects))]
            mutations = [(rng.randrange(10**6), rng.randrange(10**6), rng.randrange(10**6)) for _ in range(rng.randint(1, 6))]
            files = mutated_project(project, rng.randrange(100), mutations)
            directory = Path(scratch) / project.name
            write_project(directory, files)
            signal.alarm(args.timeout)
            try:
                problems = problems_running(directory)
            except _Slow:
                problems = [f"took longer than {args.timeout} s"]
            finally:
                signal.alarm(0)
            for problem in problems:
                cause = root_cause(problem)
                if cause not in causes:
                    causes[cause] = (1, problem, project.name)
                    print(f"fuzz: new root cause after {done + 1} examples: {cause}", flush=True)
                    if args.keep is not None:
                        write_project(args.keep / f"{len(causes):03d}-{project.name}", files)
                        (args.keep / f"{len(causes):03d}-{project.name}.problem.txt").write_text(problem)
                else:
                    count, first, name = causes[cause]
                    causes[cause] = (count + 1, first, name)
            done += 1
            if done % 1000 == 0:
                print(f"fuzz: {done} examples, {len(causes)} root causes, {time.monotonic() - started:.0f} s", flush=True)
    elapsed = time.monotonic() - started
    print(f"fuzz: {done} examples in {elapsed:.0f} s ({done / max(elapsed, 1e-9):.0f}/s), seed {seed}: {len(causes)} root causes")
    for cause, (count, problem, name) in sorted(causes.items(), key=lambda item: -item[1][0]):
        print(f"\n{count} x {cause} (first in a mutated {name})\n{problem}")
    return 1 if causes else 0


if __name__ == "__main__":
    sys.exit(main())
