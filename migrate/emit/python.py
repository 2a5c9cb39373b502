"""Rewrite a Python driver with libcst: drop the legacy steps, extend the final build.

Only the statements and calls the plan names change; libcst keeps every other
byte of the file, comments and formatting included.  A block that loses all of
its statements is tidied the way a person would: a ``try`` whose ``finally``
only removed the container goes as a whole (or leaves its body in its place),
a ``with`` that only served the extraction goes, a function whose body is gone
goes together with the statements that only called it, and anything else
gets ``pass``.  The result must compile, and no name the removed statements
set may still be read.
"""

from __future__ import annotations

import ast
import json
import re
import shlex

from migrate.errors import Location, Refusal
from migrate.plan import DriverEdit
from migrate.read.ops import Build, BuildArg, DriverReading
from migrate.read.dockerfile import BOM
from migrate.read.python import PythonAnchor

_SIMPLE_EXPRESSION = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_BUILD_IN_STRING = re.compile(r"\bdocker\s+(?:image\s+|buildx\s+|builder\s+)?build\b")
_RENAMED = re.compile(r"^--build-arg ([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


def emit_python(driver: DriverReading, edits: tuple[DriverEdit, ...]) -> str:
    return _PythonEmitter(driver, edits).run()


class _PythonEmitter:
    def __init__(self, driver: DriverReading, edits: tuple[DriverEdit, ...]) -> None:
        self.driver = driver
        self.edits = edits
        self.origin: PythonAnchor | None = None
        # Python and libcst read a source's BOM and drop it; ast.parse of text does not, so it goes here and comes back at the end.
        self.bom = driver.text.startswith(BOM)
        self.text = driver.text.removeprefix(BOM)
        self.tree = ast.parse(self.text)
        self.module_names = _module_names(self.tree)

    def refuse(self, line: int | None, reason: str) -> Refusal:
        return Refusal(Location(self.driver.path, line), reason)

    def run(self) -> str:
        import libcst as cst
        from libcst.metadata import MetadataWrapper

        removals: set[tuple] = set()
        call_edits: dict[tuple, list[DriverEdit]] = {}
        removed_sites = set()
        for edit in self.edits:
            anchor = edit.site.anchor
            if not isinstance(anchor, PythonAnchor):
                raise self.refuse(edit.site.line, "this step is not in the Python driver being rewritten")
            if edit.action == "remove":
                removed_sites.add(edit.site)
                removals.add(anchor.statement)
                removals.update(anchor.extra)
            else:
                call_edits.setdefault(anchor.call, []).append(edit)
        self._check_whole_statements(removed_sites)
        for call in call_edits:
            for statement in removals:
                if statement[:2] <= call[:2] and call[2:] <= statement[2:]:
                    raise self.refuse(call[0], "a call that goes away was also to be rewritten")
        module = cst.parse_module(self.text)
        wrapper = MetadataWrapper(module)
        rewriter = _Rewriter(self, removals, call_edits)
        new_module = wrapper.visit(rewriter)
        missing = set(removals) - rewriter.found_statements
        if missing:
            raise self.refuse(min(missing)[0], "cannot find this statement again in the driver")
        if set(call_edits) - rewriter.found_calls:
            raise self.refuse(min(set(call_edits) - rewriter.found_calls)[0], "cannot find this call again in the driver")
        new_module = _drop_emptied_functions(new_module, rewriter.emptied_functions)
        new_module = _drop_orphans(self.text, new_module)
        code = new_module.code
        try:
            compile(code, str(self.driver.path), "exec")
        except SyntaxError as error:
            raise self.refuse(error.lineno, f"the rewritten driver would not compile: {error.msg}") from None
        self._check_names(code, rewriter.removed_names)
        return BOM + code if self.bom else code

    def _check_whole_statements(self, removed_sites) -> None:
        """A statement goes only when every step it runs goes (``os.system("docker create ... && docker cp ...")``)."""
        removed = {site.anchor.statement for site in removed_sites}
        for operation in self.driver.operations:
            anchor = operation.site.anchor
            if isinstance(anchor, PythonAnchor) and anchor.statement in removed and operation.site not in removed_sites:
                raise self.refuse(operation.site.line, "this statement runs both a step that goes away and one that stays")

    def _check_names(self, code: str, names: set[str]) -> None:
        if not names:
            return
        tree = ast.parse(code)
        stored = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
        stored |= {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        stored |= {arg.arg for node in ast.walk(tree) if isinstance(node, ast.arguments) for arg in node.args + node.kwonlyargs}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in names - stored:
                raise self.refuse(self._original_line(code, node.lineno), f"{node.id} is still used here, but the statement that set it goes away")

    def _original_line(self, code: str, line: int) -> int | None:
        """Where a line of the rewritten text stood in the driver (the rewrite only removes lines around it)."""
        wanted = code.splitlines()[line - 1]
        original = self.text.splitlines()
        candidates = [index + 1 for index, text in enumerate(original) if text == wanted]
        later = [number for number in candidates if number >= line]
        return later[0] if later else (candidates[0] if candidates else None)

    # -- build args in the driver's own syntax --------------------------------------------------------------
    def arg_sources(self, text: str, line: int) -> tuple[str, str | None, str | None, str, BuildArg]:
        """Where an added build arg comes from: its name, its value as a Python expression, its known value, the source form."""
        for operation in self.driver.operations:
            if not isinstance(operation, Build) or not isinstance(operation.site.anchor, PythonAnchor):
                continue
            form = operation.site.anchor.form
            for arg in operation.build_args:
                if arg.text == text:
                    expression = arg.value.text if arg.value is not None and form != "shell" else None
                    self.origin = operation.site.anchor
                    return arg.name, expression, arg.value.value if arg.value is not None else None, form, arg
        match = _RENAMED.match(text)
        if match:
            for operation in self.driver.operations:
                if not isinstance(operation, Build) or not isinstance(operation.site.anchor, PythonAnchor):
                    continue
                form = operation.site.anchor.form
                for arg in operation.build_args:
                    if arg.value is not None and arg.value.text == match.group(2):
                        expression = arg.value.text if form != "shell" else None
                        self.origin = operation.site.anchor
                        return match.group(1), expression, arg.value.value, form, arg
        raise self.refuse(line, f"cannot tell where the build arg {text} comes from to write it into the Python driver")

    def readable_at(self, source: str, destination: PythonAnchor, line: int) -> str:
        """Python text carried from the builder's call to the final build's: every name it reads must mean the same there."""
        origin = self.origin
        if origin is None or _enclosing(self.tree, origin.call) is _enclosing(self.tree, destination.call):
            return source
        try:
            names = {node.id for node in ast.walk(ast.parse(f"[{source}]")) if isinstance(node, ast.Name)}
        except SyntaxError:
            names = set()
        function = _enclosing(self.tree, destination.call)
        local = {node.id for node in ast.walk(function) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)} if function else set()
        for name in sorted(names):
            if name not in self.module_names or name in local:
                raise self.refuse(line, f"the build arg {source} reads {name}, which the final build's code cannot see")
        return source

    def argv_elements(self, text: str, line: int) -> str:
        name, expression, value, form, arg = self.arg_sources(text, line)
        if form == "argv" and arg.text == text:
            return text
        if arg.value is None:
            return f'"--build-arg", {json.dumps(name)}'
        if expression is None:
            if value is None:
                raise self.refuse(line, f"the build arg {name} has a value dmigrate cannot write into a Python list")
            return f'"--build-arg", {json.dumps(f"{name}={value}")}'
        return f'"--build-arg", {_prefixed(name, expression)}'

    def dict_entry(self, text: str, line: int) -> str:
        name, expression, value, form, arg = self.arg_sources(text, line)
        if form == "sdk" and arg.text == text:
            return text
        if arg.value is None:
            raise self.refuse(line, f"--build-arg {name} takes its value from the environment, which buildargs= cannot say")
        if expression is None or form == "argv":
            if value is None:
                raise self.refuse(line, f"the build arg {name} has a value dmigrate cannot write into buildargs=")
            return f"{json.dumps(name)}: {json.dumps(value)}"
        return f"{json.dumps(name)}: {expression}"

    def shell_words(self, text: str, line: int) -> str:
        name, expression, value, form, arg = self.arg_sources(text, line)
        if form == "shell" and arg.text == text:
            return text
        if arg.value is None:
            return f"--build-arg {shlex.quote(name)}"
        if value is None:
            raise self.refuse(line, f"the build arg {name} has a value dmigrate cannot write into a shell string")
        return f"--build-arg {shlex.quote(f'{name}={value}')}"


def anchor_of(edit: DriverEdit) -> PythonAnchor:
    return edit.site.anchor


def _module_names(tree) -> set[str]:
    """Names the module's top level binds (constants, imports, functions, classes), and the builtins."""
    import builtins

    names: set[str] = set(dir(builtins))
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in statement.names)
        else:
            for node in ast.walk(statement):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
    return names


