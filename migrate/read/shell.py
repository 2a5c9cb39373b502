"""Read a shell driver with tree-sitter-bash into docker and host operations.

The reader walks the script the way bash would run it, as far as that can be
known without running anything: it follows variables, functions, ``cd`` and
``pushd``, unrolls ``for`` loops over literal lists and records, for every
command that matters, the spans its emitter needs to remove or rewrite it.
Commands that only run sometimes (inside ``if``, ``case``, ``while`` or after
``||``) carry a guard so that the tracer can refuse to depend on them.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from migrate.read import budget, file_mentions_docker, read_source_text
from migrate.read.boundary import may_read
from migrate.errors import InputError, Location, MigrationStop, Refusal
from migrate.read.docker_cli import parse_docker_command, parse_gcloud_docker
from migrate.read.front_ends import compose_is_harmless, gcloud_docker_arguments
from migrate.read.ops import UNKNOWN_MARK, Build, BuildArg, Container, DriverReading, HostCommand, Opaque, Operation, Site, Word

_PARSER = None
_UNSET = object()
_ALWAYS_EXPORTED = frozenset({"PATH", "HOME"})
"""Names every environment holds: assigning one changes what the programs the script runs see, without ``export``."""

_SCRIPT_RUNNERS = {"sh", "bash", "dash", "/bin/sh", "/bin/bash", "/usr/bin/env"}
_EXPORTS = re.compile(r"(?:^|[\s;&|(])(?:export|set\s+-[A-Za-z]*a|set\s+-o\s+allexport|(?:declare|typeset)\s+-[A-Za-z]*x)\b", re.M)
"""Shell text that may put a variable into the environment of the programs it runs."""

# Commands that neither read nor write the files their arguments name, so they cannot tell an artifact
# is gone (`cat app`, `[ -f app ]`, `sed -i` and `tee app` do; they are host commands for the tracer to judge).
_INERT_COMMANDS = {
    "echo", "printf", "true", ":", "false", "set", "shopt", "sleep", "exit", "return", "trap", "wait", "read",
    "shift", "unset", "date", "uname", "whoami", "id", "hostname", "command", "type", "which", "hash",
    "local", "readonly", "declare", "typeset", "export", "alias", "cd", "pushd", "popd", "pwd", "dirname",
    "basename", "realpath", "readlink", "env", "printenv", "tput", "logger", "notify-send",
    "mapfile", "readarray", "getopts", "let", "break", "continue",
}  # fmt: skip
_PREFIX_COMMANDS = {"sudo": "ugChpDrtUT", "time": "fo", "exec": "a", "command": "", "nice": "n", "nohup": "", "builtin": "", "timeout": "sk"}
"""Commands that run the command after them, with their short options that take a value."""
_TRIVIAL_FALLBACKS = {"true", ":"}
_DOUBLE_QUOTE_ESCAPES = '$`"\\\n'
_TESTS = {"[", "test", "false", "grep", "egrep", "fgrep", "cmp", "diff"}
_ASSIGNED = re.compile(r"(?:^|[\s;&|(])(?:export\s+|readonly\s+|declare\s+(?:-\w+\s+)*)?([A-Za-z_]\w*)\+?=")
"""Names that shell code assigns, read from its text."""
_CHANGES_DIRECTORY = re.compile(r"(?:^|[\s;&|(])(?:cd|pushd|popd)(?:\s|;|$)")
_FILE_TESTS = {
    "-a", "-b", "-c", "-d", "-e", "-f", "-g", "-h", "-k", "-p", "-r", "-s", "-u", "-w", "-x", "-G", "-L", "-N", "-O", "-S",
    "-nt", "-ot", "-ef",
}  # fmt: skip
_SETS_VARIABLES = {"read": "adinNptu", "mapfile": "dnOsuCc", "readarray": "dnOsuCc", "printf": "v", "getopts": "", "let": "", "unset": ""}
"""Builtins that set the variables they name, with the options that take a value."""
_EXPANSIONS = ("simple_expansion", "expansion", "command_substitution")
_IFS = re.compile(r"[ \t\n]+")
_GLOB = re.compile(r"(?<!\\)[*?[]")
"""A pathname-expansion character that no backslash escapes, in an unquoted word."""
_BRACES = re.compile(r"\{[^{}]*(?:,|\.\.)[^{}]*\}")
_ALL_POSITIONALS = re.compile(r"^\$\{?!?(?:@|[A-Za-z_][A-Za-z0-9_]*\[@\])")
"""``$@``, ``${@:2}``, ``${arr[@]}``: one word per item even inside double quotes."""
_PATTERN_SYNTAX = "\"'$`\\[("
"""In ``${X%pattern}``: quoting, expansions, classes and extended globs, which :func:`fnmatch` would not read as bash does."""


def _parser():
    global _PARSER
    if _PARSER is None:
        import tree_sitter
        import tree_sitter_bash

        _PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
    return _PARSER


@dataclass(frozen=True)
class FunctionScope:
    """A function call a command ran inside of, so that an emptied function can go with its calls."""

    name: str
    definition: tuple[int, int]
    """The whole ``name() { ... }`` statement."""
    statements: tuple[tuple[int, int], ...]
    """Spans of the body's statements, leaving out bare declarations such as ``local id``."""
    call: "ShellAnchor"


@dataclass(frozen=True)
class ShellAnchor:
    """Where a command stands, in byte offsets of the driver's UTF-8 text."""

    statement: tuple[int, int]
    """The whole statement, with a ``;`` that ends it."""
    elements: tuple[tuple[int, int], ...]
    """The parts of an ``&&``/``||`` chain (one part for a plain command)."""
    operators: tuple[str, ...]
    index: int
    """Which element of the chain this command is."""
    trivial: tuple[bool, ...]
    """Per element: a fallback that does nothing, such as ``|| true``."""
    words: tuple[tuple[int, int], ...] = ()
    """Spans of the command's own words, for rewriting its arguments."""
    scopes: tuple[FunctionScope, ...] = ()
    """The function calls this command runs inside, outermost first."""

    @property
    def span(self) -> tuple[int, int]:
        """The command itself: equal spans mean the same line of the driver."""
        return self.elements[self.index] if 0 <= self.index < len(self.elements) else self.statement


@dataclass
class _State:
    variables: dict[str, Word]
    cwd: Word
    positional: tuple[Word, ...] | None
    dir_stack: list[Word] = field(default_factory=list)
    guard: str | None = None
    notes: list[str] = field(default_factory=list)
    depth: int = 0
    scopes: tuple[FunctionScope, ...] = ()
    local_names: set[str] | None = None
    """Inside a function call: the names ``local`` made its own, which the caller gets back afterwards."""
    in_trap: bool = False
    """Reading a ``trap`` handler: its ``exit`` ends the handler, not the reading."""
    environment_known: bool = True
    """Whether a name never assigned is taken as unset (false after sourcing a file that cannot be read)."""
    exported: dict[str, bool | None] = field(default_factory=dict)
    """Names whose export attribute the script set (True), took away (False: ``export -n``, ``unset``) or may have set (None)."""
    allexport: bool | None = False
    """``set -a``: every assignment exports its name (None when that is on only sometimes)."""
    exports_unknown: bool = False
    """Code that exports names dmigrate cannot see ran (``export "$N"``, a sourced file): any name may be exported."""
    withheld: frozenset[str] = frozenset()
    """Names the driver that hands this text over sets without putting them in its environment (a Makefile's unexported variables)."""

    def fork(self, **changes) -> "_State":
        state = _State(
            variables=dict(self.variables),
            cwd=self.cwd,
            positional=self.positional,
            dir_stack=list(self.dir_stack),
            guard=self.guard,
            notes=self.notes,
            depth=self.depth,
            scopes=self.scopes,
            local_names=self.local_names,
            in_trap=self.in_trap,
            environment_known=self.environment_known,
            exported=dict(self.exported),
            allexport=self.allexport,
            exports_unknown=self.exports_unknown,
            withheld=self.withheld,
        )
        for key, value in changes.items():
            setattr(state, key, value)
        return state

    def assigned(self, name: str) -> None:
        """``name`` was just given a value: under ``set -a`` that exports it."""
        if self.allexport is not False and self.exported.get(name) is not True:
            self.exported[name] = True if self.allexport else None


