"""Mutated sample projects, and what running dmigrate on one must never do.

Shared by the bounded fuzz test (``test_fuzz_projects.py``) and the long
run (``benchmarks/fuzz.py``).  A mutation changes one file of a seed project
(one of ``tests/projects`` or ``samples``) in a few small ways chosen by
numbers, so that hypothesis can shrink them.  Running dmigrate on the result
may migrate it, refuse it or call it an error; it may not raise, call its own
failure an "internal error", or produce a text that does not read again.
"""

from __future__ import annotations

import os
import shutil
import traceback
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
_TEXT_SUFFIXES = (".sh", ".py", ".mk", ".build", ".base", ".dockerignore", "")
_SKIPPED = ("project.toml", "main.go", "go.mod")

TOKENS = (
    "<(", ">(", "$(", "`", "\\", "\\\n", '"', "'", "{", "}", "(", ")", ";", "&&", "||", "|", "#", "\0", "\x1b[31m", "\r\n", "\t",
    "<<EOF\n", "\nEOF\n", "$", "${", "=", "==", ":", "::", "-", "--", "--from=", "--chmod=", "/.", "./", "..", "*", "?", "[",
    "\ndocker cp c:t/. out\n", "\ndocker cp c:/out/app app\n", "\ndocker rm -f c\n", "\ndocker build -t x .\n", "\ndocker run --rm -v \"$PWD:/o\" x\n",
    "\nCOPY\n", "\nCOPY --from=0 / /\n", "\nENV A=1 B\n", "\nLABEL a\n", "\nFROM\n", "\nFROM scratch AS x\n", "\nARG\n", "\nWORKDIR\n",
    "\nRUN <<EOF\n", "\nONBUILD COPY . .\n", "\n# escape=`\n",
    "finally: ", "try:\n", "\nif True: ", "\nelse: ", "lambda: ", "async ", "await ", "\nimport docker\n", "os.chdir('x')", "**kwargs",
    "\n\t$(MAKE) -C sub\n", "\ninclude other.mk\n", "\n.PHONY: all\n", "$(shell docker ps)", "$(eval X := 1)", "\ndefine X\n", "\nendef\n",
    "\nifeq (a,b)\n", "\nendif\n", "\nexport DOCKER_BUILDKIT=0\n", "\ncd ..\n", "\ncd /\n", "\nset -u\n", "\ntrap 'docker rm -f c' EXIT\n",
    "\nf() {\n", "\n}\n", "\nsource ./env.sh\n", "\n. ./other.sh\n", "\nexec ./build.sh\n", "\nexit 0\n",
    "\n[z-a]\n", "\n[]\n", "\n!\n", "\n**/\n", "\n/\n", "\n[[:alpha:]]\n",
)
"""Pieces that took dmigrate's readers somewhere unusual before, or that carry meaning to one of them."""

OPERATIONS = ("insert", "delete-line", "duplicate-line", "swap-lines", "truncate", "replace-char", "nest", "continue-line", "indent", "bom", "crlf", "repeat-line")


@dataclass(frozen=True)
class Seed:
    name: str
    files: dict[str, str]


def seeds() -> list[Seed]:
    """The text files of every sample project: a driver, its Dockerfiles, its scripts."""
    found = []
    for directory in sorted([*(REPOSITORY / "tests" / "projects").iterdir(), *(REPOSITORY / "samples").iterdir()]):
        if not directory.is_dir():
            continue
        files = {}
        for path in sorted(directory.rglob("*")):
            relative = str(path.relative_to(directory))
            if not path.is_file() or path.name in _SKIPPED or path.stat().st_size > 64 * 1024:
                continue
            try:
                files[relative] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
        if files:
            found.append(Seed(directory.name, files))
    return found


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or [""]


