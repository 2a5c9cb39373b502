"""Read a Makefile driver: the rules make would run for one goal, their recipes as shell.

Make reads the whole file first (variables, rules, conditionals), then runs
the goal: prerequisites depth first, left to right, each target once, then
the target's own recipe.  Each recipe line is expanded by make and handed to
``/bin/sh`` on its own (the whole recipe at once under ``.ONESHELL``); the
shell text is read with the shell reader.  Every byte of that shell text
remembers the Makefile text it came from, so that the emitter can delete a
recipe line or insert words into one while leaving everything else as it
was.
"""

from __future__ import annotations

import bisect
import os
import posixpath
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path

from migrate.read import read_source_text
from migrate.read.boundary import active_root, may_read, outside_reason
from migrate.errors import InputError, Location, MigrationStop, Refusal
from migrate.read.ops import (
    UNKNOWN_MARK,
    Build,
    Container,
    BuildArg,
    DriverReading,
    HostCommand,
    MakeTarget,
    Mention,
    Opaque,
    Operation,
    Site,
    Word,
    map_words,
)
from migrate.read.shell import ShellAnchor, read_shell, read_shell_fragment, script_run_by

PLACEHOLDER_PREFIX = "__dmigrate_make_"
"""Shell variable names that stand for make text whose value cannot be known (``$(shell ...)``)."""
_PLACEHOLDER = re.compile(r"\$\{" + PLACEHOLDER_PREFIX + r"(\d+)\}")

_ASSIGNMENT = re.compile(r"(:::=|::=|:=|\?=|\+=|!=|=)")
_CONDITIONALS = ("ifeq", "ifneq", "ifdef", "ifndef")
_BUILTIN_VARIABLES = {"RM": "rm -f", "MAKE": "make", "SHELL": "/bin/sh", "CC": "cc", "CXX": "g++", "AR": "ar", "ECHO": "echo"}
_POSIX_SHELLS = {"sh", "bash", "dash", "ash", "ksh", "mksh", "zsh"}


@dataclass(frozen=True, eq=False)
class RecipeText:
    """The shell text make hands to ``/bin/sh`` for one recipe line (or a whole ``.ONESHELL`` recipe)."""

    shell: bytes
    """The expanded text, UTF-8, as the shell sees it."""
    origins: tuple[tuple[int, int], ...]
    """For each byte of ``shell``: the span of Makefile text (character offsets) it came from."""
    lines: tuple[tuple[int, int], ...]
    """The recipe lines in the Makefile: from the prefix tab to the end of the last continuation line."""

    def source_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The Makefile text that gave ``shell[start:end]``, or None when a make reference straddles the edges."""
        if start >= end or end > len(self.origins):
            return None
        first, last = self.origins[start], self.origins[end - 1]
        if start > 0 and self.origins[start - 1] == first:
            return None
        if end < len(self.origins) and self.origins[end] == last:
            return None
        return first[0], last[1]


@dataclass(frozen=True)
class MakeAnchor:
    """Where a command stands in a Makefile: its rule, its recipe line and its place in that line's shell text."""

    target: str
    recipe: RecipeText
    shell: ShellAnchor
    rule: tuple[int, int]
    """The rule's header line (character offsets), for a rule whose recipe goes away."""

    @property
    def span(self) -> tuple[int, ...]:
        return (self.recipe.lines[0][0],) + tuple(self.shell.span)


@dataclass
class _Variable:
    value: str
    recursive: bool
    exported: bool = False
    origin: str = "file"
    unexported: bool = False
    """``unexport NAME``: kept out of the recipes' environment even under a bare ``export``."""


@dataclass
class _RecipeLine:
    start: int
    end: int
    line: int
    text: str
    """The Makefile text from the recipe prefix to the end, continuations included."""


@dataclass
class _Rule:
    targets: tuple[str, ...]
    prerequisites: list[str]
    order_only: list[str]
    recipe: list[_RecipeLine]
    line: int
    header: tuple[int, int]
    double_colon: bool
    guard: str | None
    pattern: bool = False
    inline: str | None = None
    """A recipe on the rule's own line (``target: prerequisites ; command``)."""
    file: Path | None = None
    """The included file the rule comes from; None for the Makefile itself."""


@dataclass
class Makefile:
    """What reading a Makefile gives, before anything runs."""

    path: Path
    text: str
    variables: dict[str, _Variable]
    rules: dict[str, list[_Rule]]
    target_variables: dict[str, dict[str, _Variable]]
    phony: set[str]
    oneshell: bool
    default_goal: str | None
    unknowns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    line_starts: list[int] = field(default_factory=list)
    all_rules: list[_Rule] = field(default_factory=list)
    export_all: bool | None = False
    """A bare ``export`` or ``.EXPORT_ALL_VARIABLES``: every variable goes to the recipes' environment (None: only sometimes)."""
    exports_unsure: set[str] = field(default_factory=set)
    """Names exported or unexported inside a conditional that cannot be decided."""

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)

    def placeholder(self, expression: str) -> str:
        if expression not in self.unknowns:
            self.unknowns.append(expression)
        return "${" + PLACEHOLDER_PREFIX + str(self.unknowns.index(expression)) + "}"


# -- parsing ---------------------------------------------------------------------------


def parse_makefile(path: Path, text: str) -> Makefile:
    parser = _Parser(path, text)
    parser.run()
    return parser.makefile