class _Stop(Exception):
    """``exit``: nothing after it runs (in its subshell)."""


class _Return(Exception):
    """``return``: the rest of the function does not run."""


def read_shell(
    path: Path,
    text: str | None = None,
    *,
    cwd: str | None = None,
    positional: tuple[Word, ...] | None = None,
    first_position: int = 0,
    environment: dict[str, Word] | None = None,
    environment_known: bool = True,
    depth: int = 0,
) -> DriverReading:
    """Read a shell driver; ``cwd``, ``positional`` and ``environment`` when another driver runs it (``./build.sh``).

    ``first_position`` is where its first operation stands in the flow, so that
    captured container ids name the positions the tracer sees.  Without
    ``environment_known``, a name the script never assigns may hold anything.
    ``depth`` counts the scripts that ran this one.
    """
    if text is None:
        text = read_source_text(path, "driver")
    reader = _ShellReader(path, text, first_position, depth)
    return reader.read(cwd, positional, environment, environment_known)


def program_run_by(argv: Sequence[Word]) -> tuple[Word, tuple[Word, ...]] | None:
    """The file a command runs as a program, and its arguments.

    ``./extract.sh a``, ``scripts/x.py``, ``bash -e x.sh``, ``/usr/bin/env bash x.sh``;
    not ``sh -c CODE``, nor a name looked up on ``PATH``.
    """
    words = list(argv)
    if not words or not words[0].known:
        return None
    if words[0].key in _SCRIPT_RUNNERS:
        words = words[1:]
        if words and words[0].key in _SCRIPT_RUNNERS:
            words = words[1:]
        while words and words[0].key.startswith("-") and words[0].key != "-c":
            words = words[1:]
        if words and words[0].key == "-c":
            return None
    elif "/" not in words[0].key:
        return None
    if not words or not words[0].known:
        return None
    return words[0], tuple(words[1:])


def script_run_by(argv: Sequence[Word], cwd: Word) -> tuple[Path, tuple[Word, ...]] | None:
    """The project's shell script that a command runs (see :func:`program_run_by`), and its arguments."""
    run = program_run_by(argv)
    if run is None or not cwd.known:
        return None
    program, arguments = run
    script = Path(posixpath.normpath(posixpath.join(cwd.key, program.key)))
    if not may_read(script) or not os.path.isfile(script) or not is_shell_script(script):
        return None
    return script, arguments


def is_shell_script(path: Path) -> bool:
    """A ``.sh``/``.bash`` file, or one whose ``#!`` line names a shell."""
    if path.suffix in (".sh", ".bash"):
        return True
    from migrate.read.files import head_or_none

    first = (head_or_none(path, 200) or b"").split(b"\n", 1)[0]
    return first.startswith(b"#!") and b"sh" in first.split(b"/")[-1]


def read_shell_fragment(
    path: Path,
    text: str,
    cwd: str,
    *,
    first_position: int = 0,
    environment: dict[str, Word] | None = None,
    withheld: Sequence[str] = (),
    exports: Mapping[str, bool | None] | None = None,
) -> tuple[tuple[Operation, ...], tuple[str, ...]]:
    """Read shell text that another driver hands to a shell (a Makefile recipe line, an ``os.system`` string).

    The operations' sites carry :class:`ShellAnchor` spans and line numbers of
    ``text`` itself; the caller turns them into its own anchors.  ``environment``
    is what the shell gets in its environment; ``withheld`` names what the
    caller sets without putting it there; ``exports`` says of other names
    that the caller surely keeps them out (False) or may put them there
    (None).  Returns the operations and the assumptions made.
    """
    reader = _ShellReader(path, text, first_position)
    reader.follows_scripts = False  # the driver that hands the text over follows the scripts it runs, into files of their own
    error = _first_error(reader.tree.root_node)
    if error is not None:
        problem = _bash_syntax_error(text)
        line, message = problem if problem is not None else (error.start_point[0] + 1, "dmigrate cannot read this shell text")
        raise InputError(Location(path, line), f"syntax error: {message}")
    state = _State(variables=dict(environment or {}), cwd=Word.literal(cwd), positional=None)
    state.exported = {**(exports or {}), **dict.fromkeys(environment or {}, True)}
    state.withheld = frozenset(withheld)
    try:
        reader._block(reader.tree.root_node.children, state)
    except _Stop:
        pass
    return tuple(reader.operations + reader.deferred), tuple(dict.fromkeys(state.notes))


