"""Read a Python driver with libcst into docker and host operations.

The reader runs the module in its head, top to bottom, as far as that can be
known without running it: module constants, f-strings and concatenations over
them, ``os.environ.get("X", "default")``, functions and their calls (a helper
such as ``def sh(*args): subprocess.run(args, check=True)`` is followed into),
``try``/``finally`` and ``with``.  Commands reach docker through
``subprocess`` (a list of words, or a string handed to a shell), ``os.system``
or the docker SDK (``docker.from_env()``).

A step's anchor is the statement that makes it happen in the outermost
function that does not merely pass its arguments on, so that removing it
removes the helper's call, not the helper.  libcst is imported only here and
in the Python emitter, and only when a Python driver is met.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace
from pathlib import Path

from migrate.errors import InputError, Location
from migrate.read.docker_cli import parse_docker_command, parse_gcloud_docker
from migrate.read.front_ends import compose_is_harmless, gcloud_docker_arguments
from migrate.read.ops import (
    UNKNOWN_MARK,
    Build,
    BuildArg,
    Container,
    Copy,
    DriverReading,
    HostCommand,
    Opaque,
    Operation,
    OtherDocker,
    Remove,
    RemoveImage,
    Site,
    Word,
    map_words,
)

Position = tuple[int, int, int, int]
"""A node's place: first line, first column, last line, end column (libcst's PositionProvider)."""

SUBPROCESS_RUNNERS = {"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"}
_CAPTURING = {"check_output", "getoutput", "getstatusoutput"}
PLACEHOLDER_PREFIX = "__dmigrate_py_"
_HARMLESS = ("builtins.", "logging.", "sys.stdout", "sys.stderr", "shlex.", "os.path.", "json.", "textwrap.", "pprint.")
"""Calls that may be handed a docker command's words without running it (``print("+", " ".join(args))``)."""


@dataclass(frozen=True)
class PythonAnchor:
    """What the Python emitter needs to find a step again: positions of libcst nodes."""

    statement: Position
    """The statement that runs the step (a simple statement, or a compound one whose header holds the call)."""
    call: Position
    """The call written in that statement: the subprocess or SDK call itself, or the call of a helper that runs it."""
    form: str
    """``argv`` (the call's arguments, or its first list, are the command's words), ``shell`` (a shell string) or ``sdk``."""
    direct: bool
    """The call is the subprocess or SDK call itself, not a helper's."""
    extra: tuple[Position, ...] = ()
    """Other statements that belong to this step only (the ``get_archive`` before an ``extractall``)."""
    shell: object | None = None
    """For a shell string: the command's :class:`~migrate.read.shell.ShellAnchor` in the evaluated string."""

    @property
    def span(self) -> tuple:
        return (self.statement, self.call, tuple(getattr(self.shell, "span", ())))


# -- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unknown:
    text: str
    mentions_docker: bool = False
    """A command list that held ``docker`` before it changed in a way the reader cannot follow."""


@dataclass(frozen=True)
class _Seq:
    items: tuple


@dataclass(frozen=True)
class _DictValue:
    entries: tuple  # (key Word, value, key node, value node, entry node)


@dataclass(frozen=True)
class _Func:
    node: object
    name: str


@dataclass(frozen=True)
class _Ref:
    name: str
    """A module, function or object of the standard library or docker, by qualified name."""


@dataclass(frozen=True)
class _Client:
    pass


@dataclass(frozen=True)
class _ContainerRef:
    key: Word
    site_position: int | None = None


@dataclass(frozen=True)
class _Archive:
    container: Word
    path: Word
    statement: Position


@dataclass(frozen=True)
class _Tar:
    archive: _Archive
    statements: tuple[Position, ...]


@dataclass(frozen=True)
class _Result:
    """What a subprocess call gave back; its output stands for a captured container id when it made one."""

    captured: Word | None
    capturing: bool


@dataclass(frozen=True)
class _OpenFile:
    """``open(path, mode)``: a host file a command's output can be written to."""

    path: Word
    writes: bool


@dataclass(frozen=True)
class _BoundMethod:
    receiver: object
    name: str


_ABSENT = object()
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh"})
_LIST_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"})
_DICT_MUTATORS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"})
_FILE_METHODS = {"read": ("<",), "readlines": ("<",), "readline": ("<",), "write": (">",), "writelines": (">",)}
_PATH_METHODS = {
    "read_text": ("<",), "read_bytes": ("<",), "open": ("<",), "exists": ("test", "-e"), "is_file": ("test", "-f"), "is_dir": ("test", "-d"),
    "stat": ("stat",), "write_text": (">",), "write_bytes": (">",), "touch": ("touch",), "unlink": ("rm", "-f"), "chmod": ("chmod",),
}  # fmt: skip
"""What the file-object and pathlib methods do to the file, as the shell command that would do the same."""


class _Return(Exception):
    def __init__(self, value) -> None:
        self.value = value


class _Exit(Exception):
    pass


@dataclass
class _Frame:
    env: dict
    params: set
    name: str
    call: object | None = None
    call_statement: object | None = None
    parent: "_Frame | None" = None
    statement: object | None = None
    guard: str | None = None
    caller: "_Frame | None" = None
    """The frame the call came from (``parent`` is where names are looked up)."""


# -- reading ------------------------------------------------------------------------------------


def read_python(path: Path, text: str) -> DriverReading:
    return _PythonReader(path, text).read()