def _enclosing(tree, position):
    """The innermost function whose text holds ``position`` (libcst's line and column), or None at module level."""
    line, column = position[0], position[1]
    found = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if (node.lineno, node.col_offset) <= (line, column) <= (node.end_lineno, node.end_col_offset):
                if found is None or (node.lineno, node.col_offset) >= (found.lineno, found.col_offset):
                    found = node
    return found


def _prefixed(name: str, expression: str) -> str:
    """``NAME=`` followed by the value of ``expression``, as one Python string expression."""
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        tree = None
    if isinstance(tree, ast.Constant) and isinstance(tree.value, str):
        return json.dumps(f"{name}={tree.value}")
    if isinstance(tree, ast.JoinedStr):
        return ast.unparse(ast.JoinedStr(values=[ast.Constant(f"{name}=")] + tree.values))
    if _SIMPLE_EXPRESSION.match(expression):
        return f'f"{name}={{{expression}}}"'
    return f'"{name}=" + str({expression})'


class _Rewriter:
    """A libcst transformer, built lazily so that importing this module does not import libcst."""

    def __new__(cls, emitter: _PythonEmitter, removals: set, call_edits: dict):
        import libcst as cst
        from libcst.metadata import PositionProvider

        class Rewriter(cst.CSTTransformer):
            METADATA_DEPENDENCIES = (PositionProvider,)

            def __init__(self) -> None:
                super().__init__()
                self.gone = _Gone()
                self.elifs: set[int] = set()
                self.found_statements: set = set()
                self.found_calls: set = set()
                self.removed_names: set[str] = set()
                self.emptied_functions: set[str] = set()

            def position(self, node) -> tuple:
                where = self.get_metadata(PositionProvider, node)
                return (where.start.line, where.start.column, where.end.line, where.end.column)

            # -- statements ------------------------------------------------------------------------
            def leave_SimpleStatementLine(self, original, updated):
                kept = []
                for small_original, small_updated in zip(original.body, updated.body):
                    position = self.position(small_original)
                    if position in removals:
                        self.found_statements.add(position)
                        self._note_names(small_original)
                        continue
                    kept.append(small_updated)
                if not kept:
                    return self.gone.mark(original)
                if len(kept) != len(updated.body):
                    last = kept[-1]
                    if isinstance(last.semicolon, cst.Semicolon):
                        kept[-1] = last.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
                    return updated.with_changes(body=kept)
                return updated

            def leave_SimpleStatementSuite(self, original, updated):
                """``finally: box.remove()``: the statements after the colon; emptied, the compound around it decides."""
                kept = []
                for small_original, small_updated in zip(original.body, updated.body):
                    position = self.position(small_original)
                    if position in removals:
                        self.found_statements.add(position)
                        self._note_names(small_original)
                        continue
                    kept.append(small_updated)
                if len(kept) == len(updated.body):
                    return updated
                if kept and isinstance(kept[-1].semicolon, cst.Semicolon):
                    kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
                return updated.with_changes(body=kept)

            def _note_names(self, node) -> None:
                if isinstance(node, cst.Assign):
                    for target in node.targets:
                        for name in _target_names(target.target):
                            self.removed_names.add(name)
                elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
                    self.removed_names.update(_target_names(node.target))

            def _compound(self, original, updated):
                position = self.position(original)
                if position in removals:
                    self.found_statements.add(position)
                    return self.drop(original)
                return None

            def drop(self, original):
                if id(original) in self.elifs:
                    return cst.RemoveFromParent()
                return self.gone.mark(original)

            def leave_IndentedBlock(self, original, updated):
                body = self.gone.compact(updated.body)
                return updated.with_changes(body=body) if len(body) != len(updated.body) else updated

            def leave_Module(self, original, updated):
                body = self.gone.compact(updated.body)
                return updated.with_changes(body=body) if len(body) != len(updated.body) else updated

            def visit_If(self, node) -> None:
                if isinstance(node.orelse, cst.If):
                    self.elifs.add(id(node.orelse))

            def leave_If(self, original, updated):
                removed = self._compound(original, updated)
                if removed is not None:
                    return removed
                if not updated.body.body:
                    if updated.orelse is None:
                        return self.drop(original)
                    updated = updated.with_changes(body=_with_pass(updated.body))
                return updated

            def leave_Else(self, original, updated):
                if not updated.body.body:
                    return cst.RemoveFromParent()
                return updated

            def leave_For(self, original, updated):
                removed = self._compound(original, updated)
                if removed is not None:
                    return removed
                if not updated.body.body:
                    return self.drop(original) if updated.orelse is None else updated.with_changes(body=_with_pass(updated.body))
                return updated

            def leave_While(self, original, updated):
                return self.leave_For(original, updated)

            def leave_With(self, original, updated):
                removed = self._compound(original, updated)
                if removed is not None:
                    return removed
                if not updated.body.body:
                    return self.drop(original)
                return updated

            def leave_ExceptHandler(self, original, updated):
                if not updated.body.body:
                    return updated.with_changes(body=_with_pass(updated.body))
                return updated

            def leave_Try(self, original, updated):
                removed = self._compound(original, updated)
                if removed is not None:
                    return removed
                body = _as_lines(updated.body)
                finalbody = _as_lines(updated.finalbody.body) if updated.finalbody is not None else None
                orelse = _as_lines(updated.orelse.body) if updated.orelse is not None else []
                lost_finally = finalbody is not None and not finalbody and original.finalbody is not None and original.finalbody.body.body
                if not body:
                    # Nothing left can raise, so the handlers are dead; what else and finally hold still runs.
                    rest = orelse + (finalbody or [])
                    return cst.FlattenSentinel(rest) if rest else self.drop(original)
                if lost_finally:
                    if not updated.handlers and updated.orelse is None:
                        return cst.FlattenSentinel(body)
                    return updated.with_changes(finalbody=None)
                return updated

            def leave_FunctionDef(self, original, updated):
                removed = self._compound(original, updated)
                if removed is not None:
                    return removed
                if not updated.body.body and original.body.body:
                    self.emptied_functions.add(updated.name.value)
                    return updated.with_changes(body=_with_pass(updated.body))
                return updated

            # -- calls -------------------------------------------------------------------------------
            def leave_Call(self, original, updated):
                position = self.position(original)
                if position not in call_edits:
                    return updated
                self.found_calls.add(position)
                for edit in call_edits[position]:
                    updated = _edit_call(emitter, edit, updated)
                return updated

        return Rewriter()