class _ShellReader:
    def __init__(self, path: Path, text: str, first_position: int = 0, depth: int = 0) -> None:
        self.path = path
        self.first_position = first_position
        self.depth = depth
        self.follows_scripts = True
        self.parts: dict[Path, DriverReading] = {}
        self.text = text
        self.source = text.encode("utf-8")
        self.tree = parse_bash(self.source, path)
        self.functions: dict[str, object] = {}
        self.operations: list[Operation] = []
        self.deferred: list[Operation] = []

    @cached_property
    def script_dir(self) -> str:
        """Asked for only when the script runs from its own directory, not for text another driver hands over."""
        return str(self.path.resolve().parent)

    # -- entry -------------------------------------------------------------
    def read(
        self,
        cwd: str | None = None,
        positional: tuple[Word, ...] | None = None,
        environment: dict[str, Word] | None = None,
        environment_known: bool = True,
    ) -> DriverReading:
        error = _first_error(self.tree.root_node)
        if error is not None:
            problem = _bash_syntax_error(self.text)
            if problem is not None:
                line, message = problem
                raise InputError(Location(self.path, line), f"syntax error: {message}")
            raise Refusal(
                Location(self.path, error.start_point[0] + 1),
                "bash accepts this, but dmigrate cannot read it (tree-sitter-bash reports an error here)",
            )
        state = _State(variables=dict(environment or {}), cwd=Word.literal(cwd or self.script_dir), positional=positional)
        state.environment_known = environment_known
        state.exported = dict.fromkeys(environment or {}, True)
        if cwd is None:
            state.notes.append(f"assumed {self.path.name} runs from its own directory")
        try:
            self._block(self.tree.root_node.children, state)
        except _Stop:
            pass
        return DriverReading(
            path=self.path,
            kind="shell",
            text=self.text,
            operations=tuple(self.operations + self.deferred),
            start_dir=Path(self.script_dir),
            notes=tuple(dict.fromkeys(state.notes)),
            parts=tuple(self.parts.values()),
        )

    def _node_text(self, node) -> str:
        # The node's own tree holds its text: a trap handler is parsed on its own and read by this reader.
        return node.text.decode("utf-8", "replace")

    def _site(self, node, anchor: ShellAnchor | None, state: _State) -> Site:
        return Site(self.path, node.start_point[0] + 1, anchor, state.guard)

    # -- statements ----------------------------------------------------------
    def _block(self, children, state: _State) -> None:
        for node, span in _statements(children):
            budget.check(self.path, node.start_point[0] + 1)
            self._statement(node, state, span)

    def _statement(self, node, state: _State, span: tuple[int, int]) -> None:
        elements, operators = _flatten_chain(node)
        trivial = tuple(self._is_trivial(element) for element in elements)
        spans = tuple((e.start_byte, e.end_byte) for e in elements)
        for index, element in enumerate(elements):
            anchor = ShellAnchor(
                statement=span,
                elements=spans,
                operators=tuple(operators),
                index=index,
                trivial=trivial,
                scopes=state.scopes,
            )
            reason = None
            if index > 0 and operators[index - 1] == "||" and not trivial[index]:
                reason = "runs only when the command before `||` fails"
            elif index > 0 and operators[index - 1] == "&&" and any(self._is_test(e) for e in elements[:index]):
                reason = "runs only when the test before `&&` succeeds"
            if reason is None:
                self._element(element, state, anchor)
            else:
                inner = state.fork(guard=state.guard or reason)
                self._element(element, inner, anchor)
                self._forget_changes(state, inner, element)

    def _is_test(self, node) -> bool:
        """A command that is there for its exit status (``[ -f x ]``, ``grep -q``), so what follows its ``&&`` runs only sometimes."""
        if node.type == "redirected_statement":
            node = node.child_by_field_name("body") or node
        if node.type in ("test_command", "negated_command"):
            return True
        if node.type == "compound_statement":
            return bool(node.children) and node.children[0].type == "(("
        name = node.child_by_field_name("name") if node.type == "command" else None
        return name is not None and self._node_text(name) in _TESTS

    def _sometimes(self, children, state: _State, reason: str, node) -> None:
        """Read what runs only sometimes: its steps carry a guard, and what it changes is unknown afterwards."""
        inner = state.fork(guard=state.guard or reason)
        self._block(children, inner)
        self._forget_changes(state, inner, node)

    def _forget_changes(self, state: _State, inner: _State, node) -> None:
        """What ``inner`` (code that runs only sometimes) changed is unknown in ``state`` from now on."""
        after = f"after line {node.end_point[0] + 1}"
        for name in inner.variables.keys() | state.variables.keys():
            if inner.variables.get(name) != state.variables.get(name):
                state.variables[name] = Word(f"${name}", _unknown(f"${name} {after}"))
        if inner.cwd != state.cwd:
            state.cwd = Word("$PWD", _unknown(f"the directory {after}"))
        if inner.dir_stack != state.dir_stack:
            state.dir_stack = [Word("popd", _unknown(f"popd {after}"))] * len(inner.dir_stack)
        if inner.positional != state.positional:
            state.positional = None
        for name in inner.exported.keys() | state.exported.keys():
            if inner.exported.get(name, _UNSET) != state.exported.get(name, _UNSET):
                state.exported[name] = None
        if inner.allexport != state.allexport:
            state.allexport = None
        state.exports_unknown = state.exports_unknown or inner.exports_unknown

    def _is_trivial(self, node) -> bool:
        if node.type != "command":
            return False
        name = node.child_by_field_name("name")
        return name is not None and self._node_text(name) in _TRIVIAL_FALLBACKS and len(node.named_children) == 1

    def _element(self, node, state: _State, anchor: ShellAnchor, captured: str | None = None) -> None:
        kind = node.type
        if kind == "command":
            self._command(node, state, anchor, captured=captured)
        elif kind == "redirected_statement":
            self._redirected(node, state, anchor, captured)
        elif kind == "pipeline":
            self._pipeline(node, state, anchor)
        elif kind == "variable_assignment":
            self._assign(node, state, anchor)
        elif kind in ("variable_assignments", "declaration_command"):
            self._declare(node, state, anchor)
        elif kind == "unset_command":
            words = [Word.literal(self._node_text(child)) for child in node.named_children]
            self._set_by_command("unset", words, state, node)
        elif kind == "function_definition":
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if name is not None and body is not None:
                self.functions[self._node_text(name)] = (node, body, anchor.statement)
        elif kind in ("compound_statement", "do_group", "else_clause", "elif_clause", "case_item"):
            self._block(node.children, state)
        elif kind == "subshell":
            try:
                self._block(node.children, state.fork())
            except _Stop:
                pass  # `exit` in ( ... ) ends only the subshell
        elif kind == "negated_command":
            for child in node.named_children:
                self._element(child, state, anchor)
        elif kind == "if_statement":
            self._sometimes(node.children, state, "inside an `if` decided at run time", node)
        elif kind == "case_statement":
            self._sometimes(node.children, state, "inside a `case` chosen at run time", node)
        elif kind in ("while_statement", "c_style_for_statement"):
            self._sometimes(node.children, state, "inside a loop whose rounds cannot be known without running it", node)
        elif kind == "for_statement":
            self._for(node, state)
        elif kind == "list":
            self._statement(node, state, anchor.statement)
        elif kind == "test_command":
            self._test(node, state, anchor)
        # Arithmetic and bare words do not touch the flow.

    def _for(self, node, state: _State) -> None:
        variable = node.child_by_field_name("variable")
        values = node.children_by_field_name("value")
        body = node.child_by_field_name("body")
        if variable is None or body is None:
            return
        words: list[Word] = []
        for value in values:
            words.extend(self._fields(value, state))
        name = self._node_text(variable)
        if not values or not all(word.known and not _has_glob(word.key) for word in words):
            listed = ", ".join(self._node_text(v) for v in values) or '"$@"'
            reason = f"inside a `for` loop over {listed}, whose items cannot be known without running it"
            inner = state.fork(guard=state.guard or reason)
            inner.variables[name] = Word(f"${name}", _unknown(f"${name} in the loop on line {node.start_point[0] + 1}"))
            self._block(body.children, inner)
            self._forget_changes(state, inner, node)
            return
        if _stops_early(body):
            self._sometimes(body.children, state, "inside a `for` loop that `break` or `continue` may cut short", node)
            return
        for word in words:
            state.variables[name] = word
            state.assigned(name)
            self._block(body.children, state)

    # -- simple commands -----------------------------------------------------
    def _declare(self, node, state: _State, anchor: ShellAnchor) -> None:
        """Assignments, and ``local``/``declare`` inside a function: the names stay the function's own.

        ``export``, ``declare -x`` and ``typeset -x`` give the names the export
        attribute; ``export -n`` and ``declare +x`` take it away.
        """
        keyword = node.children[0].type if node.type == "declaration_command" and node.children else ""
        flags = [self._node_text(c) for c in node.named_children if c.type == "word" and self._node_text(c)[:1] in ("-", "+")]
        options = "".join(flag[1:] for flag in flags if flag.startswith("-"))
        local = keyword in ("local", "declare", "typeset") and "g" not in options and state.local_names is not None
        export: bool | None = None
        if keyword == "export" and "f" not in options and "p" not in options:
            export = "n" not in options
        elif keyword in ("local", "declare", "typeset"):
            if "x" in options:
                export = True
            elif any(flag.startswith("+") and "x" in flag for flag in flags):
                export = False
        for child in node.named_children:
            name = None
            if child.type == "variable_assignment":
                name_node = child.child_by_field_name("name")
                name = self._node_text(name_node) if name_node is not None else None
                if local and name is not None:
                    state.local_names.add(name)
                self._assign(child, state, anchor)
            elif child.type == "variable_name":
                name = self._node_text(child)
                if local:
                    state.local_names.add(name)
                    state.variables[name] = Word.literal("")
                    if state.exported.get(name) is True and export is None:
                        # Until it gets a value, the programs it runs still see the caller's value, not this empty one.
                        state.exported[name] = None
            elif export is not None and child.type != "word":
                state.exports_unknown = True  # ``export "$NAME"``: which name cannot be known
            if name is not None and export is not None:
                state.exported[name] = export

    def _assign(self, node, state: _State, anchor: ShellAnchor | None) -> None:
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        if name_node is None:
            return
        name = self._node_text(name_node)
        if name_node.type == "subscript":
            # ``A[0]=x`` changes what ``$A`` says.
            array = name.split("[", 1)[0]
            state.variables[array] = Word(f"${array}", _unknown(f"${array} after line {node.start_point[0] + 1}"))
            return
        if value_node is None:
            value = Word.literal("")
        elif value_node.type == "command_substitution" or (
            value_node.type == "string" and any(c.type == "command_substitution" for c in value_node.named_children)
        ):
            value = self._substitution_value(value_node, state, anchor, captured_as=name)
        elif value_node.type == "array" or value_node.type == "word" and ":~" in self._node_text(value_node):
            # An array, or ``PATH=a:~/b`` (a tilde after a colon expands in an assignment).
            value = Word(self._node_text(value_node), _unknown(self._node_text(value_node)))
        else:
            value = self._word(value_node, state)
            self._substituted_commands(value_node, state, anchor)
        if self._node_text(node)[len(name) :].startswith("+="):
            previous = state.variables.get(name, Word.literal(""))
            value = Word(previous.text + value.text, previous.key + value.key)
        state.variables[name] = value
        state.assigned(name)

    def _substitution_value(self, node, state: _State, anchor: ShellAnchor | None, captured_as: str) -> Word:
        """``id=$(docker create IMG)`` runs the docker command and captures the container id."""
        substitution = node if node.type == "command_substitution" else None
        if node.type == "string":
            found = [c for c in node.named_children if c.type == "command_substitution"]
            if len(found) == 1 and len(node.named_children) == 1:
                substitution = found[0]
        inner = [c for c in substitution.named_children if c.type != "comment"] if substitution is not None else []
        if len(inner) == 1 and inner[0].type in ("command", "redirected_statement") and self._mentions_docker(inner[0]):
            before = self.first_position + len(self.operations)
            self._element(inner[0], state, anchor or _single_anchor(node), captured=captured_as)
            if self.first_position + len(self.operations) > before:
                return Word(self._node_text(node), _unknown(f"container-id {captured_as} {before}"))
            return self._word(node, state)
        self._substituted_commands(node, state, anchor)
        return self._word(node, state)

    def _substituted_commands(self, node, state: _State, anchor: ShellAnchor | None) -> None:
        """The docker commands inside ``$(...)`` in ``node`` run when it is expanded: read them, each in its subshell.

        They stand on the line of the command or assignment that holds them, so
        one of them going away would take that line along (and is refused).
        """
        pending = [node]
        while pending:
            child = pending.pop()
            if child.type != "command_substitution":
                pending += child.named_children
            elif self._mentions_docker(child):
                inner = state.fork()
                try:
                    for statement in (c for c in child.named_children if c.type != "comment"):
                        self._element(statement, inner, anchor or _single_anchor(child))
                except _Stop:
                    pass  # `exit` ends only the subshell

    def _redirected(self, node, state: _State, anchor: ShellAnchor, captured: str | None = None, stdin: str | None = None) -> None:
        body = node.child_by_field_name("body")
        stdout: Word | None = None
        appends = False
        redirects = []
        heredocs = []
        files: list[tuple[str, Word]] = []
        for redirect in node.named_children:
            if redirect == body:
                continue
            if redirect.type == "heredoc_redirect":
                stdin = "a here-document"
                # tree-sitter-bash hangs the rest of the heredoc's first line under it.
                redirects += [c for c in redirect.named_children if c.type == "file_redirect"]
                heredocs.append(redirect)
            elif redirect.type == "herestring_redirect":
                stdin = "a here-string"
            else:
                redirects.append(redirect)
        for redirect in redirects:
            if redirect.type != "file_redirect":
                continue
            descriptor = redirect.child_by_field_name("descriptor")
            operator = next((c.type for c in redirect.children if not c.is_named), "")
            destination = redirect.child_by_field_name("destination")
            if destination is None:
                continue
            fd = self._node_text(descriptor) if descriptor is not None else ""
            target = self._word(destination, state)
            if operator in (">", ">|", ">>", "&>") and fd in ("", "1"):
                stdout = None if target.key == "/dev/null" else target
                appends = operator == ">>"
            elif operator in ("<", "<>") and fd in ("", "0"):
                stdin = f"the file {self._node_text(destination)}"
            if not (operator in (">&", "<&") and target.key.rstrip("-").isdigit()) and not target.key.startswith("/dev/"):
                files.append((operator, target))
        docker = False
        if body is not None and body.type == "command":
            docker = self._command(body, state, anchor, stdout=stdout, captured=captured, stdout_appends=appends, stdin=stdin)
        elif body is not None:
            self._element(body, state, anchor)
        if not docker:
            # The shell itself reads or writes these files around the command.
            site = self._site(node, anchor, state)
            self.operations += [HostCommand(site, (Word(operator, operator), target), state.cwd) for operator, target in files]
        for heredoc in heredocs:
            self._after_heredoc_start(heredoc, state, anchor)

    def _after_heredoc_start(self, heredoc, state: _State, anchor: ShellAnchor) -> None:
        """Commands after ``<<EOF`` on its own line (``cat <<EOF > f && docker ...``): refused when they do anything."""
        inert = {"heredoc_start", "heredoc_body", "heredoc_end", "file_redirect", "herestring_redirect"}
        trailing = [c for c in heredoc.named_children if c.type not in inert]
        if not trailing:
            return
        if self._read_aside(lambda: [self._element(child, state.fork(), anchor) for child in trailing]):
            site = self._site(trailing[0], anchor, state)
            reason = "dmigrate cannot read commands that follow a here-document's `<<` on the same line; move them to a line of their own"
            self.operations.append(Opaque(site, reason, True))

    def _pipeline(self, node, state: _State, anchor: ShellAnchor) -> None:
        parts = [c for c in node.named_children if c.type != "comment"]
        for position, part in enumerate(parts):
            pipe_into = None
            if position + 1 < len(parts) and parts[position + 1].type == "command":
                pipe_into = tuple(self._argv(parts[position + 1], state))
            stdin = f"the output of `{self._node_text(parts[position - 1])}`" if position > 0 else None
            # Every part of a pipeline runs in a subshell: its `cd` or assignments end with it.
            inner = state.fork() if len(parts) > 1 else state
            if part.type == "command":
                consumed = self._command(part, inner, anchor, stdout_pipe=pipe_into, stdin=stdin)
                if consumed and pipe_into is not None:
                    # The receiving command is read as part of the docker operation.
                    return
            elif part.type == "redirected_statement":
                self._redirected(part, inner, anchor, stdin=stdin)
            else:
                self._element(part, inner, anchor)

    def _argv(self, node, state: _State, children=None) -> list[Word]:
        words: list[Word] = []
        for child in node.named_children if children is None else children:
            if child.type in ("variable_assignment", "file_redirect", "herestring_redirect", "comment"):
                continue
            if child.type == "command_name":
                child = child.named_children[0] if child.named_children else child
            words.extend(self._fields(child, state))
        return words

    def _command(
        self,
        node,
        state: _State,
        anchor: ShellAnchor,
        *,
        stdout: Word | None = None,
        stdout_pipe: tuple[Word, ...] | None = None,
        captured: str | None = None,
        stdout_appends: bool = False,
        stdin: str | None = None,
    ) -> bool:
        """Read one simple command; True when it was a docker command."""
        children = node.named_children
        argv = self._argv(node, state, children)
        kinds = [child.type for child in children]
        if "herestring_redirect" in kinds:
            stdin = "a here-string"
        word_nodes = [c for c, kind in zip(children, kinds) if kind not in ("variable_assignment", "file_redirect", "comment")]
        if b"docker" in node.text:
            for child, kind in zip(children, kinds):
                if kind != "comment":
                    self._substituted_commands(child, state, anchor)
        anchor = ShellAnchor(
            statement=anchor.statement,
            elements=anchor.elements,
            operators=anchor.operators,
            index=anchor.index,
            trivial=anchor.trivial,
            words=tuple((c.start_byte, c.end_byte) for c in word_nodes),
            scopes=anchor.scopes,
        )
        environment: dict[str, Word | None] = dict(self._command_environment(node, state)) if "variable_assignment" in kinds else {}
        inherits: bool | str = True
        while argv and argv[0].key in _PREFIX_COMMANDS:
            prefix = argv[0].key
            takes_value = _PREFIX_COMMANDS[prefix]
            positional = 1 if prefix == "timeout" else 0  # the duration
            argv = argv[1:]
            options: list[str] = []
            while argv and argv[0].key.startswith("-") and argv[0].key != "-":
                option = argv.pop(0).key
                options.append(option)
                if len(option) == 2 and option[1] in takes_value and argv:
                    argv.pop(0)
            argv = argv[positional:]
            if prefix == "sudo" and not any(o == "-E" or o.startswith("--preserve-env") for o in options):
                environment = {}
                inherits = "`sudo` gives it an environment of its own (env_reset in sudoers decides what stays)"
        if argv and argv[0].key == "env":
            argv = argv[1:]
            while argv and ("=" in argv[0].key or argv[0].key.startswith("-")):
                word = argv.pop(0)
                name, equals, value = word.key.partition("=")
                if word.key in ("-", "-i", "--ignore-environment"):
                    environment, inherits = {}, False
                elif word.key in ("-u", "--unset") and argv:
                    environment[argv.pop(0).key] = None
                elif word.key.startswith("--unset="):
                    environment[word.key.partition("=")[2]] = None
                elif word.key.startswith("-u"):
                    environment[word.key[2:]] = None
                elif equals and not name.startswith("-"):
                    environment[name] = Word(word.text.partition("=")[2], value)
        if not argv:
            return False
        name = argv[0]
        site = self._site(node, anchor, state)
        if not name.known:
            if "docker" in name.text.lower():
                self.operations.append(Opaque(site, f"the command {name.text} cannot be known without running the driver", True))
            else:
                # Whatever it runs may still change files on the host: the tracer decides whether that matters.
                self.operations.append(HostCommand(site, tuple(argv), state.cwd))
            return False
        command = name.key
        if command == "docker" or command.endswith("/docker"):
            operation = parse_docker_command(
                argv[1:],
                site,
                state.cwd,
                captured_as=captured,
                stdout=stdout,
                stdout_pipe=stdout_pipe,
                stdout_appends=stdout_appends,
                stdin=stdin,
            )
            if isinstance(operation, (Build, Container)):
                operation = self._with_environment(operation, environment, inherits, state)
            self.operations.append(operation)
            return True
        if command in self.functions:
            self._call(command, argv[1:], state, anchor)
            return False
        if command in ("cd", "pushd", "popd"):
            self._change_directory(command, argv[1:], state)
            return False
        if command == "exit" and state.guard is None and not state.in_trap:
            raise _Stop()
        if command == "return" and state.guard is None and state.local_names is not None:
            raise _Return()
        if command in ("source", "."):
            code = self._sourced_text(argv[1:], state)
            mentions = code is None or "docker" in code
            self.operations.append(Opaque(site, f"`{command}` reads another file, which dmigrate does not follow", mentions))
            self._forget_what_code_sets(code, state, node)
            return False
        if command == "eval" or command in ("sh", "bash") and "-c" in [w.key for w in argv[1:2]]:
            mentions = "docker" in self._node_text(node)
            self.operations.append(Opaque(site, f"`{command}` runs code that cannot be read statically", mentions))
            if command == "eval":
                code = " ".join(word.key for word in argv[1:])
                self._forget_what_code_sets(None if UNKNOWN_MARK in code else code, state, node)
            return False
        if command == "trap":
            self._trap(node, argv[1:], state, site)
            return False
        if command in ("export", "readonly", "local", "declare", "typeset"):
            if command == "export" or any(word.key[:1] in ("-", "+") and "x" in word.key for word in argv[1:]):
                state.exports_unknown = True  # run as a command (``builtin export ...``): not followed
            return False
        if command in _SETS_VARIABLES:
            self._set_by_command(command, argv[1:], state, node)
        if command == "set":
            self._set_options(argv[1:], state)
        if command in ("shift", "set"):
            self._set_positional(command, argv[1:], state)
            return False
        if command in _INERT_COMMANDS or command in ("[", "test") and not _tests_files(argv):
            return False
        if command == "docker-compose" and compose_is_harmless(argv[1:]):
            return False
        gcloud = gcloud_docker_arguments(argv)
        if gcloud is not None:
            self.operations.append(parse_gcloud_docker(gcloud, site, state.cwd))
            return True
        if any(word.key == "docker" or word.key.endswith("/docker") for word in argv[1:]):
            self.operations.append(Opaque(site, f"`{command}` runs docker in a way dmigrate does not follow", True))
            return False
        followed = script_run_by(argv, state.cwd) if self.follows_scripts else None
        if followed is not None and file_mentions_docker(followed[0]):
            self._follow(*followed, environment, state, site)
            return False
        if followed is not None:
            # Without docker it can still change the artifacts on the host, so the tracer must see what it does;
            # what cannot be read of it stays one host command, as it was.
            try:
                self._follow(*followed, environment, state, site)
                return False
            except MigrationStop:
                pass
        self.operations.append(HostCommand(site, tuple(argv), state.cwd))
        return False

    def _follow(self, script: Path, arguments: tuple[Word, ...], environment: dict[str, Word | None], state: _State, site: Site) -> None:
        """A script of the project: its steps are part of the flow, read where the driver runs them.

        It sees what this script exported, which is not handed over by name:
        a name it never assigns may hold anything once this script exports at
        all, and whether one it assigns is exported cannot be told.
        """
        if self.depth >= 10:
            raise InputError(Location(self.path, site.line), f"{script.name} runs scripts too deeply to follow")
        reading = read_shell(
            script,
            cwd=state.cwd.key,
            positional=None if any(word.splits for word in arguments) else arguments,
            first_position=self.first_position + len(self.operations),
            environment={name: value for name, value in environment.items() if value is not None},
            environment_known=state.environment_known and not _EXPORTS.search(self.text),
            depth=self.depth + 1,
        )
        for part in (reading, *reading.parts):
            self.parts.setdefault(part.path, part)
        state.notes.append(f"followed {self.path.name}:{site.line} into {script.name}")
        state.notes.extend(reading.notes)
        for operation in reading.operations:
            guard = operation.site.guard or state.guard
            self.operations.append(operation if guard == operation.site.guard else replace(operation, site=replace(operation.site, guard=guard)))

    def _with_environment(self, operation: Build | Container, environment: dict[str, Word | None], inherits: bool | str, state: _State):
        """``-e NAME`` and ``--build-arg NAME`` take NAME from docker's own environment: resolved here to what that holds.

        docker sees a variable of this script only when it is exported (or
        given before the command, ``NAME=value docker ...``).  What stays a
        bare ``NAME`` is taken from the environment the driver runs in.
        """
        if isinstance(operation, Build):
            if all(arg.value is not None for arg in operation.build_args):
                return operation
            args = []
            for arg in operation.build_args:
                if arg.value is not None:
                    args.append(arg)
                    continue
                found, value = self._passed(arg.name, f"`{arg.text}`", environment, inherits, state)
                if found == "unknown":
                    return Opaque(operation.site, value, True)
                if found == "absent":
                    continue
                if found == "prefix":
                    args.append(BuildArg(arg.name, value, f"{arg.text}={value.text}"))
                elif found == "value" and value.known and "$" not in value.key:
                    quoted = shlex.quote(value.key)
                    args.append(BuildArg(arg.name, Word(quoted, value.key), f"{arg.text}={quoted}"))
                else:
                    args.append(arg)
            return replace(operation, build_args=tuple(args))
        if not operation.env:
            return operation
        words = []
        for word in operation.env:
            if not word.known or "=" in word.key or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", word.key):
                words.append(word)
                continue
            found, value = self._passed(word.key, f"`-e {word.key}`", environment, inherits, state)
            if found == "unknown":
                return Opaque(operation.site, value, True)
            if found == "prefix" or found == "value" and value.known:
                words.append(Word(f"{word.key}={value.text}", f"{word.key}={value.key}"))
            elif found != "absent":
                words.append(word)
        return replace(operation, env=tuple(words))

    def _passed(self, name: str, flag: str, environment: dict[str, Word | None], inherits: bool | str, state: _State) -> tuple[str, object]:
        """What docker's environment holds for NAME, and a Word or reason with it.

        ``prefix`` and ``value``: a known Word; ``environment``: what the
        environment the driver runs in holds; ``absent``: nothing;
        ``unknown``: the reason it cannot be known.
        """
        if name in environment:
            value = environment[name]
            return ("absent", None) if value is None else ("prefix", value)
        if inherits is False:
            return "absent", None
        if isinstance(inherits, str):
            return "unknown", f"{flag} passes {name} only if it is in docker's environment, and {inherits}"
        status = state.exported.get(name, _UNSET)
        value = state.variables.get(name)
        if status is None or status is _UNSET and (state.exports_unknown or value is not None and not state.environment_known):
            return "unknown", f"{flag} passes {name} only if it is exported, which cannot be known without running the driver"
        if status is False:
            return "absent", None
        if status is True or name in _ALWAYS_EXPORTED:
            return ("environment", None) if value is None else ("value", value)
        if value is None and name not in state.withheld:
            return "environment", None
        state.notes.append(f"assumed {name} is not set in the environment, so {flag} passes nothing: {self.path.name} sets {name} without `export`")
        return "absent", None

    def _command_environment(self, node, state: _State) -> dict[str, Word]:
        """``NAME=value`` words before the command: they are in its environment only."""
        environment = {}
        for child in node.named_children:
            if child.type != "variable_assignment":
                continue
            name, value = child.child_by_field_name("name"), child.child_by_field_name("value")
            if name is not None:
                environment[self._node_text(name)] = self._word(value, state) if value is not None else Word.literal("")
        return environment

    def _test(self, node, state: _State, anchor: ShellAnchor) -> None:
        """``[ -f app ]``, ``[[ -d out ]]``: a host command that looks at the files it names."""
        opening, closing = node.children[0].type, node.children[-1].type
        words = [Word.literal(opening)]
        pending = list(node.named_children)
        while pending:
            child = pending.pop(0)
            if child.type == "test_operator":
                words.append(Word.literal(self._node_text(child)))
            elif child.type in ("word", "string", "raw_string", "concatenation", "simple_expansion", "expansion", "number"):
                words.append(self._word(child, state))
            else:
                pending[:0] = child.named_children
        if _tests_files(words):
            self.operations.append(HostCommand(self._site(node, anchor, state), (*words, Word.literal(closing)), state.cwd))

    def _set_by_command(self, command: str, arguments: list[Word], state: _State, node) -> None:
        """``read X``, ``unset X``, ``printf -v X``...: what such a name holds afterwards is unknown (or unset)."""
        names: list[str] = []
        words = [word.key for word in arguments]
        if command == "unset":
            if "-f" not in words:
                for word in words:
                    state.variables.pop(word, None)
                    # Gone from the environment too, and a new value is not exported again.
                    state.exported[word] = False
            return
        if command == "getopts":
            names = words[1:2] + ["OPTARG", "OPTIND"]
        elif command == "let":
            names = [word.split("=", 1)[0].strip("+-*/%<>&|^ ") for word in words if "=" in word]
        else:
            takes_value = _SETS_VARIABLES[command]
            rest: list[str] = []
            index = 0
            while index < len(words):
                word = words[index]
                if word.startswith("-") and len(word) > 1 and word != "--":
                    if word[-1] in takes_value:
                        index += 1
                        if word[-1] in "av" and index < len(words):
                            names.append(words[index])
                    index += 1
                    continue
                rest.append(word)
                index += 1
            if command == "read":
                names += [word for word in rest if word != "--"] or ([] if names else ["REPLY"])
            elif command in ("mapfile", "readarray"):
                names += rest[-1:] or ["MAPFILE"]
        line = node.start_point[0] + 1
        for name in names:
            if name and UNKNOWN_MARK not in name:
                state.variables[name] = Word(f"${name}", _unknown(f"${name} after line {line}"))
                state.assigned(name)

    def _set_options(self, arguments: list[Word], state: _State) -> None:
        """``set -a``/``set -o allexport`` (and ``+a``, ``+o allexport``): whether assignments export their names."""
        index = 0
        while index < len(arguments):
            word = arguments[index].key
            if not arguments[index].known:
                state.allexport = None
                return
            if word in ("-", "--") or word[:1] not in ("-", "+") or len(word) < 2:
                return
            on = word[0] == "-"
            index += 1
            for letter in word[1:]:
                if letter == "a":
                    state.allexport = on
                elif letter == "o" and index < len(arguments):
                    option = arguments[index]
                    index += 1
                    if not option.known:
                        state.allexport = None
                    elif option.key == "allexport":
                        state.allexport = on

    def _set_positional(self, command: str, arguments: list[Word], state: _State) -> None:
        """``shift`` and ``set -- a b`` change ``$1``, ``$@`` and ``$#``."""
        if command == "shift":
            count = arguments[0].key if arguments else "1"
            if state.positional is not None:
                if not count.isdigit():
                    state.positional = None
                elif int(count) <= len(state.positional):
                    state.positional = state.positional[int(count) :]
            return
        index = 0
        while index < len(arguments) and arguments[index].key[:1] in ("-", "+") and arguments[index].key not in ("-", "--"):
            index += 2 if arguments[index].key in ("-o", "+o") else 1
        if index < len(arguments) and arguments[index].key in ("-", "--"):
            index += 1
        elif index >= len(arguments):
            return  # only options: the positional parameters stay
        new = tuple(arguments[index:])
        state.positional = None if any(word.splits for word in new) else new

    def _sourced_text(self, arguments: list[Word], state: _State) -> str | None:
        """The text of a sourced file, or None when it cannot be read now."""
        if not arguments or not arguments[0].known or not state.cwd.known:
            return None
        path = Path(resolve_host_path(state.cwd, arguments[0]).key)
        if not may_read(path):
            return None
        from migrate.read.files import UnreadableFile, read_project_bytes

        try:
            return read_project_bytes(path, what="sourced file").decode("utf-8", "replace")
        except UnreadableFile:
            return None

    def _forget_what_code_sets(self, code: str | None, state: _State, node) -> None:
        """After ``source FILE`` or ``eval CODE``: the names it assigns are unknown (all of them, when its text is)."""
        after = f"after line {node.start_point[0] + 1}"
        names = set(state.variables) if code is None else set(_ASSIGNED.findall(code))
        for name in names:
            state.variables[name] = Word(f"${name}", _unknown(f"${name} {after}"))
            state.assigned(name)
        if code is None or _EXPORTS.search(code):
            state.exports_unknown = True
            state.allexport = None
        if code is None:
            state.environment_known = False
        elif _CHANGES_DIRECTORY.search(code):
            state.cwd = Word("$PWD", _unknown(f"the directory {after}"))

    def _call(self, name: str, arguments: list[Word], state: _State, call: ShellAnchor) -> None:
        if state.depth > 20:
            raise InputError(Location(self.path), f"function {name} calls itself too deeply to follow")
        definition, body, definition_span = self.functions[name]
        statements = tuple(span for child, span in _statements(body.children) if not _is_bare_declaration(child))
        scope = FunctionScope(name, definition_span, statements, call)
        positional = None if any(word.splits for word in arguments) else tuple(arguments)
        inner = state.fork(positional=positional, depth=state.depth + 1, scopes=state.scopes + (scope,), local_names=set())
        try:
            self._block(body.children, inner)
        except _Return:
            pass
        except _Stop:
            if body.type == "compound_statement":
                raise
        # Functions share the caller's variables and directory unless they run in a subshell; `local` names go back.
        if body.type == "compound_statement":
            for local in inner.local_names:
                if local in state.variables:
                    inner.variables[local] = state.variables[local]
                else:
                    inner.variables.pop(local, None)
                if local in state.exported:
                    inner.exported[local] = state.exported[local]
                else:
                    inner.exported.pop(local, None)
            state.variables.clear()
            state.variables.update(inner.variables)
            state.exported = inner.exported
            state.allexport = inner.allexport
            state.exports_unknown = inner.exports_unknown
            state.cwd = inner.cwd
            state.dir_stack = inner.dir_stack

    def _change_directory(self, command: str, arguments: list[Word], state: _State) -> None:
        arguments = [a for a in arguments if not a.key.startswith("-") or a.key == "-"]
        if command == "popd":
            state.cwd = state.dir_stack.pop() if state.dir_stack else Word("popd", _unknown("popd"))
            return
        if command == "pushd":
            state.dir_stack.append(state.cwd)
        if not arguments:
            state.cwd = Word("~", _unknown("HOME"))
            return
        state.cwd = resolve_host_path(state.cwd, arguments[0])

    def _trap(self, node, arguments: list[Word], state: _State, site: Site) -> None:
        """A handler runs at the end; its steps are read in place of the ``trap`` line."""
        if len(arguments) < 2:
            return
        # An unknown part (``trap "docker rm -f $cid" EXIT``) stands in the handler as a variable that holds it.
        pieces = arguments[0].key.split(UNKNOWN_MARK)
        unknowns = {f"__dmigrate_trap_{i}": Word(f"${i}", _unknown(piece)) for i, piece in enumerate(pieces) if i % 2}
        handler = "".join(piece if i % 2 == 0 else "${__dmigrate_trap_%d}" % i for i, piece in enumerate(pieces))
        if "docker" not in handler and not any(word in self.functions for word in re.findall(r"[\w.-]+", handler)):
            return
        tree = parse_bash(handler.encode("utf-8"), self.path)
        if _first_error(tree.root_node) is not None:
            self.operations.append(Opaque(site, "a `trap` handler that cannot be read", True))
            return
        inner = state.fork(depth=state.depth + 1, in_trap=True)
        inner.variables.update(unknowns)
        found = self._read_aside(lambda: self._block(tree.root_node.children, inner))
        in_place = Site(self.path, site.line, site.anchor, state.guard)
        self.deferred += [replace(operation, site=in_place) for operation in found]

    def _read_aside(self, read) -> list[Operation]:
        """Run ``read`` and hand back the operations it found instead of adding them to the flow."""
        operations, deferred = len(self.operations), len(self.deferred)
        try:
            read()
        except _Stop:
            pass  # the handler, or the rest of the line, ends there
        found = self.operations[operations:] + self.deferred[deferred:]
        del self.operations[operations:], self.deferred[deferred:]
        return found

    # -- words -----------------------------------------------------------------
    def _mentions_docker(self, node) -> bool:
        return b"docker" in node.text

    def _fields(self, node, state: _State) -> list[Word]:
        """The words one argument stands for: unquoted expansions split at whitespace, ``"$@"`` one word per argument.

        What only the running shell can know is unknown: an unquoted expansion
        of an unknown value (it may be several words, or none), and the words
        a glob or a brace expansion makes.
        """
        text = node.text.decode("utf-8", "replace")
        kind = node.type
        if kind == "word" and "\\" not in text and text[:1] != "~" and _GLOB.search(text) is None:
            return [Word(text, text)]  # the common case, a plain word: nothing to expand, escape or split
        if kind == "string" and any(_ALL_POSITIONALS.match(self._node_text(c)) for c in node.named_children):
            return self._positional_fields(node, state)
        parts = node.children if node.type == "concatenation" else [node]
        if node.type == "concatenation" and _BRACES.search("".join(self._node_text(c) if c.type == "word" else "_" for c in parts)):
            return [Word(text, _unknown(text), splits=True)]
        fields: list[tuple[str, bool]] = []
        current: str | None = None
        globbed = splits = False
        for part in parts:
            key = self._key(part, state)
            if part.type == "brace_expression" or part.type in _EXPANSIONS and UNKNOWN_MARK in key:
                splits = True
            if part.type not in _EXPANSIONS or UNKNOWN_MARK in key:
                globbed = globbed or part.type == "word" and _GLOB.search(self._node_text(part)) is not None
                current = (current or "") + key
                continue
            head, *rest = _IFS.split(key)
            if head:
                current = (current or "") + head
                globbed = globbed or _has_glob(head)
            if rest:
                if current is not None:
                    fields.append((current, globbed))
                fields += [(middle, _has_glob(middle)) for middle in rest[:-1]]
                current = rest[-1] or None
                globbed = _has_glob(rest[-1])
        if current is not None:
            fields.append((current, globbed))
        return [Word(text, _unknown(text) if globbed else key, splits=splits) for key, globbed in fields]

    def _positional_fields(self, node, state: _State) -> list[Word]:
        """``"$@"``: each argument of the script or function, as one word."""
        text = self._node_text(node)
        if state.positional is None or len(node.named_children) != 1 or self._node_text(node.named_children[0]) not in ("$@", "${@}"):
            return [Word(text, _unknown(text), splits=True)]
        return [Word(text, word.key, splits=word.splits) for word in state.positional]

    def _word(self, node, state: _State) -> Word:
        return Word(self._node_text(node), self._key(node, state))

    def _key(self, node, state: _State) -> str:
        kind = node.type
        text = self._node_text(node)
        if kind == "word":
            if text.startswith("~") and _starts_word(node):
                # Tilde expansion: a home directory, which only the running shell knows.
                user, slash, rest = text.partition("/")
                return _unknown(user) + slash + _unescape(rest)
            return _unescape(text)
        if kind == "number":
            return text
        if kind == "raw_string":
            return text[1:-1]
        if kind == "ansi_c_string":
            return _ansi_c(text[2:-1])
        if kind == "string":
            return self._string_key(node, state)
        if kind == "concatenation":
            return "".join(self._key(child, state) for child in node.children)
        if kind == "simple_expansion":
            return self._variable(text[1:], state)
        if kind == "expansion":
            return self._expansion(node, state)
        if kind == "command_substitution":
            return self._substitution(node, state)
        if kind == "translated_string":
            return self._string_key(node.named_children[0], state) if node.named_children else ""
        if kind in ("string_content",):
            return text
        return _unknown(text)

    def _string_key(self, node, state: _State) -> str:
        pieces: list[str] = []
        raw = node.text
        base = node.start_byte
        position = base + 1
        end = node.end_byte - 1
        for child in node.children:
            if child.type == '"':
                continue
            if child.start_byte > position:
                pieces.append(_unescape(raw[position - base : child.start_byte - base].decode("utf-8", "replace"), _DOUBLE_QUOTE_ESCAPES))
            if child.type == "string_content":
                pieces.append(_unescape(self._node_text(child), _DOUBLE_QUOTE_ESCAPES))
            else:
                pieces.append(self._key(child, state))
            position = child.end_byte
        if end > position:
            pieces.append(_unescape(raw[position - base : end - base].decode("utf-8", "replace"), _DOUBLE_QUOTE_ESCAPES))
        return "".join(pieces)

    def _variable(self, name: str, state: _State) -> str:
        if name in state.variables:
            return state.variables[name].key
        if name.isdigit():
            if name == "0":
                return str(self.path.resolve())
            if state.positional is not None:
                number = int(name)
                return state.positional[number - 1].key if number <= len(state.positional) else ""
            return _unknown(f"${name}")
        if name in ("@", "*") and state.positional is not None:
            return " ".join(word.key for word in state.positional)
        if name == "#" and state.positional is not None:
            return str(len(state.positional))
        if name == "PWD":
            return state.cwd.key
        return _unknown(f"${name}")

    def _expansion(self, node, state: _State) -> str:
        text = self._node_text(node)
        inner = text[2:-1]
        name_end = 0
        while name_end < len(inner) and (inner[name_end].isalnum() or inner[name_end] == "_"):
            name_end += 1
        if name_end == 0 and inner[:1] in ("@", "*", "#", "?", "$", "!", "-"):
            name_end = 1
        name, rest = inner[:name_end], inner[name_end:]
        if not name:
            return _unknown(text)
        if not rest:
            return self._variable(name, state)
        assigned = name in state.variables or (name.isdigit() and state.positional is not None) or name == "PWD"
        value = self._variable(name, state) if assigned else None
        for operator in (":-", ":=", "-", "="):
            if rest.startswith(operator):
                default_node = next((c for c in node.named_children if c.start_byte > node.start_byte + 2 + name_end), None)
                default = self._key(default_node, state) if default_node is not None else rest[len(operator) :]
                if value is not None and (operator in ("-", "=") or value != ""):
                    return value
                if value is None and not name.isdigit() and not state.environment_known:
                    return _unknown(text)
                if value is None:
                    unset = f"the driver gets no argument ${name}" if name.isdigit() else f"{name} is not set in the environment"
                    state.notes.append(f"assumed {unset}, so {text} is {default!r}")
                    if operator.endswith("="):
                        state.variables[name] = Word(text, default)
                        state.assigned(name)
                return default
        if rest[0] in ("%", "#") and value is not None and UNKNOWN_MARK not in value and not any(c in rest for c in _PATTERN_SYNTAX):
            return _trim(value, rest)
        return _unknown(text)

    def _substitution(self, node, state: _State) -> str:
        text = self._node_text(node)
        inner = [c for c in node.named_children if c.type != "comment"]
        if len(inner) != 1:
            return _unknown(text)
        command = inner[0]
        if command.type == "command":
            argv = self._argv(command, state)
            keys = [word.key for word in argv]
            if keys == ["pwd"]:
                return state.cwd.key
            if len(keys) == 2 and keys[0] == "dirname" and UNKNOWN_MARK not in keys[1]:
                return posixpath.dirname(keys[1]) or "."
            if len(keys) == 2 and keys[0] == "basename" and UNKNOWN_MARK not in keys[1]:
                return posixpath.basename(keys[1].rstrip("/"))
            if len(keys) >= 2 and keys[0] in ("realpath", "readlink") and UNKNOWN_MARK not in keys[-1]:
                return resolve_host_path(state.cwd, argv[-1]).key
        if command.type == "list":
            # $(cd "$(dirname "$0")" && pwd) and friends.
            elements, operators = _flatten_chain(command)
            if operators == ["&&"] and all(e.type == "command" for e in elements):
                first = self._argv(elements[0], state)
                second = self._argv(elements[1], state)
                if first and first[0].key == "cd" and len(first) == 2 and [w.key for w in second] in (["pwd"], ["pwd", "-P"]):
                    return resolve_host_path(state.cwd, first[1]).key
        return _unknown(text)


