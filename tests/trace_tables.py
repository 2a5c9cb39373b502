"""Trace rules run in memory: a project as a dict of file texts, the host facts injected, no git and no disk.

Tables of cases (pyupgrade style: input, expected) call these helpers, so a
case costs a parse and a trace, not a ``git init`` and a commit:

    from trace_tables import refusal_of, plan_of, graph_of, stage_states, ROOT

    FILES = {"build.sh": "docker build -t app:build -f Dockerfile.build .\\n…", "Dockerfile.build": "FROM golang\\n…"}
    plan_of(FILES)                          # the Plan (or NothingToDo); a Refusal is raised
    refusal_of(FILES)                       # "file:line: reason" of the Refusal; fails the test when there is none
    graph_of(FILES)                         # the ArtifactGraph the tracer made (after its checks)
    stage_states("FROM alpine\\nWORKDIR /src\\n")  # one StageState per stage, built on each other

Host facts: by default every file of the dict is tracked by git and nothing
else exists (``tracked=``, ``present=`` change that; ``tracked=None`` is a
project outside git, where ``present`` says what is on disk).  Paths in the
dict are relative to :data:`ROOT`, a directory that does not exist, so that no
reader finds anything on disk by accident: a driver that runs ``./other.sh``
reads it as a program it cannot follow.  ``.dockerignore`` files of the dict
are the texts builds read.

What the full read does besides (refusing scripts that run docker unread, a
Dockerfile that is a directory, other files that name a Dockerfile) needs the
disk and stays with the tests that use :func:`support.make_project`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from pathlib import Path

from migrate.errors import Refusal
from migrate.plan import NothingToDo, Plan
from migrate.read.dockerfile import parse_dockerfile
from migrate.read.ops import Build, DriverReading, build_paths
from migrate.read.project import HostFacts, ProjectReading, classic_builder_setting, driver_kind
from migrate.trace import trace
from migrate.trace.graph import ArtifactGraph
from migrate.trace.image_ref import ImageRef
from migrate.trace.stage_state import StageState
from migrate.trace.tracer import ArtifactTracer

ROOT = "/nonexistent/dmigrate-table"
"""Where the project of a table case stands: a path with nothing on disk."""

ALL = object()
"""``tracked=ALL`` (the default): git tracks every file of the dict."""


def path(name: str) -> str:
    """The absolute path of a file of the case."""
    return posixpath.normpath(posixpath.join(ROOT, name))


def read_driver_text(name: str, text: str, target_rule: str | None = None) -> DriverReading:
    """A driver read from its text, by the reader its name calls for (as :func:`migrate.read.project.read_driver` does)."""
    driver = Path(path(name))
    kind = driver_kind(driver)
    if kind == "make":
        from migrate.read.makefile import read_makefile

        return read_makefile(driver, text, target_rule=target_rule)
    if kind == "python":
        from migrate.read.python import read_python

        return read_python(driver, text)
    from migrate.read.shell import read_shell

    return read_shell(driver, text)


def host_facts(files: Mapping[str, str], *, tracked=ALL, present: Mapping[str, str] | None = None) -> HostFacts:
    """The facts tracing reads: what git tracks (relative names), what is on disk (absolute path: ``file``/``dir``/``link``), ``.dockerignore`` texts."""
    tracked_names = frozenset(files) if tracked is ALL else (frozenset(tracked) if tracked is not None else None)
    texts = {path(name): text for name, text in files.items() if posixpath.basename(name).endswith(".dockerignore")}
    return HostFacts(ROOT, tracked_names, dict(present or {}), texts)


def reading_of(
    files: Mapping[str, str],
    driver: str = "build.sh",
    *,
    tracked: Iterable[str] | None | object = ALL,
    present: Mapping[str, str] | None = None,
    target_rule: str | None = None,
) -> ProjectReading:
    """The :class:`ProjectReading` of a project given as ``{relative path: text}``, read in memory."""
    reading = read_driver_text(driver, files[driver], target_rule)
    dockerfiles = {}
    for operation in reading.operations:
        if isinstance(operation, Build):
            _, dockerfile = build_paths(operation)
            name = posixpath.relpath(dockerfile, ROOT) if dockerfile is not None else None
            if name in files and dockerfile not in dockerfiles:
                dockerfiles[dockerfile] = parse_dockerfile(files[name], Path(dockerfile))
    return ProjectReading(reading, dockerfiles, host_facts(files, tracked=tracked, present=present), classic_builder_setting(reading))


def plan_of(files: Mapping[str, str], driver: str = "build.sh", *, keep_legacy: bool = False, **facts) -> Plan | NothingToDo:
    """What the trace step makes of the project; a :class:`Refusal` is raised."""
    return trace(reading_of(files, driver, **facts), keep_legacy=keep_legacy)


def refusal_of(files: Mapping[str, str], driver: str = "build.sh", **options) -> str:
    """``file:line: reason`` of the refusal the trace step raises (the file relative to :data:`ROOT`)."""
    try:
        result = plan_of(files, driver, **options)
    except Refusal as refusal:
        shown = posixpath.relpath(str(refusal.location.file), ROOT)
        return f"{shown}:{refusal.location.line}: {refusal.reason}" if refusal.location.line else f"{shown}: {refusal.reason}"
    raise AssertionError(f"not refused: {type(result).__name__} {getattr(result, 'reason', '')}")


def graph_of(files: Mapping[str, str], driver: str = "build.sh", **facts) -> ArtifactGraph:
    """The artifact graph the tracer makes of the project, its checks passed (a :class:`Refusal` is raised)."""
    return ArtifactTracer(reading_of(files, driver, **facts)).run()


def stage_states(text: str, name: str = "Dockerfile") -> list[StageState]:
    """One :class:`StageState` per stage of a Dockerfile text; a stage FROM an earlier one is built on its state."""
    dockerfile = parse_dockerfile(text, Path(path(name)))
    states: list[StageState] = []
    for stage in dockerfile.stages:
        earlier = dockerfile.stage(stage.base)
        base = states[earlier.index] if earlier is not None and earlier.index < stage.index else ImageRef.parse(stage.base)
        states.append(StageState(dockerfile, stage, base))
    return states


def lines(*texts: str) -> str:
    """A file of these lines: ``lines("FROM alpine", "WORKDIR /src")``."""
    return "".join(f"{text}\n" for text in texts)