class _Parser:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                starts.append(index + 1)
        self.makefile = Makefile(path, text, {}, {}, {}, set(), False, None, line_starts=starts)
        directory = str(path.resolve().parent)
        self.makefile.variables["CURDIR"] = _Variable(directory, False, origin="default")
        # make takes PWD from the environment: the directory it was started in, which is CURDIR as make is taken to run.
        self.makefile.variables["PWD"] = _Variable(directory, False, origin="default")
        self.makefile.variables[".DEFAULT_GOAL"] = _Variable("", False, origin="default")
        for name, value in _BUILTIN_VARIABLES.items():
            self.makefile.variables[name] = _Variable(value, True, origin="default")
        self.conditions: list[tuple[bool | None, bool]] = []
        """Per open conditional: its value (None when it cannot be known) and whether an ``else`` was seen."""
        self.depth = 0

    def fail(self, line: int, message: str) -> InputError:
        return InputError(Location(self.path, line), message)

    def active(self) -> bool | None:
        """True when the lines read now count, False when a conditional skips them, None when unknown."""
        state: bool | None = True
        for value, _ in self.conditions:
            if value is False:
                return False
            if value is None:
                state = None
        return state

    def guard(self) -> str | None:
        return None if self.active() is True else "inside a Makefile conditional that depends on the environment"

    def run(self) -> None:
        # make drops the CR of a CRLF line ending; the spans still count it, so a rewrite keeps it.
        lines = [line.removesuffix("\r") for line in self.text.split("\n")]
        offsets = self.makefile.line_starts
        rule: _Rule | None = None
        index = 0
        while index < len(lines):
            start = offsets[index]
            raw = lines[index]
            if raw.startswith("\t") and rule is not None:
                last = index
                while _continues(lines[last]) and last + 1 < len(lines):
                    last += 1
                end = self._line_end(last)
                if self.active() is not False:
                    rule.recipe.append(_RecipeLine(start, end, index + 1, self.text[start:end]))
                index = last + 1
                continue
            last = index
            while _continues(lines[last]) and last + 1 < len(lines):
                last += 1
            logical = " ".join(_strip_continuation(lines[i]) for i in range(index, last + 1))
            number = index + 1
            end = self._line_end(last)
            index = last + 1
            stripped = _strip_comment(logical).strip()
            if not stripped:
                continue
            word = stripped.split(None, 1)[0]
            if word in _CONDITIONALS or word in ("else", "endif"):
                with self._at(number):
                    self._conditional(word, stripped, number)
                continue
            if word == "define" or (word in ("override", "export", "private") and stripped.split()[1:2] == ["define"]):
                with self._at(number):
                    index = self._define(stripped, lines, index, number)
                rule = None
                continue
            if self.active() is False:
                if rule is not None and _is_rule_line(stripped):
                    rule = None
                continue
            if word in ("include", "-include", "sinclude"):
                with self._at(number):
                    self._include(stripped[len(word) :], number, optional=word != "include")
                rule = None
                continue
            if word == "unexport":
                self._unexport(stripped[len(word) :])
                continue
            if word in ("vpath", "undefine"):
                continue
            with self._at(number):
                rule = self._statement(stripped, number, (start, end))

    @contextmanager
    def _at(self, number: int):
        """A problem met while reading line ``number`` (an expansion make rejects) names that line."""
        try:
            yield
        except InputError as error:
            if error.location.line is not None:
                raise
            raise self.fail(number, error.reason) from None

    def _line_end(self, index: int) -> int:
        """Where line ``index`` ends in the text, before its newline and the CR of a CRLF."""
        starts = self.makefile.line_starts
        end = starts[index + 1] - 1 if index + 1 < len(starts) else len(self.text)
        return end - 1 if end > starts[index] and self.text[end - 1] == "\r" else end

    def _include(self, names: str, number: int, *, optional: bool) -> None:
        """Read an included file's variables and rules; its rules' recipes are the included file's, not this one's."""
        scope = _Scope(self.makefile, {}, None)
        directory = self.makefile.variables["CURDIR"].value
        for name in scope.expand(names).split():
            path = Path(posixpath.normpath(posixpath.join(directory, name)))
            if not _PLACEHOLDER.search(name) and not may_read(path):
                raise Refusal(Location(self.path, number), outside_reason(path, active_root() or "", f"the included {name}"))
            if _PLACEHOLDER.search(name) or not os.path.isfile(path):
                if not optional:
                    self.makefile.notes.append(f"{self.path.name}:{number}: did not read {name}, which is not there before make runs")
                continue
            if self.depth > 10:
                raise self.fail(number, f"{name} includes itself too deeply to follow")
            try:
                text = read_source_text(path, "included Makefile")
            except InputError as error:
                raise self.fail(number, f"cannot read the included {name}: {error.reason}") from None
            inner = _Parser(path, text)
            inner.depth = self.depth + 1
            inner.makefile.variables = self.makefile.variables
            inner.makefile.target_variables = self.makefile.target_variables
            inner.makefile.phony = self.makefile.phony
            inner.makefile.default_goal = self.makefile.default_goal
            inner.makefile.unknowns = self.makefile.unknowns
            inner.makefile.export_all = self.makefile.export_all
            inner.makefile.exports_unsure = self.makefile.exports_unsure
            inner.run()
            self.makefile.export_all = inner.makefile.export_all
            self.makefile.oneshell = self.makefile.oneshell or inner.makefile.oneshell
            self.makefile.notes.extend(inner.makefile.notes)
            for target, rules in inner.makefile.rules.items():
                for rule in rules:
                    rule.file = rule.file or path
                self.makefile.rules.setdefault(target, []).extend(rules)
            if self.makefile.default_goal is None:
                self.makefile.default_goal = inner.makefile.default_goal

    def _conditional(self, word: str, line: str, number: int) -> None:
        if word == "endif":
            if not self.conditions:
                raise self.fail(number, "endif without a conditional")
            self.conditions.pop()
            return
        if word == "else":
            if not self.conditions:
                raise self.fail(number, "else without a conditional")
            value, seen_else = self.conditions[-1]
            if seen_else:
                raise self.fail(number, "only one else per conditional")
            rest = line[4:].strip()
            if rest:
                # ``else ifeq (...)``: the new test only matters when the first one failed.
                inner_word = rest.split(None, 1)[0]
                inner = self._test(inner_word, rest, number)
                if value is True:
                    new = False
                elif value is False:
                    new = inner
                else:
                    new = None
                self.conditions[-1] = (new, False)
                return
            self.conditions[-1] = (None if value is None else not value, True)
            return
        self.conditions.append((self._test(word, line, number), False))

    def _test(self, word: str, line: str, number: int) -> bool | None:
        rest = line[len(word) :].strip()
        scope = _Scope(self.makefile, {}, None)
        if word in ("ifdef", "ifndef"):
            name = scope.expand(rest).strip()
            variable = self.makefile.variables.get(name)
            if variable is None:
                return None  # it may come from the environment
            defined = variable.value != ""
            return defined if word == "ifdef" else not defined
        left, right = _split_test(rest)
        if left is None:
            raise self.fail(number, f"cannot read the conditional {line!r}")
        a, b = scope.expand(left), scope.expand(right)
        if UNKNOWN_MARK in a + b or _PLACEHOLDER.search(a + b):
            return None
        equal = a == b
        return equal if word == "ifeq" else not equal

    def _define(self, line: str, lines: list[str], index: int, number: int) -> int:
        words = line.split()
        while words and words[0] in ("override", "export", "private"):
            words.pop(0)
        name = words[1] if len(words) > 1 else ""
        operator = words[2] if len(words) > 2 else "="
        body: list[str] = []
        depth = 1
        while index < len(lines):
            current = lines[index].strip()
            index += 1
            if current.startswith("define ") or current == "define":
                depth += 1
            elif current == "endef" or current.startswith("endef "):
                depth -= 1
                if depth == 0:
                    break
            body.append(lines[index - 1])
        else:
            raise self.fail(number, f"define {name} has no endef")
        if self.active() is not False and name:
            self._assign(name, operator, "\n".join(body), exported=line.startswith("export"))
        return index

    def _statement(self, line: str, number: int, span: tuple[int, int]) -> _Rule | None:
        words = line.split(None, 1)
        exported = False
        while words and words[0] in ("override", "export", "private"):
            exported = exported or words[0] == "export"
            line = words[1] if len(words) > 1 else ""
            words = line.split(None, 1)
        if not line:
            if exported:
                self._export_all(True)
            return None
        kind, position, operator = _classify(line)
        if kind == "assignment":
            name = line[:position].strip()
            value = line[position + len(operator) :].lstrip()
            self._assign(name, operator, value, exported=exported)
            return None
        if kind == "rule":
            return self._rule(line, position, operator, number, span)
        if exported:
            for name in _Scope(self.makefile, {}, None).expand(line).split():
                variable = self.makefile.variables.get(name)
                if variable is not None:
                    variable.exported = True
                    variable.unexported = False
                else:
                    self.makefile.variables[name] = _Variable("", True, exported=True, origin="undefined")
                if self.active() is None:
                    self.makefile.exports_unsure.add(name)
            return None
        function = re.match(r"\$[({](\w+)[\s)}]", line)
        if function is not None and line.endswith((")", "}")):
            # A function call on a line of its own: messages print, `$(eval ...)` may make rules and variables.
            if function.group(1) in ("info", "warning", "error"):
                return None
            raise Refusal(Location(self.path, number), f"dmigrate does not follow $({function.group(1)} ...) on a line of its own, which may define rules")
        raise self.fail(number, f"make cannot read this line: {line!r}")

    def _export_all(self, value: bool) -> None:
        """A bare ``export`` (or ``.EXPORT_ALL_VARIABLES``), or a bare ``unexport``."""
        if self.active() is None and self.makefile.export_all != value:
            self.makefile.export_all = None
        elif self.active() is True:
            self.makefile.export_all = value

    def _unexport(self, names: str) -> None:
        if self.active() is False:
            return
        names = _Scope(self.makefile, {}, None).expand(names).split()
        if not names:
            self._export_all(False)
        for name in names:
            variable = self.makefile.variables.get(name)
            if variable is None:
                variable = self.makefile.variables[name] = _Variable("", True, origin="undefined")
            variable.exported = False
            variable.unexported = True
            if self.active() is None:
                self.makefile.exports_unsure.add(name)

    def _assign(self, name: str, operator: str, value: str, *, exported: bool, table: dict | None = None) -> None:
        table = self.makefile.variables if table is None else table
        scope = _Scope(self.makefile, {}, None)
        name = scope.expand(name).strip()
        unknown = self.active() is None
        existing = table.get(name)
        if operator == "?=":
            if existing is not None and existing.origin != "undefined":
                return
            if table is self.makefile.variables and existing is None:
                self.makefile.notes.append(f"assumed {name} is not set in the environment or on make's command line")
            variable = _Variable(value, True, exported=exported or bool(existing and existing.exported))
        elif operator == "+=":
            if existing is None or existing.origin in ("undefined", "default"):
                variable = _Variable(value, True, exported=exported)
            elif existing.recursive:
                variable = _Variable(_join(existing.value, value), True, exported=exported or existing.exported)
            else:
                variable = _Variable(_join(existing.value, scope.expand(value)), False, exported=exported or existing.exported)
        elif operator == "!=":
            variable = _Variable(self.makefile.placeholder(f"$(shell {value})"), False, exported=exported)
        elif operator in (":=", "::=", ":::="):
            variable = _Variable(scope.expand(value), False, exported=exported)
        else:
            variable = _Variable(value, True, exported=exported)
        if unknown:
            variable = _Variable(self.makefile.placeholder(f"$({name})"), False, exported=variable.exported)
        if existing is not None and existing.exported:
            variable.exported = True
        if existing is not None and existing.unexported and not exported:
            variable.unexported = True
        if exported and unknown:
            self.makefile.exports_unsure.add(name)
        table[name] = variable
        if name == ".DEFAULT_GOAL" and table is self.makefile.variables:
            self.makefile.default_goal = scope.expand(variable.value).strip() or None
        if name == ".RECIPEPREFIX":
            raise Refusal(Location(self.path), ".RECIPEPREFIX changes how recipes are read; dmigrate reads tab-prefixed recipes only")

    def _rule(self, line: str, position: int, operator: str, number: int, span: tuple[int, int]) -> _Rule | None:
        scope = _Scope(self.makefile, {}, None)
        targets = tuple(scope.expand(line[:position]).split())
        rest = line[position + len(operator) :]
        inline_recipe = None
        if ";" in rest:
            rest, inline_recipe = rest.split(";", 1)
        kind, at, assignment = _classify(rest)
        if kind == "assignment" and inline_recipe is None:
            # A target-specific variable: ``target: NAME = value``.
            name_part = rest[:at].split()
            exported = False
            while name_part and name_part[0] in ("override", "export", "private"):
                exported = exported or name_part[0] == "export"
                name_part.pop(0)
            if not name_part:
                return None
            for target in targets:
                table = self.makefile.target_variables.setdefault(target, {})
                self._assign(name_part[0], assignment, rest[at + len(assignment) :].lstrip(), exported=exported, table=table)
            return None
        normal, _, order_only = rest.partition("|")
        rule = _Rule(
            targets=targets,
            prerequisites=scope.expand(normal).split(),
            order_only=scope.expand(order_only).split(),
            recipe=[],
            line=number,
            header=span,
            double_colon=operator == "::",
            guard=self.guard(),
            pattern=any("%" in target for target in targets),
        )
        if inline_recipe is not None and inline_recipe.strip():
            rule.inline = inline_recipe.strip()
        self.makefile.all_rules.append(rule)
        for target in targets:
            if target == ".PHONY":
                self.makefile.phony.update(rule.prerequisites)
                continue
            if target == ".ONESHELL":
                self.makefile.oneshell = True
                continue
            if target == ".EXPORT_ALL_VARIABLES":
                self._export_all(True)
                continue
            if target.startswith(".") and "/" not in target:
                continue
            self.makefile.rules.setdefault(target, []).append(rule)
            if self.makefile.default_goal is None and not rule.pattern and self.active() is not False:
                self.makefile.default_goal = target
        return rule


