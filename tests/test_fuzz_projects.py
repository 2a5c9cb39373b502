"""Hypothesis mutates the sample projects; dmigrate may migrate, refuse or err on each, but never crash.

A bounded run for the fast suite; ``benchmarks/fuzz.py`` runs the same for as long as it is asked.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import mutated_project, problems_running, seeds, write_project

SEEDS = seeds()
MUTATION = st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))


def test_there_are_seeds_of_every_driver_kind():
    names = {name.rsplit("/", 1)[-1] for seed in SEEDS for name in seed.files}
    assert {"build.sh", "Makefile", "build.py", "Dockerfile"} <= names


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, len(SEEDS) - 1), target=st.integers(0, 100), mutations=st.lists(MUTATION, min_size=1, max_size=4))
def test_a_mutated_project_never_crashes_dmigrate(seed, target, mutations):
    files = mutated_project(SEEDS[seed], target, mutations)
    with tempfile.TemporaryDirectory(prefix="dmigrate-fuzz-") as scratch:
        directory = Path(scratch) / SEEDS[seed].name
        write_project(directory, files)
        problems = problems_running(directory)
    assert not problems, "\n".join(problems)
