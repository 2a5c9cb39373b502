"""What the engine's build cache held when a flow started, and how many of the flow's build steps it served.

The flows run one after the other on one engine, so the second may reuse
what the first built.  The report says so with numbers rather than a guess:
the build cache records the engine held before each flow (``docker system
df``), and the build steps each flow's output shows as run or as taken from
the cache (BuildKit's ``#N CACHED``, the classic builder's ``Using cache``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from migrate.verify.engine import Engine, EngineError

# BuildKit's plain progress: "#7 [builder 3/5] RUN make" starts a step, "#7 CACHED" says the cache served it.
_BUILDKIT_STEP = re.compile(r"^#(\d+) \[(?:[^\]]*\s)?\d+/\d+\] (\S+)")
_BUILDKIT_CACHED = re.compile(r"^#(\d+) CACHED\s*$")
_BUILDKIT_FIRST = re.compile(r"^#1 \[internal\] load build definition")
_CLASSIC_STEP = re.compile(r"^Step \d+/\d+ : (\S+)")
_CLASSIC_CACHED = re.compile(r"^ ---> Using cache\s*$")


@dataclass(frozen=True)
class BuildSteps:
    """The build steps a flow's output shows (base image lines left out: they are never cached)."""

    run: int
    cached: int


def count_build_steps(output: str) -> BuildSteps | None:
    """The steps of every build in ``output``; None when it shows none (a quiet build, or no build at all)."""
    total = cached = 0
    steps: dict[str, bool] = {}
    classic_step_open = False

    def close_build() -> None:
        nonlocal total, cached
        total += len(steps)
        cached += sum(steps.values())
        steps.clear()

    for line in output.splitlines():
        line = line.rstrip("\r")
        if _BUILDKIT_FIRST.match(line):
            close_build()  # step numbers start again with each build
        if found := _BUILDKIT_STEP.match(line):
            if found.group(2).upper() != "FROM":
                steps.setdefault(found.group(1), False)
            continue
        if (found := _BUILDKIT_CACHED.match(line)) and found.group(1) in steps:
            steps[found.group(1)] = True
            continue
        if found := _CLASSIC_STEP.match(line):
            classic_step_open = found.group(1).upper() != "FROM"
            total += classic_step_open
            continue
        if classic_step_open and _CLASSIC_CACHED.match(line):
            cached += 1
            classic_step_open = False
    close_build()
    return BuildSteps(total, cached) if total else None


def build_cache_records(engine: Engine) -> int | None:
    """How many records the engine's build cache holds now; None when the engine does not say."""
    try:
        done = engine.run(["system", "df", "--format", "{{json .}}"], check=False)
    except EngineError:
        return None
    if done.returncode != 0:
        return None
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and row.get("Type") == "Build Cache":
            try:
                return int(row.get("TotalCount", ""))
            except ValueError:
                return None
    return None