def _continues(line: str) -> bool:
    count = len(line) - len(line.rstrip("\\"))
    return count % 2 == 1


def _strip_continuation(line: str) -> str:
    return line[:-1].rstrip() if _continues(line) else line.strip()


def _strip_comment(line: str) -> str:
    out = []
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line) and line[index + 1] == "#":
            out.append("#")
            index += 2
            continue
        if char == "#":
            break
        out.append(char)
        index += 1
    return "".join(out)


def _join(left: str, right: str) -> str:
    return f"{left} {right}" if left else right


def _classify(line: str) -> tuple[str, int, str]:
    """Whether a line is an assignment or a rule: the kind, where its operator stands, and the operator."""
    depth = 0
    index = 0
    while index < len(line):
        char = line[index]
        if char == "$" and index + 1 < len(line) and line[index + 1] in "({":
            depth += 1
            index += 2
            continue
        if char in ")}" and depth:
            depth -= 1
        elif depth == 0:
            if char == ":":
                match = _ASSIGNMENT.match(line, index)
                if match and match.group(1).startswith(":") and match.group(1) != ":":
                    return "assignment", index, match.group(1)
                if line.startswith("::", index):
                    return "rule", index, "::"
                return "rule", index, ":"
            if char in "?+!" and line.startswith("=", index + 1):
                return "assignment", index, char + "="
            if char == "=":
                return "assignment", index, "="
            if char == ";":
                return "other", index, ""
        index += 1
    return "other", -1, ""