def parse_module(path: Path, text: str):
    """The libcst module and node positions; a syntax error is bad input."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    check_python_syntax(path, text)
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        raise InputError(Location(path, error.raw_line), f"syntax error: {error.message}") from None
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    return module, {node: (r.start.line, r.start.column, r.end.line, r.end.column) for node, r in positions.items()}


def check_python_syntax(path: Path, text: str) -> None:
    """Python itself reads the driver first: libcst accepts some text Python rejects, and says where and what in its own terms."""
    import ast

    source = text.removeprefix("\ufeff")
    if "\0" in source:
        line = source.count("\n", 0, source.index("\0")) + 1
        raise InputError(Location(path, line), "syntax error: the file holds a NUL byte, which Python does not read")
    try:
        ast.parse(source, str(path))
    except SyntaxError as error:
        detail = f" (column {error.offset})" if error.offset else ""
        raise InputError(Location(path, error.lineno), f"syntax error: {error.msg}{detail}") from None
    except (ValueError, MemoryError, RecursionError):
        raise InputError(Location(path), "Python cannot read this driver (it nests too deeply or is too large)") from None


class _PythonReader:
    def __init__(self, path: Path, text: str) -> None:
        import libcst as cst

        self.cst = cst
        self.path = path
        self.text = text
        self.module, self.positions = parse_module(path, text)
        self.script_dir = str(path.resolve().parent)
        self.cwd = Word.literal(self.script_dir)
        self.operations: list[Operation] = []
        self.notes: list[str] = [f"assumed {path.name} runs from its own directory, with `python3 {path.name}`"]
        self.unknowns: list[str] = []
        self.entered: set[str] = set()
        self.depth = 0
        self.capture_into: str | None = None

    def read(self) -> DriverReading:
        frame = _Frame(env={"__name__": Word.literal("__main__"), "__file__": Word.literal(str(self.path.resolve()))}, params=set(), name="<module>")
        try:
            self._block(self.module.body, frame)
        except (_Exit, _Return):
            pass
        self._unfollowed_functions()
        from migrate.read.python_mentions import python_mentions

        return DriverReading(
            path=self.path,
            kind="python",
            text=self.text,
            operations=tuple(self.operations),
            start_dir=Path(self.script_dir),
            notes=tuple(dict.fromkeys(self.notes)),
            mentions=python_mentions(self.path, self.module, self.positions, self.operations),
        )

    def position(self, node) -> Position:
        return self.positions.get(node, (0, 0, 0, 0))

    def source(self, node) -> str:
        return self.module.code_for_node(node)

    def unknown(self, text: str) -> Word:
        return Word(text, UNKNOWN_MARK + text + UNKNOWN_MARK)

    def unknown_words(self, text: str) -> Word:
        """``*args`` of unknown length: it may stand for any number of words."""
        return Word(text, UNKNOWN_MARK + text + UNKNOWN_MARK, splits=True)

    # -- statements -----------------------------------------------------------------------------
    def _block(self, statements, frame: _Frame) -> None:
        for statement in statements:
            self._statement(statement, frame)

    def _sometimes(self, frame: _Frame, reason: str, run) -> None:
        """Read what runs only sometimes: its steps carry a guard, and what it sets is unknown afterwards."""
        inner = replace(frame, env=dict(frame.env), guard=frame.guard or reason)
        cwd = self.cwd
        try:
            run(inner)
        except (_Return, _Exit):
            pass  # a return or an exit that happens only sometimes ends nothing for sure
        for name, value in inner.env.items():
            before = frame.env.get(name, _ABSENT)
            if before is not value:
                frame.env[name] = self._unknown_value(name, before, value)
        if self.cwd != cwd:
            self.cwd = Word("os.chdir(...)", UNKNOWN_MARK + "os.chdir(...)" + UNKNOWN_MARK)

    def _statement(self, node, frame: _Frame) -> None:
        cst = self.cst
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                frame.statement = small
                self._small(small, frame)
            return
        if isinstance(node, cst.BaseSmallStatement):
            # A one-line block (``finally: box.remove()``, ``if x: os.chdir(d)``) holds small statements directly.
            frame.statement = node
            self._small(node, frame)
            return
        frame.statement = node
        if isinstance(node, cst.FunctionDef):
            frame.env[node.name.value] = _Func(node, node.name.value)
        elif isinstance(node, cst.ClassDef):
            frame.env[node.name.value] = _Unknown(node.name.value)
        elif isinstance(node, cst.If):
            self._if(node, frame)
        elif isinstance(node, cst.For):
            self._for(node, frame)
        elif isinstance(node, cst.While):
            reason = "inside a `while` loop whose rounds cannot be known without running it"
            self._sometimes(frame, reason, lambda inner: (self._eval(node.test, inner), self._block(node.body.body, inner)))
        elif isinstance(node, cst.Try):
            self._block(node.body.body, frame)
            for handler in node.handlers:
                reason = "inside an `except` that runs only when something failed"
                self._sometimes(frame, reason, lambda inner, handler=handler: self._block(handler.body.body, inner))
            if node.orelse is not None:
                self._block(node.orelse.body.body, frame)
            if node.finalbody is not None:
                self._block(node.finalbody.body.body, frame)
        elif isinstance(node, cst.With):
            for item in node.items:
                value = self._eval(item.item, frame)
                if item.asname is not None and isinstance(item.asname.name, cst.Name):
                    frame.env[item.asname.name.value] = value
            frame.statement = node
            self._block(node.body.body, frame)
        elif "docker" in self.source(node):
            # match, async for/with, class bodies: not followed.
            site = Site(self.path, self.position(node)[0], None, frame.guard)
            self.operations.append(Opaque(site, f"dmigrate does not follow docker steps inside a `{type(node).__name__}` statement", True))

    def _if(self, node, frame: _Frame) -> None:
        cst = self.cst
        decided = self._truth(node.test, frame)
        frame.statement = node
        if decided is True:
            self._block(node.body.body, frame)
            return
        if decided is False:
            if isinstance(node.orelse, cst.If):
                self._if(node.orelse, frame)
            elif node.orelse is not None:
                self._block(node.orelse.body.body, frame)
            return
        reason = "inside an `if` decided at run time"
        self._sometimes(frame, reason, lambda inner: self._block(node.body.body, inner))
        if isinstance(node.orelse, cst.If):
            self._sometimes(frame, reason, lambda inner: self._if(node.orelse, inner))
        elif node.orelse is not None:
            self._sometimes(frame, reason, lambda inner: self._block(node.orelse.body.body, inner))

    def _truth(self, test, frame: _Frame) -> bool | None:
        cst = self.cst
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            left = self._eval(test.left, frame)
            right = self._eval(test.comparisons[0].comparator, frame)
            operator = test.comparisons[0].operator
            if isinstance(left, Word) and isinstance(right, Word) and left.known and right.known:
                if isinstance(operator, cst.Equal):
                    return left.key == right.key
                if isinstance(operator, cst.NotEqual):
                    return left.key != right.key
            return None
        if isinstance(test, cst.Name) and test.value in ("True", "False"):
            return test.value == "True"
        self._eval(test, frame)
        return None

    def _for(self, node, frame: _Frame) -> None:
        cst = self.cst
        iterable = self._eval(node.iter, frame)
        if isinstance(iterable, _Seq) and isinstance(node.target, cst.Name) and all(
            isinstance(item, Word) and item.known for item in iterable.items
        ) and not self._stops_early(node.body):
            for item in iterable.items:
                frame.env[node.target.value] = item
                self._block(node.body.body, frame)
            return
        def run(inner: _Frame) -> None:
            if isinstance(node.target, cst.Name):
                inner.env[node.target.value] = self.unknown(node.target.value)
            self._block(node.body.body, inner)

        self._sometimes(frame, f"inside a `for` loop over {self.source(node.iter)}, whose items cannot be known without running it", run)

    def _stops_early(self, body) -> bool:
        """Whether a loop body holds ``break`` or ``continue`` for this loop, so that unrolling it could run too much."""
        cst = self.cst
        found = []

        class Finder(cst.CSTVisitor):
            def visit_Break(self, node) -> None:
                found.append(node)

            def visit_Continue(self, node) -> None:
                found.append(node)

            def visit_For(self, node) -> bool:
                return False

            def visit_While(self, node) -> bool:
                return False

            def visit_FunctionDef(self, node) -> bool:
                return False

        body.visit(Finder())
        return bool(found)

    def _small(self, node, frame: _Frame) -> None:
        cst = self.cst
        if isinstance(node, cst.Expr):
            self._eval(node.value, frame)
        elif isinstance(node, (cst.Assign, cst.AnnAssign)):
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            if node.value is None:
                return
            single = targets[0].value if len(targets) == 1 and isinstance(targets[0], cst.Name) else None
            self.capture_into = single
            try:
                value = self._eval(node.value, frame)
            finally:
                self.capture_into = None
            for target in targets:
                self._bind(target, value, frame)
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
            current = self._lookup(node.target.value, frame)
            added = self._eval(node.value, frame)
            if not isinstance(node.operator, cst.AddAssign):
                frame.env[node.target.value] = _Unknown(self.source(node))
            elif isinstance(current, _Seq):
                # ``+=`` extends the list in place.
                extended = _Seq(current.items + added.items) if isinstance(added, _Seq) else self._unknown_value(self.source(node), current)
                self._rebind(current, extended, node, frame)
            else:
                frame.env[node.target.value] = self._add(current, added, node)
        elif isinstance(node, (cst.AugAssign, cst.Del)):
            self._overwritten(node.target, node, frame)
        elif isinstance(node, cst.Import):
            for alias in node.names:
                name = self.source(alias.name)
                bound = alias.asname.name.value if alias.asname is not None else name.split(".")[0]
                frame.env[bound] = _Ref(name if alias.asname is not None else name.split(".")[0])
        elif isinstance(node, cst.ImportFrom) and node.module is not None and not isinstance(node.names, cst.ImportStar):
            module = self.source(node.module)
            for alias in node.names:
                name = alias.name.value if isinstance(alias.name, cst.Name) else self.source(alias.name)
                bound = alias.asname.name.value if alias.asname is not None else name
                frame.env[bound] = _Ref(f"{module}.{name}")
        elif isinstance(node, cst.Return):
            raise _Return(self._eval(node.value, frame) if node.value is not None else None)
        elif isinstance(node, cst.Raise) and frame.guard is None:
            raise _Exit()
        elif isinstance(node, cst.Assert):
            self._eval(node.test, frame)

    def _overwritten(self, target, node, frame: _Frame) -> None:
        """``args[0] = ...``, ``del args[0]``: what the subscripted name held is unknown now."""
        cst = self.cst
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._overwritten(element.value, node, frame)
            return
        if isinstance(target, cst.Subscript):
            base = self._eval(target.value, frame)
            if isinstance(base, (_Seq, _DictValue)):
                changed = self._unknown_value(self.source(node), base)
                self._rebind(base, changed, node, frame)
        elif isinstance(target, cst.Name):
            frame.env[target.value] = _Unknown(self.source(node))

    def _bind(self, target, value, frame: _Frame) -> None:
        cst = self.cst
        if isinstance(target, cst.Name):
            frame.env[target.value] = value
        elif isinstance(target, cst.Subscript):
            self._overwritten(target, frame.statement, frame)
        elif isinstance(target, (cst.Tuple, cst.List)):
            names = [e.value for e in target.elements]
            if isinstance(value, _Seq) and len(value.items) == len(names):
                for name, item in zip(names, value.items):
                    self._bind(name, item, frame)
            else:
                for name in names:
                    self._bind(name, _Unknown(self.source(name)), frame)

    def _lookup(self, name: str, frame: _Frame):
        scope = frame
        while scope is not None:
            if name in scope.env:
                return scope.env[name]
            scope = scope.parent
        if name in ("True", "False"):
            return Word.literal(name)
        if name == "None":
            return None
        if name in ("list", "tuple", "str", "print", "open", "len", "exit", "quit"):
            return _Ref(f"builtins.{name}")
        return _Unknown(name)

    # -- expressions ------------------------------------------------------------------------------
    def _eval(self, node, frame: _Frame):
        cst = self.cst
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            if isinstance(value, bytes):
                return Word(node.value, value.decode("utf-8", "replace"))
            return Word(node.value, value)
        if isinstance(node, cst.ConcatenatedString):
            return self._add(self._eval(node.left, frame), self._eval(node.right, frame), node)
        if isinstance(node, cst.FormattedString):
            return self._fstring(node, frame)
        if isinstance(node, (cst.Integer, cst.Float)):
            return Word(node.value, str(node.evaluated_value))
        if isinstance(node, cst.Name):
            value = self._lookup(node.value, frame)
            if isinstance(value, Word) and value.known:
                return Word(node.value, value.key)
            if isinstance(value, Word):
                return Word(node.value, value.key)
            return value
        if isinstance(node, (cst.List, cst.Tuple)):
            items = []
            for element in node.elements:
                value = self._eval(element.value, frame)
                if isinstance(element, cst.StarredElement):
                    items.extend(value.items if isinstance(value, _Seq) else [self.unknown_words("*" + self.source(element.value))])
                else:
                    items.append(value)
            return _Seq(tuple(items))
        if isinstance(node, cst.Dict):
            entries = []
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    entries.append((self._eval(element.key, frame), self._eval(element.value, frame), element.key, element.value, element))
                else:
                    return _Unknown(self.source(node))
            return _DictValue(tuple(entries))
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return self._add(self._eval(node.left, frame), self._eval(node.right, frame), node)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            left = self._eval(node.left, frame)
            right = self._eval(node.right, frame)
            if isinstance(left, Word) and isinstance(right, Word):
                return self._join_paths([left, right], node)
            return _Unknown(self.source(node))
        if isinstance(node, cst.BooleanOperation):
            left = self._eval(node.left, frame)
            if isinstance(node.operator, cst.Or) and isinstance(left, Word) and left.known:
                return left if left.key else self._eval(node.right, frame)
            reason = f"runs only when the left side of `{self.source(node.operator).strip()}` lets it"
            self._sometimes(frame, reason, lambda inner: self._eval(node.right, inner))
            return _Unknown(self.source(node))
        if isinstance(node, cst.Attribute):
            return self._attribute(node, frame)
        if isinstance(node, cst.Subscript):
            return self._subscript(node, frame)
        if isinstance(node, cst.Call):
            return self._call(node, frame)
        return self._other_expression(node, frame)

    def _other_expression(self, node, frame: _Frame):
        """An expression with no value the reader knows: the calls in it still run, and one it cannot place is refused."""
        cst = self.cst
        if isinstance(node, cst.UnaryOperation):
            self._eval(node.expression, frame)
        elif isinstance(node, cst.Comparison):
            self._eval(node.left, frame)
            for comparison in node.comparisons:
                self._eval(comparison.comparator, frame)
        elif isinstance(node, cst.BinaryOperation):
            self._eval(node.left, frame)
            self._eval(node.right, frame)
        elif isinstance(node, cst.IfExp):
            self._eval(node.test, frame)
            for branch in (node.body, node.orelse):
                self._sometimes(frame, "inside a conditional expression", lambda inner, branch=branch: self._eval(branch, inner))
        elif isinstance(node, cst.Await):
            self._eval(node.expression, frame)
        elif "docker" in self.source(node):
            site = self._anchor(node, frame, [node], "argv")
            self.operations.append(Opaque(site, "dmigrate does not follow what this expression runs (a lambda, a comprehension, ...)", True))
        return _Unknown(self.source(node))

    def _word(self, value, node) -> Word:
        """Any value as one word: unknown when it is not a string."""
        if isinstance(value, Word):
            return value
        if node is not None:
            return self.unknown(self.source(node))
        # Without its source, an unknown must not compare equal to another one.
        return self.unknown(value.text if isinstance(value, _Unknown) else f"{type(value).__name__} {id(value)}")

    def _add(self, left, right, node):
        if isinstance(left, _Seq) and isinstance(right, _Seq):
            return _Seq(left.items + right.items)
        if isinstance(left, Word) and isinstance(right, Word):
            return Word(self.source(node), left.key + right.key)
        return _Unknown(self.source(node))

    def _fstring(self, node, frame: _Frame) -> Word:
        cst = self.cst
        pieces = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                pieces.append(part.value.replace("{{", "{").replace("}}", "}"))
                continue
            value = self._eval(part.expression, frame)
            if part.format_spec or part.conversion or not isinstance(value, Word):
                pieces.append(self.unknown(self.source(part)).key)
            else:
                pieces.append(value.key)
        return Word(self.source(node), "".join(pieces))

    def _attribute(self, node, frame: _Frame):
        base = self._eval(node.value, frame)
        name = node.attr.value
        if isinstance(base, _Ref):
            return _Ref(f"{base.name}.{name}")
        if isinstance(base, _Client) and name in ("images", "containers", "api"):
            return _Ref(f"client.{name}")
        if isinstance(base, _ContainerRef) and name in ("id", "name", "short_id"):
            return base.key
        if isinstance(base, Word) and name in ("parent",) and base.known:
            return Word(self.source(node), posixpath.dirname(base.key))
        if isinstance(base, Word) and name == "name" and base.known:
            return Word(self.source(node), posixpath.basename(base.key))
        if isinstance(base, _Result) and name in ("stdout", "output"):
            return base.captured if base.captured is not None else _Unknown(self.source(node))
        return _BoundMethod(base, name)

    def _subscript(self, node, frame: _Frame):
        base = self._eval(node.value, frame)
        if isinstance(base, _Ref) and base.name == "os.environ":
            key = self._eval(node.slice[0].slice.value, frame) if node.slice else None
            return self.unknown(f"os.environ[{self.source(node.slice[0])}]") if key is not None else _Unknown(self.source(node))
        if isinstance(base, _Seq) and len(node.slice) == 1:
            index = self._eval(node.slice[0].slice.value, frame) if isinstance(node.slice[0].slice, self.cst.Index) else None
            if isinstance(index, Word) and index.known and index.key.lstrip("-").isdigit():
                position = int(index.key)
                if -len(base.items) <= position < len(base.items):
                    return base.items[position]
        return _Unknown(self.source(node))

    def _join_paths(self, parts: list[Word], node) -> Word:
        if not all(part.known for part in parts):
            return Word(self.source(node), "/".join(part.key for part in parts))
        return Word(self.source(node), posixpath.join(*[part.key for part in parts]))

    # -- calls --------------------------------------------------------------------------------------
    def _arguments(self, node, frame: _Frame):
        positional = []
        keywords = {}
        for arg in node.args:
            value = self._eval(arg.value, frame)
            if arg.keyword is not None:
                keywords[arg.keyword.value] = (value, arg.value)
            elif arg.star == "*":
                if isinstance(value, _Seq):
                    positional.extend((item, arg.value) for item in value.items)
                else:
                    positional.append((self.unknown_words("*" + self.source(arg.value)), arg.value))
            elif arg.star == "**":
                if isinstance(value, _DictValue) and all(isinstance(key, Word) and key.known for key, *_ in value.entries):
                    for key, item, _key_node, item_node, _entry in value.entries:
                        keywords[key.key] = (item, item_node)
                else:
                    # Which keywords it holds cannot be known: any of them may be among these.
                    keywords["**"] = (value, arg.value)
            else:
                positional.append((value, arg.value))
        return positional, keywords

    def _call(self, node, frame: _Frame):
        callee = self._eval(node.func, frame)
        if isinstance(callee, _Func):
            return self._call_function(callee, node, frame)
        if isinstance(callee, _Ref):
            return self._library_call(callee.name, node, frame)
        if isinstance(callee, _BoundMethod):
            return self._method(callee, node, frame)
        positional, _ = self._arguments(node, frame)
        self._unread_call(self.source(node.func), node, [value for value, _ in positional], frame)
        return _Unknown(self.source(node))

    def _call_function(self, function: _Func, node, frame: _Frame):
        if self.depth > 30:
            raise InputError(Location(self.path, self.position(node)[0]), f"{function.name} calls itself too deeply to follow")
        self.entered.add(function.name)
        definition = function.node
        positional, keywords = self._arguments(node, frame)
        env: dict = {}
        params = definition.params
        ordered = list(params.posonly_params) + list(params.params)
        unknown_keywords = "**" in keywords
        for index, param in enumerate(ordered):
            name = param.name.value
            if index < len(positional):
                env[name] = positional[index][0]
            elif name in keywords:
                env[name] = keywords[name][0]
            elif unknown_keywords:
                env[name] = self.unknown(name)
            elif param.default is not None:
                env[name] = self._eval(param.default, frame)
            else:
                env[name] = self.unknown(name)
        star = params.star_arg
        if isinstance(star, self.cst.Param):
            env[star.name.value] = _Seq(tuple(value for value, _ in positional[len(ordered) :]))
        for param in params.kwonly_params:
            name = param.name.value
            if name in keywords:
                env[name] = keywords[name][0]
            elif param.default is not None and not unknown_keywords:
                env[name] = self._eval(param.default, frame)
            else:
                env[name] = self.unknown(name)
        if params.star_kwarg is not None:
            # The keywords no parameter takes, as a dict that a call can hand on with ``**``.
            named = {param.name.value for index, param in enumerate(ordered) if index >= max(len(positional), len(params.posonly_params))}
            named |= {param.name.value for param in params.kwonly_params}
            rest = [(Word.literal(key), value, None, source, source) for key, (value, source) in keywords.items() if key not in named and key != "**"]
            env[params.star_kwarg.name.value] = _Unknown(params.star_kwarg.name.value) if unknown_keywords else _DictValue(tuple(rest))
        module_frame = frame
        while module_frame.parent is not None:
            module_frame = module_frame.parent
        inner = _Frame(
            env=env,
            params=set(env),
            name=function.name,
            call=node,
            call_statement=frame.statement,
            parent=module_frame,
            guard=frame.guard,
            caller=frame,
        )
        self.depth += 1
        try:
            self._block(definition.body.body, inner)
        except _Return as returned:
            return returned.value
        finally:
            self.depth -= 1
        return None

    def _library_call(self, name: str, node, frame: _Frame):
        positional, keywords = self._arguments(node, frame)
        values = [value for value, _ in positional]
        short = name.rsplit(".", 1)[-1]
        if name.startswith("subprocess.") and short in SUBPROCESS_RUNNERS:
            return self._subprocess(short, node, positional, keywords, frame)
        if name == "os.system" and values:
            return self._shell_string(node, values[0], positional[0][1], frame, capturing=False)
        if name in ("os.environ.get", "os.getenv"):
            return self._environ(node, values)
        if name in ("os.path.join", "posixpath.join") and all(isinstance(v, Word) for v in values) and values:
            return self._join_paths(values, node)
        if name in ("os.path.dirname", "os.path.abspath", "os.path.realpath", "os.path.basename") and values and isinstance(values[0], Word):
            return self._path_function(short, values[0], node)
        if name in ("os.path.exists", "os.path.isfile", "os.path.isdir", "os.path.getsize", "os.stat") and values and isinstance(values[0], Word):
            return self._host_file(("test", "-e"), values[0], node, frame)
        if name in ("os.getcwd", "pathlib.Path.cwd"):
            return Word(self.source(node), self.cwd.key)
        if name == "os.chdir" and values and isinstance(values[0], Word):
            self.cwd = self._host_path(values[0])
            return None
        if name in ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath") and values and isinstance(values[0], Word):
            return values[0] if len(values) == 1 else self._join_paths([v for v in values if isinstance(v, Word)], node)
        if name == "shlex.split" and values and isinstance(values[0], Word) and values[0].known:
            import shlex

            try:
                return _Seq(tuple(Word(self.source(positional[0][1]), part) for part in shlex.split(values[0].key)))
            except ValueError:
                return _Unknown(self.source(node))
        if name in ("shlex.join",) and values and isinstance(values[0], _Seq):
            import shlex

            words = [self._word(item, None) for item in values[0].items]
            if all(word.known for word in words):
                return Word(self.source(node), shlex.join(word.key for word in words))
            return _Unknown(self.source(node))
        if name in ("shlex.quote",) and values and isinstance(values[0], Word):
            import shlex

            return Word(self.source(node), shlex.quote(values[0].key)) if values[0].known else values[0]
        if name in ("docker.from_env", "docker.DockerClient", "docker.client.from_env"):
            return _Client()
        if name.startswith("client.") or name.startswith("docker."):
            return self._sdk(name, node, positional, keywords, frame)
        if name in ("os.remove", "os.unlink", "shutil.rmtree", "os.makedirs", "os.mkdir", "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move", "os.rename", "os.replace", "os.chmod", "shutil.copytree"):
            return self._host_call(name, node, values, frame)
        if name in ("builtins.list", "builtins.tuple") and len(values) == 1 and isinstance(values[0], _Seq):
            return values[0]
        if name == "builtins.str" and len(values) == 1 and isinstance(values[0], Word):
            return values[0]
        if name == "builtins.open" and values and isinstance(values[0], Word):
            mode = values[1] if len(values) > 1 else keywords.get("mode", (Word.literal("r"), None))[0]
            writes = isinstance(mode, Word) and mode.known and any(letter in mode.key for letter in "wax+")
            return _OpenFile(values[0], writes)
        if name in ("sys.exit", "builtins.exit", "builtins.quit") and frame.guard is None:
            raise _Exit()
        if name == "tarfile.open":
            fileobj = keywords.get("fileobj", (None, None))[0]
            archive = fileobj.archive if isinstance(fileobj, _Tar) else None
            if archive is not None:
                return _Tar(archive, fileobj.statements + (self.position(frame.statement),))
            return _Unknown(self.source(node))
        if name == "io.BytesIO" and values and isinstance(values[0], _Tar):
            return values[0]
        self._unread_call(name, node, values, frame)
        return _Unknown(self.source(node))

    def _unread_call(self, name: str, node, values, frame: _Frame) -> None:
        """A call dmigrate does not follow that is handed a docker command: it may run it."""
        if name.startswith(_HARMLESS):
            return
        for value in values:
            first = value.items[0] if isinstance(value, _Seq) and value.items else value
            if isinstance(first, Word) and (first.key == "docker" or first.key.startswith("docker ")):
                site = self._anchor(node, frame, [arg.value for arg in node.args], "argv")
                self.operations.append(Opaque(site, f"{name} is handed a docker command, and dmigrate does not follow into it", True))
                return

    def _method(self, method: _BoundMethod, node, frame: _Frame):
        receiver = method.receiver
        positional, keywords = self._arguments(node, frame)
        values = [value for value, _ in positional]
        if isinstance(receiver, _Ref):
            return self._library_call(f"{receiver.name}.{method.name}", node, frame)
        if isinstance(receiver, Word):
            if method.name in _PATH_METHODS:
                return self._host_file(_PATH_METHODS[method.name], receiver, node, frame)
            return self._string_method(receiver, method.name, values, node)
        if isinstance(receiver, _OpenFile) and method.name in _FILE_METHODS:
            return self._host_file(_FILE_METHODS[method.name], receiver.path, node, frame)
        if isinstance(receiver, _Result):
            if method.name in ("decode", "strip", "rstrip", "splitlines") and receiver.captured is not None:
                return receiver.captured
            if method.name in ("wait", "communicate"):
                return None
            return _Unknown(self.source(node))
        if isinstance(receiver, _ContainerRef):
            return self._container_method(receiver, method.name, node, positional, keywords, frame)
        if isinstance(receiver, _Tar) and method.name in ("extractall", "extract"):
            return self._extract(receiver, node, positional, keywords, frame)
        if isinstance(receiver, _Tar):
            return receiver
        if isinstance(receiver, _Seq) and method.name in _LIST_MUTATORS:
            self._mutate(receiver, method.name, values, node, frame)
        if isinstance(receiver, _DictValue) and method.name in _DICT_MUTATORS:
            self._rebind(receiver, self._unknown_value(self.source(node), receiver), node, frame)
        return _Unknown(self.source(node))

    def _mutate(self, sequence: "_Seq", method: str, values, node, frame: _Frame) -> None:
        """``args.append(...)`` and the like: every name bound to the list sees the change."""
        items = list(sequence.items)
        if method == "append" and len(values) == 1:
            changed = _Seq((*items, values[0]))
        elif method == "extend" and len(values) == 1 and isinstance(values[0], _Seq):
            changed = _Seq((*items, *values[0].items))
        elif method == "insert" and len(values) == 2 and isinstance(values[0], Word) and values[0].key.lstrip("-").isdigit():
            items.insert(int(values[0].key), values[1])
            changed = _Seq(tuple(items))
        else:
            changed = self._unknown_value(self.source(node), sequence)
        self._rebind(sequence, changed, node, frame)

    def _unknown_value(self, text: str, *values):
        """What a name holds once it may have changed: unknown, and still marked as a docker command if it was or may be one."""
        if any(_holds_docker(value) for value in values):
            return _Unknown(text, mentions_docker=True)
        return self.unknown(text)

    def _rebind(self, old, new, node, frame: _Frame) -> None:
        """Give every name that holds ``old`` the value ``new``; unknown when the change happens only sometimes."""
        if frame.guard is not None and isinstance(old, _Seq):
            new = self._unknown_value(self.source(node), old)
        seen: set[int] = set()
        pending = [frame]
        while pending:
            current = pending.pop()
            if current is None or id(current) in seen:
                continue
            seen.add(id(current))
            for name, value in current.env.items():
                if value is old:
                    current.env[name] = new
            pending += [current.parent, current.caller]

    def _string_method(self, receiver: Word, name: str, values, node):
        if name == "join" and values and isinstance(values[0], _Tar):
            return values[0]
        if name == "join" and values and isinstance(values[0], _Seq):
            words = [self._word(item, None) for item in values[0].items]
            return Word(self.source(node), receiver.key.join(word.key for word in words))
        if name == "format" and receiver.known:
            try:
                return Word(self.source(node), receiver.key.format(*[self._word(v, None).key for v in values]))
            except (IndexError, KeyError, ValueError):
                return _Unknown(self.source(node))
        if name in ("resolve", "absolute") and not values:
            # pathlib: the path made absolute against the working directory.
            if not receiver.known or not self.cwd.known:
                return receiver
            return Word(self.source(node), posixpath.normpath(posixpath.join(self.cwd.key, receiver.key)))
        if name in ("strip", "rstrip", "lstrip", "lower", "upper") and receiver.known and not values:
            return Word(self.source(node), getattr(receiver.key, name)())
        if name in ("strip", "rstrip", "decode") and not receiver.known:
            return receiver
        if name == "encode":
            return receiver
        if name == "split" and receiver.known and not values:
            return _Seq(tuple(Word(self.source(node), part) for part in receiver.key.split()))
        return _Unknown(self.source(node))

    def _environ(self, node, values):
        if not values or not isinstance(values[0], Word) or not values[0].known:
            return _Unknown(self.source(node))
        name = values[0].key
        if len(values) < 2 or not isinstance(values[1], Word):
            return self.unknown(f"os.environ[{name!r}]")
        self.notes.append(f"assumed {name} is not set in the environment, so {self.source(node)} is {values[1].key!r}")
        return Word(self.source(node), values[1].key)

    def _path_function(self, short: str, value: Word, node) -> Word:
        if not value.known:
            return Word(self.source(node), value.key)
        if short == "dirname":
            return Word(self.source(node), posixpath.dirname(value.key))
        if short == "basename":
            return Word(self.source(node), posixpath.basename(value.key))
        return Word(self.source(node), posixpath.normpath(posixpath.join(self.cwd.key, value.key)))

    def _host_path(self, word: Word) -> Word:
        if word.key.startswith("/"):
            return Word(word.text, posixpath.normpath(word.key) if word.known else word.key)
        if not word.known or not self.cwd.known:
            return Word(word.text, f"{self.cwd.key}/{word.key}")
        return Word(word.text, posixpath.normpath(posixpath.join(self.cwd.key, word.key)))

    # -- steps ----------------------------------------------------------------------------------------
    def _climb(self, node, frame: _Frame, relevant):
        """The statement and call that make a step: out of every helper whose parameters make the command."""
        call = node
        statement = frame.statement
        current = frame
        names = self._names(relevant)
        while current.call is not None and names & current.params:
            call = current.call
            statement = current.call_statement
            names = self._names([arg.value for arg in current.call.args])
            current = current.caller or current.parent
        return statement, call, current

    def _anchor(self, node, frame: _Frame, relevant, form: str, *, extra=(), shell=None) -> Site:
        statement, call, current = self._climb(node, frame, relevant)
        direct = call is node
        anchor = PythonAnchor(
            statement=self.position(statement),
            call=self.position(call),
            form=form,
            direct=direct,
            extra=tuple(extra) if direct or current is frame else (),
            shell=shell,
        )
        return Site(self.path, anchor.statement[0], anchor, frame.guard)

    def _names(self, nodes) -> set[str]:
        cst = self.cst
        found: set[str] = set()

        class Collector(cst.CSTVisitor):
            def visit_Name(self, name) -> None:
                found.add(name.value)

            def visit_Attribute(self, attribute) -> bool:
                attribute.value.visit(self)
                return False

        for node in nodes:
            if node is not None:
                node.visit(Collector())
        return found

    def _command_node(self, positional, keywords):
        if positional:
            return positional[0][1]
        return keywords.get("args", (None, None))[1]

    def _subprocess(self, short: str, node, positional, keywords, frame: _Frame):
        command, command_node = (positional[0] if positional else keywords.get("args", (None, None)))
        if command is None:
            return _Unknown(self.source(node))
        shell_value = keywords.get("shell", (None, None))[0]
        uses_shell = isinstance(shell_value, Word) and shell_value.key == "True" or short in ("getoutput", "getstatusoutput")
        capturing = short in _CAPTURING or any(
            name in keywords and isinstance(keywords[name][0], (Word, _Ref)) and self._captures(keywords[name])
            for name in ("capture_output", "stdout")
        )
        cwd = self.cwd
        if "cwd" in keywords:
            value, value_node = keywords["cwd"]
            if value is not None:
                cwd = self._host_path(value if isinstance(value, Word) else self.unknown(self.source(value_node)))
        forwarded = keywords.get("**", (None, None))[1]
        if forwarded is not None:
            # ``**kw`` whose keywords cannot be known may hold cwd=: the directory is unknown, never the driver's own.
            if "cwd" not in keywords:
                cwd = self.unknown(f"cwd= in **{self.source(forwarded)}")
            if "shell" not in keywords and not isinstance(command, _Seq) and _holds_docker(command):
                site = self._anchor(node, frame, [command_node], "argv")
                reason = f"**{self.source(forwarded)} may hold shell=True, which decides how the command string {self.source(command_node)} runs"
                self.operations.append(Opaque(site, reason, True))
                return _Result(None, capturing)
        if uses_shell:
            start = len(self.operations)
            result = self._shell_string(node, command, command_node, frame, capturing=capturing, cwd=cwd)
            self._keywords_reach(start, keywords)
            return result
        if isinstance(command, Word):
            if " " in command.key.strip() and "docker" in command.key:
                site = self._anchor(node, frame, [command_node], "argv")
                self.operations.append(Opaque(site, "a command string without shell=True runs a program named by the whole string", True))
                return _Result(None, capturing)
            command = _Seq((command,))
        if not isinstance(command, _Seq):
            statement, _, _ = self._climb(node, frame, [command_node])
            mentions = (
                "docker" in self.source(node)
                or (statement is not None and "docker" in self.source(statement))
                or _holds_docker(command)
            )
            if mentions:
                site = self._anchor(node, frame, [command_node], "argv")
                self.operations.append(Opaque(site, f"the command {self.source(command_node)} cannot be known without running the driver", True))
            return _Result(None, capturing)
        argv = [self._word(item, None) for item in command.items]
        if len(argv) > 2 and argv[0].known and posixpath.basename(argv[0].key) in _SHELLS and argv[1].key == "-c":
            # ["sh", "-c", "docker ..."] hands a string to a shell, as shell=True does.
            start = len(self.operations)
            result = self._shell_string(node, argv[2], command_node, frame, capturing=capturing, cwd=cwd)
            self._keywords_reach(start, keywords)
            return result
        form = "argv"
        site = self._anchor(node, frame, [arg.value for arg in node.args if arg.keyword is None or arg.keyword.value == "args"], form)
        stdout = keywords.get("stdout", (None, None))[0]
        written = stdout.path if isinstance(stdout, _OpenFile) and stdout.writes else None
        start = len(self.operations)
        result = self._argv(argv, site, cwd, capturing and written is None, written, self._stdin(keywords))
        self._keywords_reach(start, keywords)
        return result

    def _keywords_reach(self, start: int, keywords) -> None:
        """The docker steps one call made (from ``start`` on) whose meaning its ``env=`` or an unknown ``**kw`` may change: opaque.

        docker takes ``--build-arg NAME`` and ``-e NAME`` from the environment
        env= gives it, which the migrated build would not see; and a ``**kw``
        the reader cannot see into may hold env= or stdout=.
        """
        forwarded = keywords.get("**", (None, None))[1]
        source = f"**{self.source(forwarded)}" if forwarded is not None else None
        environment = "env=" if "env" in keywords else (f"{source} (which may hold env=)" if source else None)
        for index in range(start, len(self.operations)):
            operation = self.operations[index]
            valueless: tuple[str, ...] = ()
            if isinstance(operation, Build):
                valueless = tuple(f"--build-arg {arg.name}" for arg in operation.build_args if arg.value is None)
            elif isinstance(operation, Container):
                valueless = tuple(f"-e {word.key}" for word in operation.env if word.known and "=" not in word.key)
            if environment is not None and valueless:
                reason = f"`{valueless[0]}` takes its value from {environment}, which the migrated docker build would not see; write it with =VALUE"
                self.operations[index] = Opaque(operation.site, reason, True)
            elif source is not None and "stdout" not in keywords and _prints_output(operation):
                reason = f"{source} may hold stdout=, which decides where the output of this docker command goes"
                self.operations[index] = Opaque(operation.site, reason, True)

    def _stdin(self, keywords) -> str | None:
        """What the call feeds the command's standard input (``input=``, ``stdin=``), or None."""
        if "**" in keywords and "input" not in keywords and "stdin" not in keywords:
            return f"whatever **{self.source(keywords['**'][1])} gives as stdin= or input="
        if keywords.get("input", (None, None))[0] is not None:
            return f"input={self.source(keywords['input'][1])}"
        value, node = keywords.get("stdin", (None, None))
        if value is None or isinstance(value, _Ref) and (value.name.endswith("DEVNULL") or value.name == "sys.stdin"):
            return None
        return f"stdin={self.source(node)}"

    def _captures(self, keyword) -> bool:
        value, node = keyword
        if isinstance(value, Word):
            return value.key == "True"
        return isinstance(value, _Ref) and value.name.endswith("PIPE")

    def _argv(self, argv: list[Word], site: Site, cwd: Word, capturing: bool, stdout: Word | None = None, stdin: str | None = None):
        if not argv:
            return _Result(None, capturing)
        name = argv[0]
        if not name.known:
            if "docker" in name.text:
                self.operations.append(Opaque(site, f"the command {name.text} cannot be known without running the driver", True))
            else:
                self.operations.append(HostCommand(site, tuple(argv), cwd))
            return _Result(None, capturing)
        gcloud = gcloud_docker_arguments(argv)
        if gcloud is not None:
            self.operations.append(parse_gcloud_docker(gcloud, site, cwd))
            return _Result(None, capturing)
        if posixpath.basename(name.key) == "docker-compose" and compose_is_harmless(argv[1:]):
            return _Result(None, capturing)
        if posixpath.basename(name.key) != "docker":
            self.operations.append(HostCommand(site, tuple(argv), cwd))
            return _Result(None, capturing)
        captured_as = self.capture_into if capturing else None
        operation = parse_docker_command(argv[1:], site, cwd, captured_as=captured_as, stdout=stdout, stdin=stdin)
        if isinstance(operation, Build):
            operation = replace(operation, build_args=tuple(self._python_build_arg(arg, argv) for arg in operation.build_args))
        position = len(self.operations)
        self.operations.append(operation)
        if isinstance(operation, Container) and capturing:
            holder = self.capture_into or "output"
            return _Result(Word(holder, UNKNOWN_MARK + f"container-id {holder} {position}" + UNKNOWN_MARK), True)
        return _Result(None, capturing)

    def _python_build_arg(self, arg: BuildArg, argv: list[Word]) -> BuildArg:
        """Build args read from Python words: ``text`` is Python source of the list elements, the value a Python expression."""
        for index, word in enumerate(argv):
            if word.key == "--build-arg" and index + 1 < len(argv) and argv[index + 1].key.split("=", 1)[0] == arg.name:
                element = argv[index + 1]
                text = f"{word.text}, {element.text}"
            elif word.key.startswith("--build-arg=") and word.key[len("--build-arg=") :].split("=", 1)[0] == arg.name:
                element = word
                text = word.text
            else:
                continue
            value = None if arg.value is None else Word(self._value_expression(element, arg.name, word is element), arg.value.key)
            return BuildArg(arg.name, value, text)
        return arg

    def _value_expression(self, element: Word, name: str, inline: bool) -> str:
        """A Python expression for the part of ``element`` after ``NAME=``."""
        import ast

        prefix = ("--build-arg=" if inline else "") + name + "="
        try:
            tree = ast.parse(element.text, mode="eval").body
        except SyntaxError:
            tree = None
        if isinstance(tree, ast.Constant) and isinstance(tree.value, str) and tree.value.startswith(prefix):
            return repr(tree.value[len(prefix) :])
        if isinstance(tree, ast.JoinedStr) and tree.values and isinstance(tree.values[0], ast.Constant) and str(tree.values[0].value).startswith(prefix):
            rest = tree.values[1:]
            head = str(tree.values[0].value)[len(prefix) :]
            if not head and len(rest) == 1 and isinstance(rest[0], ast.FormattedValue) and rest[0].conversion == -1 and rest[0].format_spec is None:
                return ast.unparse(rest[0].value)
            return ast.unparse(ast.JoinedStr(values=([ast.Constant(head)] if head else []) + rest))
        if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Add) and isinstance(tree.left, ast.Constant) and tree.left.value == prefix:
            return ast.unparse(tree.right)
        if isinstance(tree, ast.Name) and not element.known:
            return f"{element.text}.partition('=')[2]"
        return f"({element.text}).partition('=')[2]" if not inline else f"({element.text}).split('=', 2)[2]"

    def _shell_string(self, node, command, command_node, frame: _Frame, *, capturing: bool, cwd: Word | None = None):
        from migrate.errors import MigrationStop
        from migrate.read.shell import ShellAnchor, read_shell_fragment

        if not isinstance(command, Word):
            if "docker" in self.source(node) or _holds_docker(command):
                site = self._anchor(node, frame, [command_node], "shell")
                self.operations.append(Opaque(site, f"the shell command {self.source(command_node)} cannot be known without running the driver", True))
            return _Result(None, capturing)
        text = self._shell_text(command)
        try:
            operations, notes = read_shell_fragment(self.path, text, (cwd or self.cwd).key, first_position=len(self.operations))
        except MigrationStop as stop:
            raise type(stop)(Location(self.path, self.position(node)[0]), f"in the shell command: {stop.reason}") from None
        self.notes.extend(notes)
        result = None
        for operation in operations:
            shell_anchor = operation.site.anchor if isinstance(operation.site.anchor, ShellAnchor) else None
            site = self._anchor(node, frame, [command_node], "shell", shell=shell_anchor)
            if operation.site.guard and not site.guard:
                site = replace(site, guard=operation.site.guard)
            operation = _restore_unknowns(replace(operation, site=site), self.unknowns)
            if isinstance(operation, Container) and capturing and self.capture_into and operation.captured_as is None and len(operations) == 1:
                operation = replace(operation, captured_as=self.capture_into)
                result = Word(self.capture_into, UNKNOWN_MARK + f"container-id {self.capture_into} {len(self.operations)}" + UNKNOWN_MARK)
            self.operations.append(operation)
        return _Result(result, capturing)

    def _shell_text(self, command: Word) -> str:
        if command.known:
            return command.key
        pieces = command.key.split(UNKNOWN_MARK)
        out = []
        for index, piece in enumerate(pieces):
            if index % 2 == 0:
                out.append(piece)
                continue
            if piece not in self.unknowns:
                self.unknowns.append(piece)
            out.append("${" + PLACEHOLDER_PREFIX + str(self.unknowns.index(piece)) + "}")
        return "".join(out)

    def _host_call(self, name: str, node, values, frame: _Frame):
        short = name.rsplit(".", 1)[-1]
        command = {
            "remove": ["rm", "-f"], "unlink": ["rm", "-f"], "rmtree": ["rm", "-rf"], "makedirs": ["mkdir", "-p"],
            "mkdir": ["mkdir"], "copy": ["cp"], "copy2": ["cp"], "copyfile": ["cp"], "copytree": ["cp", "-r"],
            "move": ["mv"], "rename": ["mv"], "replace": ["mv"], "chmod": ["chmod"],
        }[short]  # fmt: skip
        words = [self._word(v, None) for v in values if isinstance(v, Word)]
        if short == "chmod":
            words = words[:1]
        site = self._anchor(node, frame, [arg.value for arg in node.args], "argv")
        self.operations.append(HostCommand(site, tuple(Word.literal(w) for w in command) + tuple(words), self.cwd))
        return None

    def _host_file(self, command: tuple[str, ...], path: Word, node, frame: _Frame):
        """A file the driver itself reads or writes (``open(p).read()``, ``Path(p).write_text()``): a host command for the tracer."""
        site = self._anchor(node, frame, [node.func] + [arg.value for arg in node.args], "argv")
        self.operations.append(HostCommand(site, (*map(Word.literal, command), path), self.cwd))
        return _Unknown(self.source(node))

    # -- the docker SDK -----------------------------------------------------------------------------------
    def _sdk(self, name: str, node, positional, keywords, frame: _Frame):
        short = name.split(".", 1)[1] if name.startswith("client.") else name
        site = self._anchor(node, frame, [node.func] + [arg.value for arg in node.args], "sdk")
        if short == "images.build":
            return self._sdk_build(node, positional, keywords, site)
        if short in ("containers.create", "containers.run"):
            return self._sdk_container(short.endswith("run"), node, positional, keywords, site)
        if short == "containers.get" and positional and isinstance(positional[0][0], Word):
            return _ContainerRef(positional[0][0])
        if short in ("images.remove",):
            image = positional[0][0] if positional else keywords.get("image", (None, None))[0]
            self.operations.append(RemoveImage(site, (self._word(image, node),)))
            return None
        if short in ("containers.prune", "images.prune", "images.get", "images.list", "containers.list", "ping", "version", "info", "close", "login"):
            return _Unknown(self.source(node))
        self.operations.append(Opaque(site, f"the docker SDK call {self.source(node.func)} is not one dmigrate reads", True))
        return _Unknown(self.source(node))

    def _sdk_build(self, node, positional, keywords, site: Site):
        path = keywords.get("path", positional[0] if positional else (None, None))
        if not isinstance(path[0], Word):
            self.operations.append(Opaque(site, "images.build without a path= context (fileobj= or custom_context=) is not supported", True))
            return _Seq((_Unknown("image"), _Unknown("logs")))
        context = path[0]
        dockerfile = None
        if "dockerfile" in keywords:
            value = self._word(keywords["dockerfile"][0], keywords["dockerfile"][1])
            # The SDK reads dockerfile= inside the context, not from the working directory.
            joined = value.key if value.key.startswith("/") else (posixpath.join(context.key, value.key) if context.known and value.known else f"{context.key}/{value.key}")
            dockerfile = Word(value.text, joined)
        tags = ()
        if "tag" in keywords:
            tags = (self._word(keywords["tag"][0], keywords["tag"][1]),)
        build_args = []
        if "buildargs" in keywords:
            value, value_node = keywords["buildargs"]
            if not isinstance(value, _DictValue):
                self.operations.append(Opaque(site, f"buildargs={self.source(value_node)} cannot be known without running the driver", True))
                return _Seq((_Unknown("image"), _Unknown("logs")))
            for key, item, _key_node, item_node, entry in value.entries:
                if not isinstance(key, Word) or not key.known:
                    self.operations.append(Opaque(site, f"a build arg name in {self.source(value_node)} cannot be known", True))
                    return _Seq((_Unknown("image"), _Unknown("logs")))
                word = self._word(item, item_node)
                build_args.append(BuildArg(key.key, Word(self.source(item_node), word.key), self.source(entry).rstrip(", \n")))
        target = self._word(keywords["target"][0], keywords["target"][1]) if "target" in keywords else None
        others = []
        flag_names = {"nocache": "--no-cache", "pull": "--pull", "rm": "--rm", "forcerm": "--force-rm", "quiet": "--quiet", "squash": "--squash"}
        value_flags = {"network_mode": "--network", "platform": "--platform", "labels": "--label", "extra_hosts": "--add-host", "shmsize": "--shm-size", "cache_from": "--cache-from", "isolation": "--isolation", "container_limits": "--limits"}
        for name, (value, value_node) in keywords.items():
            if name in ("path", "dockerfile", "tag", "buildargs", "target", "decode", "timeout", "encoding", "use_config_proxy"):
                continue
            if name in flag_names:
                if isinstance(value, Word) and value.key == "True":
                    others.append((flag_names[name], None))
                continue
            if name in value_flags:
                others.append((value_flags[name], self._word(value, value_node)))
                continue
            self.operations.append(Opaque(site, f"images.build({name}=...) is not supported yet", True))
            return _Seq((_Unknown("image"), _Unknown("logs")))
        self.operations.append(Build(site, context, dockerfile, tags, tuple(build_args), target, self.cwd, tuple(others)))
        return _Seq((_Unknown("image"), _Unknown("logs")))

    def _sdk_container(self, runs: bool, node, positional, keywords, site: Site):
        image = positional[0][0] if positional else keywords.get("image", (None, None))[0]
        image_node = positional[0][1] if positional else keywords.get("image", (None, None))[1]
        image_word = self._word(image, image_node)
        command: tuple[Word, ...] = ()
        command_value = positional[1][0] if len(positional) > 1 else keywords.get("command", (None, None))[0]
        if isinstance(command_value, _Seq):
            command = tuple(self._word(item, None) for item in command_value.items)
        elif isinstance(command_value, Word):
            import shlex

            command = tuple(Word.literal(part) for part in shlex.split(command_value.key)) if command_value.known else (command_value,)
        name = self._word(keywords["name"][0], keywords["name"][1]) if "name" in keywords else None
        remove = "remove" in keywords and isinstance(keywords["remove"][0], Word) and keywords["remove"][0].key == "True"
        volumes = keywords.get("volumes", (None, None))[0]
        if volumes is not None and not (isinstance(volumes, _Seq) and not volumes.items):
            self.operations.append(Opaque(site, "a container with volumes= is not supported yet", True))
            return _Unknown("container")
        entrypoint = self._word(keywords["entrypoint"][0], keywords["entrypoint"][1]) if "entrypoint" in keywords else None
        workdir = self._word(keywords["working_dir"][0], keywords["working_dir"][1]) if "working_dir" in keywords else None
        user = self._word(keywords["user"][0], keywords["user"][1]) if "user" in keywords else None
        captured = None if name is not None else (self.capture_into or "container")
        position = len(self.operations)
        self.operations.append(
            Container(
                site=site, image=image_word, name=name, captured_as=captured, runs=runs, remove=remove, command=command,
                entrypoint=entrypoint, workdir=workdir, user=user, env=(), volumes=(), cwd=self.cwd,
            )
        )  # fmt: skip
        if runs and not ("detach" in keywords and isinstance(keywords["detach"][0], Word) and keywords["detach"][0].key == "True"):
            # containers.run without detach returns the container's output, not the container.
            return _Unknown("output")
        key = name if name is not None else Word(captured, UNKNOWN_MARK + f"container-id {captured} {position}" + UNKNOWN_MARK)
        return _ContainerRef(key, position)

    def _container_method(self, container: _ContainerRef, name: str, node, positional, keywords, frame: _Frame):
        if name == "get_archive" and positional and isinstance(positional[0][0], Word):
            return _Seq((_Tar(_Archive(container.key, positional[0][0], self.position(frame.statement)), (self.position(frame.statement),)), _Unknown("stat")))
        site = self._anchor(node, frame, [node.func] + [arg.value for arg in node.args], "sdk")
        if name == "remove":
            self.operations.append(Remove(site, (container.key,)))
            return None
        if name in ("start", "wait", "stop", "kill", "logs", "commit", "exec_run", "reload", "attrs"):
            self.operations.append(OtherDocker(site, f"container {name}" if name != "start" else "start", (container.key,)))
            return _Unknown(name)
        if name == "put_archive":
            self.operations.append(Opaque(site, "put_archive copies files into a container, which the migrated build cannot do", True))
            return None
        self.operations.append(Opaque(site, f"container.{name}() is not one dmigrate reads", True))
        return _Unknown(name)

    def _extract(self, tar: _Tar, node, positional, keywords, frame: _Frame):
        destination = positional[0][0] if positional else keywords.get("path", (Word.literal("."), None))[0]
        destination_node = positional[0][1] if positional else keywords.get("path", (None, None))[1]
        extra = tuple(position for position in tar.statements if position != self.position(frame.statement))
        site = self._anchor(node, frame, [node.func] + [arg.value for arg in node.args], "sdk", extra=extra)
        if not isinstance(destination, Word):
            self.operations.append(Opaque(site, f"the extraction directory {self.source(destination_node)} cannot be known", True))
            return None
        if not destination.known:
            directory = destination
        else:
            directory = Word(destination.text, destination.key)
        source = tar.archive.path
        self.operations.append(
            Copy(
                site=site,
                container=Word(tar.archive.container.text, tar.archive.container.key),
                source=source,
                destination=Word.literal("-"),
                follow_links=False,
                cwd=self.cwd,
                stream_into=(Word.literal("tar"), Word.literal("-x"), Word.literal("-C"), directory),
            )
        )
        self.notes.append(
            f"{self.path.name}:{site.line}: tarfile extracts with the host's Python; the migrated COPY --from keeps the build image's modes as they are"
        )
        return None

    # -- what was not followed ------------------------------------------------------------------------------
    def _unfollowed_functions(self) -> None:
        cst = self.cst
        reader = self

        class Finder(cst.CSTVisitor):
            def visit_FunctionDef(self, node) -> bool:
                name = node.name.value
                if name in reader.entered:
                    return False
                body = reader.source(node.body)
                if "docker" in body or "subprocess" in body or "os.system" in body:
                    uses = reader.text.count(name)
                    if uses > 1 and ("docker" in body):
                        site = Site(reader.path, reader.position(node)[0], None)
                        reader.operations.append(
                            Opaque(site, f"the function {name} runs docker, and dmigrate cannot tell when it is called", True)
                        )
                return False

        self.module.visit(Finder())