class _Gone:
    """Statements removed by a rewrite: a stand-in keeps their place until their block is tidied.

    The blank lines before a removed statement are handed to the statement
    after it, so that removing a step does not glue two paragraphs together.
    """

    def __init__(self) -> None:
        self.nodes: list = []

    def mark(self, original):
        import libcst as cst

        stand_in = cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=original.leading_lines)
        self.nodes.append(stand_in)
        return stand_in

    def is_gone(self, node) -> bool:
        return any(node is gone for gone in self.nodes)

    def compact(self, body) -> list:
        out = []
        carry = 0
        for statement in body:
            if self.is_gone(statement):
                carry = max(carry, _blank_lines(statement.leading_lines))
                continue
            if carry:
                statement = _with_blank_lines(statement, carry)
                carry = 0
            out.append(statement)
        return out


def _blank_lines(lines) -> int:
    count = 0
    for line in lines:
        if line.comment is not None:
            break
        count += 1
    return count


def _with_blank_lines(statement, count: int):
    import libcst as cst

    have = _blank_lines(statement.leading_lines)
    if have >= count:
        return statement
    return statement.with_changes(leading_lines=[cst.EmptyLine()] * (count - have) + list(statement.leading_lines))


def _with_pass(block):
    import libcst as cst

    if isinstance(block, cst.SimpleStatementSuite):
        return block.with_changes(body=[cst.Pass()])
    return block.with_changes(body=[cst.SimpleStatementLine(body=[cst.Pass()])])