def _is_rule_line(line: str) -> bool:
    return _classify(line)[0] == "rule"


def _split_test(text: str) -> tuple[str | None, str]:
    text = text.strip()
    if text.startswith("("):
        parts = _split_arguments(text[1:-1], 2) if text.endswith(")") else []
        return (parts[0].strip(), parts[1].strip()) if len(parts) == 2 else (None, "")
    match = re.match(r"""^(['"])(.*?)\1\s+(['"])(.*?)\3$""", text)
    if match:
        return match.group(2), match.group(4)
    return None, ""


# -- expansion ---------------------------------------------------------------------------------


class _Scope:
    """The variables in force while make expands text: global, target-specific and automatic ones."""

    def __init__(self, makefile: Makefile, overlay: dict[str, _Variable], rule: _Rule | None, target: str = "") -> None:
        self.makefile = makefile
        self.overlay = overlay
        self.rule = rule
        self.target = target
        self.depth = 0

    def lookup(self, name: str) -> str | None:
        automatic = self._automatic(name)
        if automatic is not None:
            return automatic
        variable = self.overlay.get(name) or self.makefile.variables.get(name)
        if variable is None or variable.origin == "undefined":
            return None
        if not variable.recursive:
            return variable.value
        if self.depth > 50:
            raise InputError(Location(self.makefile.path), f"the variable {name} refers to itself")
        self.depth += 1
        try:
            return self.expand(variable.value)
        finally:
            self.depth -= 1

    def _automatic(self, name: str) -> str | None:
        if self.rule is None:
            return None
        prerequisites = self.rule.prerequisites
        values = {
            "@": self.target,
            "<": prerequisites[0] if prerequisites else "",
            "^": " ".join(dict.fromkeys(prerequisites)),
            "+": " ".join(prerequisites),
            "|": " ".join(self.rule.order_only),
            "*": "",
        }
        if name in values:
            return values[name]
        if len(name) == 2 and name[0] in values and name[1] in "DF":
            value = values[name[0]]
            parts = [posixpath.dirname(p) or "." if name[1] == "D" else posixpath.basename(p) for p in value.split()]
            return " ".join(parts)
        return None

    def expand(self, text: str) -> str:
        return self.expand_traced(text, None)[0]

    def expand_traced(self, text: str, base: int | None) -> tuple[str, list[tuple[int, int]]]:
        """Expand ``text``; with ``base``, also where each output character came from (offsets from ``base``)."""
        out: list[str] = []
        origins: list[tuple[int, int]] = []
        index = 0
        while index < len(text):
            char = text[index]
            if char != "$" or index + 1 >= len(text):
                out.append(char)
                if base is not None:
                    origins.append((base + index, base + index + 1))
                index += 1
                continue
            following = text[index + 1]
            if following == "$":
                out.append("$")
                if base is not None:
                    origins.append((base + index, base + index + 2))
                index += 2
                continue
            if following in "({":
                end = _matching(text, index + 1)
                if end is None:
                    raise InputError(Location(self.makefile.path), f"unterminated variable reference in {text!r}")
                value = self._reference(text[index + 2 : end])
                stop = end + 1
            else:
                value = self._variable_value(following)
                stop = index + 2
            out.append(value)
            if base is not None:
                origins.extend([(base + index, base + stop)] * len(value))
            index = stop
        return "".join(out), origins

    def _variable_value(self, name: str) -> str:
        value = self.lookup(name)
        if value is None:
            return self.makefile.placeholder(f"$({name})")
        return value

    def _reference(self, inner: str) -> str:
        head, space, rest = inner.partition(" ")
        if space and head in _FUNCTIONS:
            return _FUNCTIONS[head](self, rest)
        if ":" in inner and "=" in inner.split(":", 1)[1]:
            # A substitution reference: $(VAR:.c=.o)
            name, _, change = inner.partition(":")
            before, _, after = change.partition("=")
            value = self.expand(f"$({name})")
            if _PLACEHOLDER.search(value):
                return self.makefile.placeholder(f"$({inner})")
            pattern = before if "%" in before else "%" + before
            replacement = after if "%" in before else "%" + after
            return " ".join(_patsubst_word(pattern, replacement, word) for word in value.split())
        name = self.expand(inner)
        return self._variable_value(name)


def _split_arguments(text: str, count: int) -> list[str]:
    """A function's arguments: ``text`` split at the commas outside parentheses, into ``count`` parts at most."""
    parts: list[str] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        elif char == "," and depth == 0 and len(parts) < count - 1:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _arguments(scope: _Scope, text: str, count: int, function: str) -> list[str]:
    parts = _split_arguments(text, count)
    if len(parts) < count:
        raise InputError(Location(scope.makefile.path), f"$({function} ...) needs {count} arguments; make stops here")
    return parts