def _prints_output(operation) -> bool:
    """A docker command whose standard output, not sent anywhere else, can carry files: a ``docker run``, or ``docker cp C:SRC -``."""
    if isinstance(operation, Container):
        return operation.runs and operation.stdout is None and operation.stdout_pipe is None
    return isinstance(operation, Copy) and operation.destination.key == "-" and operation.stream_into is None


def _holds_docker(value) -> bool:
    """A value that is, or may be, a docker command: a list of words with ``docker``, a string that says it."""
    if isinstance(value, _Unknown):
        return value.mentions_docker
    if isinstance(value, _Seq):
        return any(isinstance(item, Word) and posixpath.basename(item.key) == "docker" for item in value.items)
    return isinstance(value, Word) and "docker" in value.key


def _restore_unknowns(operation: Operation, unknowns: list[str]) -> Operation:
    """Put back the unknown parts a shell string stood in for with ``${__dmigrate_py_N}``.

    A stand-in the shell took literally (inside single quotes) leaves its whole word unknown.
    """
    import re

    pattern = re.compile(UNKNOWN_MARK + r"\$\{?" + PLACEHOLDER_PREFIX + r"(\d+)\}?" + UNKNOWN_MARK)

    def restore(word: Word) -> Word:
        if PLACEHOLDER_PREFIX not in word.key:
            return word
        key = pattern.sub(lambda m: UNKNOWN_MARK + unknowns[int(m.group(1))] + UNKNOWN_MARK, word.key)
        if PLACEHOLDER_PREFIX in key:
            return Word(word.text, UNKNOWN_MARK + word.text + UNKNOWN_MARK)
        return Word(word.text, key, word.splits)

    return map_words(operation, restore)