def _as_lines(block) -> list:
    """A block's statements as lines of their own: a one-line suite (``finally: x()``) holds small statements, which cannot stand alone."""
    import libcst as cst

    if isinstance(block, cst.SimpleStatementSuite):
        if not block.body:
            return []
        body = list(block.body)
        if isinstance(body[-1].semicolon, cst.Semicolon):
            body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return [cst.SimpleStatementLine(body=body)]
    return list(block.body)


def _target_names(target) -> list[str]:
    import libcst as cst

    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _target_names(element.value)]
    return []


def _drop_emptied_functions(module, names: set[str]):
    """A function whose body went goes too, with the statements that did nothing but call it."""
    if not names:
        return module
    removable = set()
    for name in names:
        calls_only = _only_called_as_statements(module, name)
        if calls_only:
            removable.add(name)
    if not removable:
        return module

    gone = _Gone()

    class Dropper(_tidying_transformer(gone)):
        def leave_FunctionDef(self, original, updated):
            if updated.name.value in removable:
                return gone.mark(original)
            return updated

        def leave_SimpleStatementLine(self, original, updated):
            kept = [small for small in updated.body if not _is_bare_call(small, removable)]
            if not kept:
                return gone.mark(original)
            return updated.with_changes(body=kept) if len(kept) != len(updated.body) else updated

        def leave_If(self, original, updated):
            if not updated.body.body:
                return gone.mark(original) if updated.orelse is None else updated.with_changes(body=_with_pass(updated.body))
            return updated

    return module.visit(Dropper())