def mutate_text(text: str, operation: int, where: int, what: int) -> str:
    """One small change to ``text``, chosen by three numbers (each taken modulo what it chooses from)."""
    kind = OPERATIONS[operation % len(OPERATIONS)]
    lines = _lines(text)
    line = where % len(lines)
    if kind == "insert":
        position = where % (len(text) + 1)
        return text[:position] + TOKENS[what % len(TOKENS)] + text[position:]
    if kind == "delete-line":
        return "".join(lines[:line] + lines[line + 1 :])
    if kind == "duplicate-line":
        return "".join(lines[: line + 1] + lines[line:])
    if kind == "swap-lines":
        other = what % len(lines)
        lines[line], lines[other] = lines[other], lines[line]
        return "".join(lines)
    if kind == "truncate":
        return text[: where % (len(text) + 1)]
    if kind == "replace-char":
        if not text:
            return text
        position = where % len(text)
        return text[:position] + chr(what % 0x3000) + text[position + 1 :]
    if kind == "nest":
        depth = 1 + what % 400
        body = lines[line].rstrip("\n")
        opener, closer = [("(", ")"), ("$(", ")"), ("{ ", "; }"), ("[", "]"), ("$(if 1,", ")")][what % 5]
        lines[line] = opener * depth + body + closer * depth + "\n"
        return "".join(lines)
    if kind == "continue-line":
        lines[line] = lines[line].rstrip("\n") + " \\\n"
        return "".join(lines)
    if kind == "indent":
        lines[line] = " " * (1 + what % 5) + lines[line]
        return "".join(lines)
    if kind == "bom":
        return "\ufeff" + text
    if kind == "crlf":
        return text.replace("\n", "\r\n")
    lines[line] = lines[line] * (1 + what % 50)
    return "".join(lines)


NEW_FILES = (".dockerignore", "Dockerfile.dockerignore", "env.sh", "other.sh", "other.mk")
"""Files a mutation may make, starting empty: each is read when the project names it."""


def mutated_project(seed: Seed, target: int, mutations: list[tuple[int, int, int]]) -> dict[str, str]:
    files = dict(seed.files)
    names = sorted(files) + [name for name in NEW_FILES if name not in files]
    name = names[target % len(names)]
    files.setdefault(name, "")
    for operation, where, what in mutations:
        files[name] = mutate_text(files[name], operation, where, what)
    return files


def write_project(directory: Path, files: dict[str, str]) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        if name.endswith((".sh", ".py")):
            path.chmod(0o755)


def problems_running(directory: Path) -> list[str]:
    """Everything that went wrong running dmigrate (discovery, dry run, --explain) on the project in ``directory``."""
    from migrate.discover import drivers_in
    from migrate.emit.reparse import check_reads_again
    from migrate.errors import MigrationStop
    from migrate.explain import explain_driver
    from migrate.migration import ERROR, MIGRATED, NOTHING, PENDING, REFUSED, Options, migrate_driver

    found: list[str] = []
    try:
        drivers = drivers_in(directory)
    except MigrationStop:
        return found
    except Exception:  # noqa: BLE001 - what the fuzz run looks for
        return [f"discovery raised:\n{traceback.format_exc()}"]
    for driver in drivers:
        try:
            outcome = migrate_driver(driver, Options(write=False))
        except Exception:  # noqa: BLE001
            found.append(f"{driver.name}: the migration raised:\n{traceback.format_exc()}")
            continue
        if outcome.status not in (MIGRATED, PENDING, NOTHING, REFUSED, ERROR):
            found.append(f"{driver.name}: unknown status {outcome.status}")
        if outcome.message.startswith("internal error"):
            found.append(f"{driver.name}: {outcome.message}")
        if outcome.status in (REFUSED, ERROR) and outcome.location is None:
            found.append(f"{driver.name}: {outcome.status} without a location: {outcome.message}")
        kinds = {str(reading.path): reading.kind for reading in ([outcome.plan.driver, *outcome.plan.driver.parts] if outcome.plan else [])}
        for change in outcome.changes:
            if change.after is None:
                continue
            kind = kinds.get(str(change.path), "dockerfile" if "Dockerfile" in change.path.name else None)
            if kind is None:
                continue
            try:
                check_reads_again(change.path, kind, change.after)
            except MigrationStop as stop:
                found.append(f"{driver.name}: wrote a text that does not read again: {stop.render()}")
        try:
            explanation = explain_driver(driver, directory)
        except Exception:  # noqa: BLE001
            found.append(f"{driver.name}: --explain raised:\n{traceback.format_exc()}")
            continue
        if "internal error" in str(explanation.get("error") or ""):
            found.append(f"{driver.name}: --explain: {explanation['error']}")
    return found


def root_cause(problem: str) -> str:
    """A short key for a problem: the exception and the innermost dmigrate frame, or the message's first line."""
    lines = problem.splitlines()
    frames = [line.strip() for line in lines if line.strip().startswith('File "') and f"{os.sep}migrate{os.sep}" in line]
    last = lines[-1].strip() if lines else problem
    if frames:
        return f"{last.split(':')[0]} at {frames[-1]}"
    return lines[0].split(":", 1)[-1].strip()[:120]