def _statements(children):
    """The statements of a block with their spans; a statement's span takes the ``;`` that ends it."""
    children = list(children)
    for position, node in enumerate(children):
        if not node.is_named or node.type == "comment":
            continue
        end = node.end_byte
        if position + 1 < len(children) and children[position + 1].type in (";", "&"):
            end = children[position + 1].end_byte
        yield node, (node.start_byte, end)


def _is_bare_declaration(node) -> bool:
    """``local id`` or ``declare x``: nothing runs, so a body of only these is empty."""
    return node.type == "declaration_command" and not any(c.type == "variable_assignment" for c in node.named_children)


def _bash_syntax_error(text: str) -> tuple[int | None, str] | None:
    """Ask bash itself (``bash -n`` reads without running) where a syntax error is."""
    import shutil
    import subprocess

    bash = shutil.which("bash")
    if bash is None:
        return None, "the shell driver does not parse"
    try:
        result = subprocess.run(
            [bash, "-n"], input=text, capture_output=True, text=True, check=False, timeout=max(1.0, budget.remaining(budget.deadline()))
        )
    except subprocess.TimeoutExpired:
        return None, "the shell driver does not parse (and bash took too long to say where)"
    if result.returncode == 0:
        return None
    match = re.search(r"line (\d+): (.*)", result.stderr)
    if match is None:
        return None, result.stderr.strip() or "the shell driver does not parse"
    return int(match.group(1)), match.group(2).strip()