def _tidying_transformer(gone: _Gone):
    """A transformer base whose blocks drop the stand-ins of removed statements."""
    import libcst as cst

    class Tidying(cst.CSTTransformer):
        def leave_IndentedBlock(self, original, updated):
            body = gone.compact(updated.body)
            return updated.with_changes(body=body) if len(body) != len(updated.body) else updated

        def leave_Module(self, original, updated):
            body = gone.compact(updated.body)
            return updated.with_changes(body=body) if len(body) != len(updated.body) else updated

    return Tidying


def _references(code: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            counts[node.id] = counts.get(node.id, 0) + 1
    return counts


def _drop_orphans(original: str, module):
    """Top-level helpers and imports that only the removed steps used go with them."""
    import libcst as cst

    before = _references(original)
    for _ in range(5):
        after = _references(module.code)
        orphans = {name for name, count in before.items() if count and not after.get(name)}
        if not orphans:
            return module

        gone = _Gone()

        class Dropper(_tidying_transformer(gone)):
            changed = False

            def visit_FunctionDef(self, node) -> bool:
                return False

            def visit_ClassDef(self, node) -> bool:
                return False

            def leave_FunctionDef(self, original_node, updated):
                if updated.name.value in orphans:
                    Dropper.changed = True
                    return gone.mark(original_node)
                return updated

            def leave_SimpleStatementLine(self, original_node, updated):
                if not updated.body:
                    return gone.mark(original_node)
                return updated

            def leave_Import(self, original_node, updated):
                kept = [alias for alias in updated.names if _bound_name(alias) not in orphans]
                return self._aliases(updated, kept)

            def leave_ImportFrom(self, original_node, updated):
                if isinstance(updated.names, cst.ImportStar):
                    return updated
                kept = [alias for alias in updated.names if _bound_name(alias) not in orphans]
                return self._aliases(updated, kept)

            def _aliases(self, updated, kept):
                if len(kept) == len(updated.names):
                    return updated
                Dropper.changed = True
                if not kept:
                    return cst.RemoveFromParent()
                kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                return updated.with_changes(names=kept)

        module = module.visit(Dropper())
        if not Dropper.changed:
            return module
    return module


def _bound_name(alias) -> str:
    import libcst as cst

    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    name = alias.name
    while isinstance(name, cst.Attribute):
        name = name.value
    return name.value


def _is_bare_call(small, names: set[str]) -> bool:
    import libcst as cst

    return (
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and isinstance(small.value.func, cst.Name)
        and small.value.func.value in names
        and not small.value.args
    )


def _only_called_as_statements(module, name: str) -> bool:
    tree = ast.parse(module.code)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name:
            parent_ok = False
            for statement in ast.walk(tree):
                if (
                    isinstance(statement, ast.Expr)
                    and isinstance(statement.value, ast.Call)
                    and statement.value.func is node
                    and not statement.value.args
                    and not statement.value.keywords
                ):
                    parent_ok = True
                    break
            if not parent_ok:
                return False
    return True


# -- editing one call ------------------------------------------------------------------------------------


def _edit_call(emitter: _PythonEmitter, edit: DriverEdit, call):
    anchor: PythonAnchor = edit.site.anchor
    line = edit.site.line
    if anchor.form == "sdk":
        if not anchor.direct:
            raise emitter.refuse(line, "this docker SDK build is made inside a helper; dmigrate cannot pass it new arguments")
        return _edit_sdk_build(emitter, edit, call)
    if anchor.form == "shell":
        return _edit_shell_string(emitter, edit, call)
    return _edit_argv(emitter, edit, call)


def _literal(node) -> str | None:
    import libcst as cst

    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _elements_holder(emitter: _PythonEmitter, edit: DriverEdit, call):
    """The node whose items are the command's words, and how to put items back: the call's args, or a list."""
    import libcst as cst

    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if any(_literal(arg.value) == "build" for arg in positional):
        return "args", list(call.args)
    first = call.args[0].value if call.args else None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "args":
            first = arg.value
    if isinstance(first, (cst.List, cst.Tuple)):
        return "list", list(first.elements)
    raise emitter.refuse(edit.site.line, "the docker build's words are not written out at this call; dmigrate cannot add to them")


def _put_back(call, kind: str, items):
    if kind == "args":
        return call.with_changes(args=items)
    index = 0
    for position, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "args":
            index = position
    holder = call.args[index].value
    return call.with_changes(args=[*call.args[:index], call.args[index].with_changes(value=holder.with_changes(elements=items)), *call.args[index + 1 :]])


def _new_items(kind: str, source: str, after=None):
    """Items to insert after ``after``, separated the way ``after`` is from the item that follows it."""
    import libcst as cst

    parsed = cst.parse_expression(f"f({source})" if kind == "args" else f"[{source}]")
    items = list(parsed.args if kind == "args" else parsed.elements)
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if after is not None and isinstance(after.comma, cst.Comma):
        comma = after.comma
    return [item.with_changes(comma=comma) for item in items]


def _edit_argv(emitter: _PythonEmitter, edit: DriverEdit, call):
    kind, items = _elements_holder(emitter, edit, call)
    values = [_literal(item.value) for item in items]
    if "build" not in values:
        raise emitter.refuse(edit.site.line, "cannot find the `build` word of this docker command to extend it")
    after = values.index("build") + 1
    if edit.action == "add-build-args":
        source = ", ".join(emitter.readable_at(emitter.argv_elements(text, edit.site.line), anchor_of(edit), edit.site.line) for text in edit.texts)
        new = _new_items(kind, source, items[after - 1])
        return _put_back(call, kind, items[:after] + new + items[after:])
    dockerfile, target = edit.texts
    replaced = False
    for index, value in enumerate(values):
        if value in ("-f", "--file") and index + 1 < len(items):
            items[index + 1] = items[index + 1].with_changes(value=_string(dockerfile))
            replaced = True
        elif value is not None and value.startswith(("-f=", "--file=")):
            items[index] = items[index].with_changes(value=_string(value.split("=", 1)[0] + "=" + dockerfile))
            replaced = True
    source = f'"--target", {json.dumps(target)}' + ("" if replaced else f', "-f", {json.dumps(dockerfile)}')
    return _put_back(call, kind, items[:after] + _new_items(kind, source, items[after - 1]) + items[after:])


def _string(text: str):
    import libcst as cst

    return cst.SimpleString(json.dumps(text))


def _edit_sdk_build(emitter: _PythonEmitter, edit: DriverEdit, call):
    import libcst as cst

    line = edit.site.line
    args = list(call.args)
    keywords = {arg.keyword.value: index for index, arg in enumerate(args) if arg.keyword is not None}
    if edit.action == "add-build-args":
        entries = [emitter.readable_at(emitter.dict_entry(text, line), anchor_of(edit), line) for text in edit.texts]
        if "buildargs" in keywords:
            index = keywords["buildargs"]
            current = args[index].value
            if not isinstance(current, cst.Dict):
                raise emitter.refuse(line, "buildargs= is not written as a dict here; dmigrate cannot add to it")
            parsed = cst.parse_expression("{" + ", ".join(entries) + "}")
            elements = list(current.elements)
            if elements:
                last = elements[-1]
                if not isinstance(last.comma, cst.Comma):
                    elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            new = [element.with_changes(comma=cst.MaybeSentinel.DEFAULT) for element in parsed.elements]
            args[index] = args[index].with_changes(value=current.with_changes(elements=elements + new))
        else:
            value = cst.parse_expression("{" + ", ".join(entries) + "}")
            args = _add_keyword(args, "buildargs", value)
        return call.with_changes(args=args)
    dockerfile, target = edit.texts
    build = next((op for op in emitter.driver.operations if isinstance(op, Build) and op.site == edit.site), None)
    if build is None or not build.cwd.known or not build.context.known:
        raise emitter.refuse(line, "cannot tell where this SDK build's context is to point it at the merged Dockerfile")
    # The SDK reads dockerfile= inside the context; the plan gives it from the working directory.
    import posixpath

    context = posixpath.normpath(posixpath.join(build.cwd.key, build.context.key))
    dockerfile = posixpath.relpath(posixpath.normpath(posixpath.join(build.cwd.key, dockerfile)), context)
    for name, value in (("dockerfile", _string(dockerfile)), ("target", _string(target))):
        if name in keywords:
            args[keywords[name]] = args[keywords[name]].with_changes(value=value)
        else:
            args = _add_keyword(args, name, value)
    return call.with_changes(args=args)


def _add_keyword(args, name: str, value):
    import libcst as cst

    new = cst.Arg(value=value, keyword=cst.Name(name), equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
    if args:
        last = args[-1]
        if isinstance(last.comma, cst.Comma):
            return [*args, new.with_changes(comma=last.comma)]
        return [*args[:-1], last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), new]
    return [new]


def _edit_shell_string(emitter: _PythonEmitter, edit: DriverEdit, call):
    import libcst as cst

    line = edit.site.line
    if edit.action != "add-build-args":
        raise emitter.refuse(line, "the build image is still used; dmigrate cannot yet retarget a build written as a shell string")
    words = " " + " ".join(emitter.shell_words(text, line) for text in edit.texts)
    node = call.args[0].value if call.args else None
    if isinstance(node, cst.SimpleString):
        texts = [node.value]
    elif isinstance(node, cst.FormattedString):
        texts = [part.value for part in node.parts if isinstance(part, cst.FormattedStringText)]
    else:
        texts = []
    found = sum(len(_BUILD_IN_STRING.findall(text)) for text in texts)
    if found != 1:
        what = "more than one `docker build`" if found else "no `docker build` dmigrate can find"
        raise emitter.refuse(line, f"this string holds {what}; dmigrate cannot tell where to add the build args")
    literal = node.value if isinstance(node, cst.SimpleString) else node.start + node.end
    escaped = _escape_for(literal, words)
    if escaped is None:
        raise emitter.refuse(line, "the build args would need quotes or backslashes this raw string cannot hold")
    if isinstance(node, cst.SimpleString):
        match = _BUILD_IN_STRING.search(node.value)
        new = cst.SimpleString(node.value[: match.end()] + escaped + node.value[match.end() :])
    else:
        parts = list(node.parts)
        for index, part in enumerate(parts):
            match = _BUILD_IN_STRING.search(part.value) if isinstance(part, cst.FormattedStringText) else None
            if match:
                escaped = escaped.replace("{", "{{").replace("}", "}}")
                parts[index] = part.with_changes(value=part.value[: match.end()] + escaped + part.value[match.end() :])
        new = node.with_changes(parts=parts)
    return call.with_changes(args=[call.args[0].with_changes(value=new), *call.args[1:]])


def _escape_for(literal: str, text: str) -> str | None:
    """``text`` written inside the Python string literal ``literal`` so that it evaluates to itself; None when it cannot be."""
    prefix = literal[: len(literal) - len(literal.lstrip("rRbBuUfF"))].lower()
    body = literal[len(prefix) :]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    if "r" in prefix:
        return None if "\\" in text or quote[0] in text else text
    return text.replace("\\", "\\\\").replace(quote[0], "\\" + quote[0])