def _matching(text: str, opening: int) -> int | None:
    close = ")" if text[opening] == "(" else "}"
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == text[opening]:
            depth += 1
        elif text[index] == close:
            depth -= 1
            if depth == 0:
                return index
    return None


def _patsubst_word(pattern: str, replacement: str, word: str) -> str:
    prefix, _, suffix = pattern.partition("%")
    if word.startswith(prefix) and word.endswith(suffix) and len(word) >= len(prefix) + len(suffix):
        stem = word[len(prefix) : len(word) - len(suffix)]
        return replacement.replace("%", stem, 1)
    return word


def _unknown_function(name: str):
    def run(scope: _Scope, rest: str) -> str:
        return scope.makefile.placeholder(f"$({name} {rest})")

    return run


def _words_function(transform):
    def run(scope: _Scope, rest: str) -> str:
        value = scope.expand(rest)
        if _PLACEHOLDER.search(value):
            return scope.makefile.placeholder(f"$(... {rest})")
        return transform(value)

    return run


def _subst(scope: _Scope, rest: str) -> str:
    old, new, text = (scope.expand(part) for part in _arguments(scope, rest, 3, "subst"))
    return text.replace(old, new) if old else text


def _patsubst(scope: _Scope, rest: str) -> str:
    pattern, replacement, text = (scope.expand(part) for part in _arguments(scope, rest, 3, "patsubst"))
    return " ".join(_patsubst_word(pattern.strip(), replacement.strip(), word) for word in text.split())


def _affix(prepend: bool):
    def run(scope: _Scope, rest: str) -> str:
        affix, text = (scope.expand(part) for part in _arguments(scope, rest, 2, "addprefix" if prepend else "addsuffix"))
        return " ".join((affix + word) if prepend else (word + affix) for word in text.split())

    return run


def _if(scope: _Scope, rest: str) -> str:
    parts = _split_arguments(rest, 3)
    condition = scope.expand(parts[0]).strip()
    if _PLACEHOLDER.search(condition):
        return scope.makefile.placeholder(f"$(if {rest})")
    if condition:
        return scope.expand(parts[1]) if len(parts) > 1 else ""
    return scope.expand(parts[2]) if len(parts) > 2 else ""


def _or(scope: _Scope, rest: str) -> str:
    for part in _split_arguments(rest, 1000):
        value = scope.expand(part).strip()
        if _PLACEHOLDER.search(value):
            return scope.makefile.placeholder(f"$(or {rest})")
        if value:
            return value
    return ""


def _word(scope: _Scope, rest: str) -> str:
    number, text = (scope.expand(part) for part in _arguments(scope, rest, 2, "word"))
    words = text.split()
    try:
        position = int(number.strip())
    except ValueError:
        return scope.makefile.placeholder(f"$(word {rest})")
    return words[position - 1] if 0 < position <= len(words) else ""


def _abspath(scope: _Scope, rest: str) -> str:
    directory = scope.makefile.variables["CURDIR"].value
    value = scope.expand(rest)
    if _PLACEHOLDER.search(value):
        return scope.makefile.placeholder(f"$(abspath {rest})")
    return " ".join(posixpath.normpath(posixpath.join(directory, word)) for word in value.split())


def _shell(scope: _Scope, rest: str) -> str:
    """``$(shell pwd)`` is the directory make runs in; any other command's output is unknown."""
    if re.fullmatch(r"(?:/bin/)?pwd(?:\s+-[LP])?", scope.expand(rest).strip()):
        return scope.makefile.variables["CURDIR"].value
    return scope.makefile.placeholder(f"$(shell {rest})")


def _realpath(scope: _Scope, rest: str) -> str:
    """``$(realpath .)``: make's directory (already resolved) and the directories above it are what they are named.

    Other paths may be links, or may not exist (then make gives nothing), so they stay unknown.
    """
    directory = scope.makefile.variables["CURDIR"].value
    value = scope.expand(rest)
    paths = [posixpath.normpath(posixpath.join(directory, word)) for word in value.split()]
    if _PLACEHOLDER.search(value) or not all(directory == path or directory.startswith(path.rstrip("/") + "/") for path in paths):
        return scope.makefile.placeholder(f"$(realpath {rest})")
    return " ".join(paths)


def _filter(keep: bool):
    def run(scope: _Scope, rest: str) -> str:
        patterns, text = (scope.expand(part).split() for part in _arguments(scope, rest, 2, "filter" if keep else "filter-out"))

        def matches(word: str) -> bool:
            return any(_patsubst_word(p, "\0", word) == "\0" or (("%" not in p) and p == word) for p in patterns)

        return " ".join(word for word in text if matches(word) == keep)

    return run


_FUNCTIONS = {
    "shell": _shell,
    "wildcard": _unknown_function("wildcard"),
    "realpath": _realpath,
    "eval": _unknown_function("eval"),
    "call": _unknown_function("call"),
    "foreach": _unknown_function("foreach"),
    "origin": _unknown_function("origin"),
    "file": _unknown_function("file"),
    "strip": _words_function(lambda value: " ".join(value.split())),
    "notdir": _words_function(lambda value: " ".join(posixpath.basename(w) for w in value.split())),
    "dir": _words_function(lambda value: " ".join((posixpath.dirname(w) or ".") + "/" for w in value.split())),
    "firstword": _words_function(lambda value: (value.split() or [""])[0]),
    "lastword": _words_function(lambda value: (value.split() or [""])[-1]),
    "words": _words_function(lambda value: str(len(value.split()))),
    "sort": _words_function(lambda value: " ".join(sorted(set(value.split())))),
    "subst": _subst,
    "patsubst": _patsubst,
    "addprefix": _affix(True),
    "addsuffix": _affix(False),
    "if": _if,
    "or": _or,
    "word": _word,
    "abspath": _abspath,
    "filter": _filter(True),
    "filter-out": _filter(False),
}


# -- running a goal ---------------------------------------------------------------------------------


def read_makefile(path: Path, text: str, target_rule: str | None = None) -> DriverReading:
    makefile = parse_makefile(path, text)
    shell = _Scope(makefile, {}, None).lookup("SHELL") or ""
    if posixpath.basename(shell.split(" ")[0]) not in _POSIX_SHELLS:
        line = next((makefile.line_of(m.start()) for m in re.finditer(r"^[ \t]*(?:export\s+|override\s+)?SHELL\b", text, re.M)), None)
        shown = "a shell only known when make runs" if _PLACEHOLDER.search(shell) else shell
        raise Refusal(Location(path, line), f"the recipes run in {shown}, not a POSIX shell dmigrate reads")
    return _Runner(makefile, target_rule).run()