def has_syntax_error(source: bytes, path: Path | None = None) -> bool:
    return parse_bash(source, path).root_node.has_error


def syntax_error_line(source: bytes, path: Path | None = None) -> int | None:
    """The line of the first syntax error tree-sitter-bash finds in ``source``; None when it reads cleanly."""
    error = _first_error(parse_bash(source, path).root_node)
    return None if error is None else error.start_point[0] + 1


_TREES: dict[bytes, object] = {}
_TOO_COMPLEX: set[int] = set()
"""Hashes of texts that took the whole budget: discovery and the migration do not each spend it again."""
_CHUNK = 1 << 16
_SMALL = 4096
"""A text this short parses in a few milliseconds whatever it holds: it is parsed once, without the budget's callback."""


def parse_bash(source: bytes, path: Path | None = None):
    """The syntax tree of ``source``; the last few are kept, as the emitter and its checks parse the texts the reader did.

    The parse stops at the project's deadline (:mod:`migrate.read.budget`) and
    raises :class:`migrate.read.budget.TooComplex` naming ``path``.
    """
    tree = _TREES.get(source)
    if tree is not None:
        return tree
    if hash(source) in _TOO_COMPLEX:
        raise budget.too_complex(path)
    until = budget.deadline()
    parser = _parser()
    if len(source) <= _SMALL:
        tree = parser.parse(source)
    else:
        # Only a parse that reads through a callback can be stopped; its tree does not hold the text, which the
        # reader needs (node.text), so a second parse from the bytes follows, once the first has shown it fits the budget.
        view = memoryview(source)
        started = time.monotonic()
        try:
            parser.parse(lambda offset, _point: view[offset : offset + _CHUNK], progress_callback=lambda _offset, _error: time.monotonic() > until)
        except ValueError:  # py-tree-sitter's word for a parse the progress callback cancelled
            parser.reset()
            _TOO_COMPLEX.add(hash(source))
            raise budget.too_complex(path) from None
        if time.monotonic() + (time.monotonic() - started) > until:
            _TOO_COMPLEX.add(hash(source))
            raise budget.too_complex(path)
        tree = parser.parse(source)
    if len(_TREES) >= 8:
        del _TREES[next(iter(_TREES))]
    _TREES[source] = tree
    return tree


def _single_anchor(node) -> ShellAnchor:
    span = (node.start_byte, node.end_byte)
    return ShellAnchor(statement=span, elements=(span,), operators=(), index=0, trivial=(False,))


def _flatten_chain(node) -> tuple[list, list[str]]:
    """``a && b || c`` as its elements and the operators between them."""
    if node.type != "list":
        return [node], []
    elements: list = []
    operators: list[str] = []
    for child in node.children:
        if child.type in ("&&", "||"):
            operators.append(child.type)
        elif child.is_named and child.type != "comment":
            inner_elements, inner_operators = _flatten_chain(child)
            elements.extend(inner_elements)
            operators.extend(inner_operators)
    return elements, operators


def _first_error(node):
    if node.type == "ERROR" or node.is_missing:
        return node
    if not node.has_error:
        return None
    for child in node.children:
        found = _first_error(child)
        if found is not None:
            return found
    return node


def _unknown(expression: str) -> str:
    return f"{UNKNOWN_MARK}{expression}{UNKNOWN_MARK}"


def _unescape(text: str, escapable: str | None = None) -> str:
    """Drop backslash escapes: any character outside quotes; only ``$`"\\`` and newline inside double quotes."""
    if "\\" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        if escapable is not None and char not in escapable:
            return match.group(0)
        return "" if char == "\n" else char

    return re.sub(r"\\(.)", replace, text, flags=re.DOTALL)