class _Runner:
    def __init__(self, makefile: Makefile, goal: str | None) -> None:
        self.makefile = makefile
        self.path = makefile.path
        self.goal = goal
        self.directory = makefile.variables["CURDIR"].value
        self.operations: list[Operation] = []
        self.notes: list[str] = list(makefile.notes)
        self.parts: dict[Path, DriverReading] = {}
        self.tracked = _tracked_files(self.directory)
        self.depth = 0
        self.made: dict[str, list[Site]] = {}
        """Every target the goal makes, with the sites of the steps its own recipe ran."""

    def run(self) -> DriverReading:
        goal = self.goal or self.makefile.default_goal
        if goal is None:
            raise InputError(Location(self.path), "the Makefile has no rule to run")
        if self.goal is not None and goal not in self.makefile.rules:
            raise InputError(Location(self.path), f"no rule for the target {goal!r}")
        self.notes.append(f"assumed make runs in {Path(self.directory).name}/ with no variables set on its command line")
        if self.goal is None:
            self.notes.append(f"followed the default goal {goal!r}")
        self._make(goal, set(), {}, None)
        self._shell_calls_with_docker()
        return DriverReading(
            path=self.path,
            kind="make",
            text=self.makefile.text,
            operations=tuple(self.operations),
            start_dir=Path(self.directory),
            notes=tuple(dict.fromkeys(self.notes)),
            parts=tuple(self.parts.values()),
            mentions=self._unmade_recipes(),
            make_targets=self._targets(),
        )

    def _targets(self) -> tuple[MakeTarget, ...]:
        targets = []
        for name, rules in self.makefile.rules.items():
            if any(rule.pattern for rule in rules):
                continue
            prerequisites = tuple(dict.fromkeys(p for rule in rules for p in rule.prerequisites + rule.order_only))
            made = name in self.made
            targets.append(MakeTarget(name, rules[0].line, prerequisites, made, tuple(self.made.get(name, ()))))
        return tuple(targets)

    def _unmade_recipes(self) -> tuple[Mention, ...]:
        """The recipe lines of the targets the goal does not make, as make would expand them: they stay as they are."""
        mentions = []
        for name, rules in self.makefile.rules.items():
            if name in self.made:
                continue
            for rule in rules:
                if rule.pattern:
                    continue
                scope = _Scope(self.makefile, dict(self.makefile.target_variables.get(name, {})), rule, name)
                texts = [(rule.line, rule.inline)] if rule.inline else []
                texts += [(line.line, line.text[1:]) for line in rule.recipe]
                for line, text in texts:
                    try:
                        expanded = scope.expand(text)
                    except MigrationStop:
                        expanded = text
                    mentions.append(Mention(Site(rule.file or self.path, line, None), expanded, rule=name))
        return tuple(mentions)

    def _shell_calls_with_docker(self) -> None:
        """``$(shell docker ...)`` runs docker while make expands text, outside any recipe: refused."""
        for expression in self.makefile.unknowns:
            command = expression.removeprefix("$(shell ").removesuffix(")")
            if expression.startswith("$(shell ") and "docker" in command:
                found = self.makefile.text.find(command)
                site = Site(self.path, self.makefile.line_of(found) if found >= 0 else None, None)
                self.operations.append(Opaque(site, "$(shell ...) runs docker while make expands text, outside the recipes dmigrate follows", True))

    def _make(self, target: str, done: set[str], inherited: dict[str, _Variable], guard: str | None) -> None:
        if target in done:
            return
        done.add(target)
        self.made.setdefault(target, [])
        rules = self.makefile.rules.get(target, [])
        overlay = dict(inherited)
        overlay.update(self.makefile.target_variables.get(target, {}))
        for rule in rules:
            for prerequisite in rule.prerequisites + rule.order_only:
                self._make(prerequisite, done, overlay, guard or rule.guard)
        for rule in rules:
            if rule.file is not None and (rule.recipe or rule.inline):
                site = Site(rule.file, rule.line, None, guard or rule.guard)
                mentions = any("docker" in line.text for line in rule.recipe) or "docker" in (rule.inline or "")
                self.operations.append(Opaque(site, f"the recipe for {target} is in the included {rule.file.name}, which dmigrate does not rewrite", mentions))
                continue
            if rule.inline is not None:
                site = Site(self.path, rule.line, None, guard or rule.guard)
                reason = "a recipe on the rule's own line (`target: prerequisites ; command`) is not supported yet; put it on a tab-indented line"
                self.operations.append(Opaque(site, reason, True))
        with_recipe = [rule for rule in rules if rule.recipe and rule.file is None]
        if not with_recipe:
            if not rules and not self._exists(target) and target not in self.makefile.phony:
                self._implicit(target, guard)
            return
        if len(with_recipe) > 1 and not all(rule.double_colon for rule in with_recipe):
            line = with_recipe[-1].line
            self.notes.append(f"{self.path.name}:{line}: make uses the last recipe given for {target}")
            with_recipe = with_recipe[-1:]
        run_guard = guard
        if target not in self.makefile.phony and self._exists(target):
            run_guard = run_guard or f"runs only when make finds {target} out of date"
        elif target not in self.makefile.phony:
            self.notes.append(f"assumed {target} does not exist before make runs (git does not track it)")
        first = len(self.operations)
        for rule in with_recipe:
            scope = _Scope(self.makefile, overlay, rule, target)
            self._recipe(rule, target, scope, run_guard or rule.guard)
        self.made[target].extend(operation.site for operation in self.operations[first:])

    def _exists(self, target: str) -> bool:
        path = posixpath.normpath(posixpath.join(self.directory, target))
        if self.tracked is None:
            return os.path.exists(path)  # False, not an exception, for a name too long or holding a NUL
        relative = posixpath.relpath(path, self.directory)
        return relative in self.tracked or any(name.startswith(relative + "/") for name in self.tracked)

    def _implicit(self, target: str, guard: str | None) -> None:
        for rule in self.makefile.all_rules:
            if not rule.pattern or not rule.recipe:
                continue
            if any(_patsubst_word(pattern, "\0", target) == "\0" for pattern in rule.targets):
                mentions = any("docker" in line.text for line in rule.recipe)
                site = Site(self.path, rule.line, None, guard)
                self.operations.append(Opaque(site, f"{target} is made by the pattern rule {' '.join(rule.targets)}, which dmigrate does not follow", mentions))
                return

    # -- recipes -------------------------------------------------------------------------------
    def _recipe(self, rule: _Rule, target: str, scope: _Scope, guard: str | None) -> None:
        expanded = [self._expand_line(line, scope) for line in rule.recipe]
        environment = self._environment(scope)
        if self.makefile.oneshell:
            shell = b""
            origins: list[tuple[int, int]] = []
            previous = rule.recipe[0]
            for (text, line_origins), line in zip(expanded, rule.recipe):
                if shell:
                    # The newline make puts between two lines stands for the end of the earlier one.
                    shell += b"\n"
                    origins.append((previous.end, previous.end + 1))
                previous = line
                shell += text
                origins.extend(line_origins)
            pieces = [(RecipeText(shell, tuple(origins), tuple((line.start, line.end) for line in rule.recipe)), rule.recipe[0])]
        else:
            pieces = [
                (RecipeText(text, tuple(line_origins), ((line.start, line.end),)), line)
                for (text, line_origins), line in zip(expanded, rule.recipe)
            ]
        for recipe, first_line in pieces:
            if not recipe.shell.strip():
                continue
            self._read_recipe(recipe, first_line, rule, target, environment, guard)

    def _expand_line(self, line: _RecipeLine, scope: _Scope) -> tuple[bytes, list[tuple[int, int]]]:
        """The shell text of one recipe line: expanded, continuation tabs and prefix characters removed."""
        source = line.text
        kept: list[tuple[str, int]] = []
        index = 1  # the recipe prefix tab
        while index < len(source):
            char = source[index]
            if char == "\r" and source.startswith("\n", index + 1):
                index += 1  # make drops the CR of a CRLF line ending
                continue
            kept.append((char, index))
            if char == "\n" and index + 1 < len(source) and source[index + 1] == "\t":
                index += 2
                continue
            index += 1
        # Expand piece by piece so that origins point into the Makefile text.
        text = "".join(char for char, _ in kept)
        try:
            expanded, origins = scope.expand_traced(text, 0)
        except InputError as error:
            raise InputError(Location(self.path, line.line), error.reason) from None
        positions = [position for _, position in kept]
        mapped = []
        for start, end in origins:
            first = positions[start]
            last = positions[end - 1] + 1
            mapped.append((line.start + first, line.start + last))
        start = 0
        while start < len(expanded) and expanded[start] in "@-+ \t":
            start += 1
        expanded, mapped = expanded[start:], mapped[start:]
        data = bytearray()
        byte_origins: list[tuple[int, int]] = []
        for char, origin in zip(expanded, mapped):
            encoded = char.encode("utf-8")
            data += encoded
            byte_origins.extend([origin] * len(encoded))
        return bytes(data), byte_origins

    def _environment(self, scope: _Scope) -> tuple[dict[str, Word], list[str], dict[str, bool | None]]:
        """What make puts in a recipe's environment: the exported variables with their values; the names it
        sets without ``export`` (there only when the environment make started in held them); and the names it
        surely keeps out (False, ``unexport``) or may export (None)."""
        environment: dict[str, Word] = {}
        withheld: list[str] = []
        exports: dict[str, bool | None] = {}
        export_all = self.makefile.export_all
        for name in dict.fromkeys([*self.makefile.variables, *scope.overlay]):
            variables = [v for v in (self.makefile.variables.get(name), scope.overlay.get(name)) if v is not None]
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or all(v.origin == "default" for v in variables):
                continue
            if any(v.exported for v in variables):
                exported = True
            elif any(v.unexported for v in variables):
                exported = False
            else:
                exported = export_all
            if name in self.makefile.exports_unsure or exported is None:
                exports[name] = None
            elif exported and any(v.origin != "undefined" for v in variables):
                value = scope.lookup(name) or ""
                environment[name] = Word(value, _shell_key(value))
            elif not exported and any(v.unexported for v in variables):
                exports[name] = False
            elif not exported and any(v.origin not in ("undefined", "default") for v in variables):
                withheld.append(name)
        return environment, withheld, exports

    def _read_recipe(self, recipe: RecipeText, line: _RecipeLine, rule: _Rule, target: str, environment, guard) -> None:
        text = recipe.shell.decode("utf-8")
        exported, withheld, exports = environment
        try:
            operations, notes = read_shell_fragment(
                self.path,
                text,
                self.directory,
                first_position=len(self.operations),
                environment=exported,
                withheld=withheld,
                exports=exports,
            )
        except MigrationStop as stop:
            offset = _line_offset(text, stop.location.line)
            where = recipe.origins[offset][0] if offset < len(recipe.origins) else line.start
            raise type(stop)(Location(self.path, self.makefile.line_of(where)), stop.reason) from None
        self.notes.extend(notes)
        for operation in operations:
            self._add(operation, recipe, rule, target, guard, environment)

    def _add(self, operation: Operation, recipe: RecipeText, rule: _Rule, target: str, guard: str | None, environment) -> None:
        anchor = operation.site.anchor
        offset = anchor.span[0] if isinstance(anchor, ShellAnchor) else 0
        where = recipe.origins[min(offset, len(recipe.origins) - 1)][0] if recipe.origins else rule.header[0]
        site = Site(
            self.path,
            self.makefile.line_of(where),
            MakeAnchor(target, recipe, anchor, rule.header) if isinstance(anchor, ShellAnchor) else None,
            operation.site.guard or guard,
        )
        operation = map_words(replace(operation, site=site), _unknown_placeholder)
        if isinstance(anchor, ShellAnchor):
            operation = _with_source_texts(operation, recipe, anchor, self.makefile.text)
        if isinstance(operation, HostCommand):
            if self._follow_script(operation, guard, environment, recipe, anchor) or self._follow_make(operation, guard):
                return
        self.operations.append(operation)

    def _follow_script(self, operation: HostCommand, guard: str | None, environment, recipe: RecipeText, anchor) -> bool:
        """``./build.sh`` or ``sh build.sh`` in a recipe: the script's steps are part of the flow.

        The script gets make's exported variables in its environment.  What
        else reaches it (``NAME=value ./build.sh``, a variable make may or may
        not export) is not handed over, so then a name it never assigns may
        hold anything, and whether one it assigns is exported cannot be told.
        """
        followed = script_run_by(operation.argv, operation.cwd)
        if followed is None:
            return False
        script, arguments = followed
        if self.depth > 10:
            raise InputError(Location(self.path, operation.site.line), f"{script.name} runs itself too deeply to follow")
        exported, _withheld, exports = environment
        command = recipe.shell[slice(*anchor.span)].decode("utf-8", "replace") if isinstance(anchor, ShellAnchor) else ""
        prefixed = re.match(r"\s*(?:[A-Za-z_][A-Za-z0-9_]*=|env\s)", command) is not None
        self.depth += 1
        try:
            reading = read_shell(
                script,
                cwd=operation.cwd.key,
                positional=arguments,
                first_position=len(self.operations),
                environment=exported,
                environment_known=not prefixed and None not in exports.values(),
                depth=1,
            )
        finally:
            self.depth -= 1
        for part in (reading, *reading.parts):
            self.parts.setdefault(part.path, part)
        self.notes.append(f"followed {self.path.name}:{operation.site.line} into {script.name}")
        for inner in reading.operations:
            inner_guard = inner.site.guard or guard
            self.operations.append(replace(inner, site=replace(inner.site, guard=inner_guard)) if inner_guard != inner.site.guard else inner)
        return True

    def _follow_make(self, operation: HostCommand, guard: str | None) -> bool:
        """``$(MAKE) target`` on this same Makefile runs a second make; its rules are part of the flow."""
        argv = [word.key for word in operation.argv]
        if not argv or posixpath.basename(argv[0]) not in ("make", "gmake"):
            return False
        goals = []
        for word in argv[1:]:
            if word in ("-s", "--silent", "--no-print-directory", "-k") or (word.startswith("-j") and word[2:].isdigit()):
                continue
            if word.startswith("-") or "=" in word or UNKNOWN_MARK in word:
                self._unfollowed_make(operation, argv)
                return True
            goals.append(word)
        if self.depth > 10:
            raise InputError(Location(self.path, operation.site.line), "make calls itself too deeply to follow")
        self.depth += 1
        try:
            done: set[str] = set()
            for goal in goals or [self.makefile.default_goal or ""]:
                self._make(goal, done, {}, guard)
        finally:
            self.depth -= 1
        return True


    def _unfollowed_make(self, operation: HostCommand, argv: list[str]) -> None:
        """A make with flags or variables dmigrate does not follow: refused when the Makefile it runs says docker."""
        directory = operation.cwd.key if operation.cwd.known else self.directory
        makefile = None
        for index, word in enumerate(argv[1:], start=1):
            following = argv[index + 1] if index + 1 < len(argv) else None
            if word in ("-C", "--directory") and following is not None:
                directory = posixpath.normpath(posixpath.join(directory, following))
            elif word.startswith("--directory="):
                directory = posixpath.normpath(posixpath.join(directory, word.split("=", 1)[1]))
            elif word in ("-f", "--file", "--makefile") and following is not None:
                makefile = following
        candidates = [makefile] if makefile else ["GNUmakefile", "makefile", "Makefile"]
        mentions = True
        for name in candidates:
            path = Path(posixpath.join(directory, name)) if name else None
            if path is not None and not may_read(path):
                break
            if path is not None and os.path.isfile(path):
                from migrate.read.files import MAX_FILE_BYTES, head_or_none

                head = head_or_none(path, MAX_FILE_BYTES)
                mentions = head is None or b"docker" in head  # one that cannot be read may
                break
        shown = " ".join(argv)
        self.operations.append(Opaque(operation.site, f"`{shown}` runs make in a way dmigrate does not follow", mentions))