def _ansi_c(text: str) -> str:
    try:
        return text.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError:
        return _unknown(text)


def _trim(value: str, operation: str) -> str:
    for operator in ("%%", "##", "%", "#"):
        if operation.startswith(operator):
            pattern = operation[len(operator) :]
            break
    else:
        return value
    candidates = range(len(value) + 1)
    if operator.startswith("%"):
        cuts = [i for i in candidates if fnmatch.fnmatchcase(value[i:], pattern)]
        if not cuts:
            return value
        return value[: (min(cuts) if operator == "%%" else max(cuts))]
    cuts = [i for i in candidates if fnmatch.fnmatchcase(value[:i], pattern)]
    if not cuts:
        return value
    return value[(max(cuts) if operator == "##" else min(cuts)) :]


def _has_glob(value: str) -> bool:
    return any(ch in value for ch in "*?[")


def _tests_files(argv) -> bool:
    """Whether a ``test``/``[`` command looks at files (``-f app``), not only at strings and numbers."""
    return any(word.key in _FILE_TESTS for word in argv[1:])


def _stops_early(body) -> bool:
    """Whether a loop body holds ``break`` or ``continue`` (not inside a nested loop)."""
    for child in body.named_children:
        if child.type in ("for_statement", "while_statement", "c_style_for_statement", "function_definition"):
            continue
        if child.type == "command":
            name = child.child_by_field_name("name")
            if name is not None and name.text in (b"break", b"continue"):
                return True
        if _stops_early(child):
            return True
    return False


def _starts_word(node) -> bool:
    """Whether ``node`` is where its shell word starts (only there does ``~`` expand)."""
    parent = node.parent
    return parent is None or parent.type != "concatenation" or parent.children[0].start_byte == node.start_byte


def resolve_host_path(cwd: Word, path: Word) -> Word:
    """A host path as the shell would see it from ``cwd``, normalised."""
    if path.key.startswith("/"):
        return Word(path.text, posixpath.normpath(path.key) if path.known else path.key)
    if not cwd.known or not path.known:
        return Word(path.text, f"{cwd.key}/{path.key}")
    return Word(path.text, posixpath.normpath(posixpath.join(cwd.key, path.key)))