def _unknown_placeholder(word: Word) -> Word:
    """A stand-in for unknown make text that the shell took literally (inside single quotes) is still unknown."""
    if PLACEHOLDER_PREFIX in word.key.replace(UNKNOWN_MARK + "$" + PLACEHOLDER_PREFIX, ""):
        return Word(word.text, UNKNOWN_MARK + word.text + UNKNOWN_MARK)
    return word


def _with_source_texts(operation: Operation, recipe: RecipeText, anchor: ShellAnchor, source: str) -> Operation:
    """Give the words of a docker command their Makefile text, so that build args made of them keep ``$(VAR)`` and ``$$``."""
    texts: dict[str, str] = {}
    for start, end in anchor.words:
        expanded = recipe.shell[start:end].decode("utf-8")
        span = recipe.source_span(start, end)
        written = source[span[0] : span[1]] if span is not None else None
        if written is not None and "\n" in written:
            written = None
        texts.setdefault(expanded, written if written is not None else expanded.replace("$", "$$"))

    def convert(value):
        if isinstance(value, Word):
            return Word(texts.get(value.text, value.text), value.key)
        if isinstance(value, BuildArg):
            return _build_arg_text(value, texts)
        if isinstance(value, tuple):
            return tuple(convert(item) for item in value)
        if is_dataclass(value) and not isinstance(value, (Site, type)):
            return replace(value, **{f.name: convert(getattr(value, f.name)) for f in fields(value) if f.name != "site"})
        return value

    if isinstance(operation, (Build, Container)):
        return convert(operation)
    return operation


def _build_arg_text(arg: BuildArg, texts: dict[str, str]) -> BuildArg:
    parts = arg.text.split(" ", 1)
    if len(parts) == 2 and parts[0] in texts and parts[1] in texts:
        text = f"{texts[parts[0]]} {texts[parts[1]]}"
        value_source = texts[parts[1]]
    elif arg.text in texts:
        text = texts[arg.text]
        value_source = text.split("=", 1)[1] if text.startswith("--") and "=" in text else text
    else:
        return arg
    value = arg.value
    if value is not None:
        name, sep, rest = value_source.partition("=")
        value = Word(rest if sep and name == arg.name else value.text.replace("$", "$$"), value.key)
    return BuildArg(arg.name, value, text)


def _line_offset(text: str, line: int | None) -> int:
    if not line:
        return 0
    offset = 0
    for _ in range(line - 1):
        found = text.find("\n", offset)
        if found == -1:
            break
        offset = found + 1
    return len(text[:offset].encode("utf-8"))


def _shell_key(value: str) -> str:
    return _PLACEHOLDER.sub(lambda match: UNKNOWN_MARK + match.group(0) + UNKNOWN_MARK, value)


def _tracked_files(directory: str) -> frozenset[str] | None:
    """Files git tracks, relative to ``directory``; None outside git."""
    from migrate.gitcommand import GitProblem, run_git
    from migrate.read.gitindex import tracked_below

    known = tracked_below(directory)
    if known is not None:
        return known[0]
    try:
        listing = run_git(["ls-files", "-z", "--", "."], directory)
    except GitProblem:
        return None
    if listing.returncode != 0:
        return None
    return frozenset(name for name in listing.stdout.decode("utf-8", "surrogateescape").split("\0") if name)
