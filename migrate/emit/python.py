"""Rewrite a Python driver with libcst: drop the legacy steps, extend the final build.

Only the statements and calls the plan names change; libcst keeps every other
byte of the file, comments and formatting included.  The transformer that
removes statements and tidies what they leave is
:mod:`migrate.emit.python_rewriter`; the edits of one call are
:mod:`migrate.emit.python_calls`.  The result must compile, no name the
removed statements set may still be read, and a value carried from the
builder's call must mean the same at the final build's; what fails stops the
emitter with an :class:`~migrate.emit.failure.EmitFailure`.
"""

from __future__ import annotations

import ast

from migrate.emit.failure import EmitFailure
from migrate.emit.python_rewriter import Rewriter, drop_emptied_functions, drop_orphans
from migrate.plan import BuildArgValue, DriverEdit, RemoveStep
from migrate.read.dockerfile import BOM
from migrate.read.ops import DriverReading, Site
from migrate.read.python import PythonAnchor


def emit_python(driver: DriverReading, edits: tuple[DriverEdit, ...]) -> str:
    return _PythonEmitter(driver, edits).run()


class _PythonEmitter:
    def __init__(self, driver: DriverReading, edits: tuple[DriverEdit, ...]) -> None:
        self.driver = driver
        self.edits = edits
        # Python and libcst read a source's BOM and drop it; ast.parse of text does not, so it goes here and comes back at the end.
        self.bom = driver.text.startswith(BOM)
        self.text = driver.text.removeprefix(BOM)
        self.tree = ast.parse(self.text)
        self.module_names = _module_names(self.tree)

    def fail(self, line: int | None, reason: str) -> EmitFailure:
        return EmitFailure.at(self.driver.path, line, reason)

    def run(self) -> str:
        import libcst as cst
        from libcst.metadata import MetadataWrapper

        removals: set[tuple] = set()
        call_edits: dict[tuple, list[DriverEdit]] = {}
        for edit in self.edits:
            anchor = edit.site.anchor
            if not isinstance(anchor, PythonAnchor):
                raise self.fail(edit.site.line, "this step is not in the Python driver being rewritten")
            if isinstance(edit, RemoveStep):
                removals.add(anchor.statement)
                removals.update(anchor.extra)
            else:
                call_edits.setdefault(anchor.call, []).append(edit)
        for call in call_edits:
            for statement in removals:
                if statement[:2] <= call[:2] and call[2:] <= statement[2:]:
                    raise self.fail(call[0], "a call that goes away was also to be rewritten")
        module = cst.parse_module(self.text)
        wrapper = MetadataWrapper(module)
        rewriter = Rewriter(self, removals, call_edits)
        new_module = wrapper.visit(rewriter)
        missing = set(removals) - rewriter.found_statements
        if missing:
            raise self.fail(min(missing)[0], "cannot find this statement again in the driver")
        if set(call_edits) - rewriter.found_calls:
            raise self.fail(min(set(call_edits) - rewriter.found_calls)[0], "cannot find this call again in the driver")
        new_module = drop_emptied_functions(new_module, rewriter.emptied_functions)
        new_module = drop_orphans(self.text, new_module)
        code = new_module.code
        try:
            compile(code, str(self.driver.path), "exec")
        except SyntaxError as error:
            raise self.fail(error.lineno, f"the rewritten driver would not compile: {error.msg}") from None
        self._check_names(code, rewriter.removed_names)
        return BOM + code if self.bom else code

    def _check_names(self, code: str, names: set[str]) -> None:
        """No name the removed statements set may still be read: the rewritten driver would stop there."""
        if not names:
            return
        tree = ast.parse(code)
        stored = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
        stored |= {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        stored |= {arg.arg for node in ast.walk(tree) if isinstance(node, ast.arguments) for arg in node.args + node.kwonlyargs}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in names - stored:
                raise self.fail(self._original_line(code, node.lineno), f"{node.id} is still used here, but the statement that set it goes away")

    def _original_line(self, code: str, line: int) -> int | None:
        """Where a line of the rewritten text stood in the driver (the rewrite only removes lines around it)."""
        wanted = code.splitlines()[line - 1]
        original = self.text.splitlines()
        candidates = [index + 1 for index, text in enumerate(original) if text == wanted]
        later = [number for number in candidates if number >= line]
        return later[0] if later else (candidates[0] if candidates else None)

    def readable_at(self, source: str, arg: BuildArgValue, destination: Site) -> str:
        """Python text carried from the builder's call to the final build's: every name it reads must mean the same there."""
        origin = arg.origin.anchor
        if _enclosing(self.tree, origin.call) is _enclosing(self.tree, destination.anchor.call):
            return source
        try:
            names = {node.id for node in ast.walk(ast.parse(f"[{source}]")) if isinstance(node, ast.Name)}
        except SyntaxError:
            names = set()
        function = _enclosing(self.tree, destination.anchor.call)
        local = {node.id for node in ast.walk(function) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)} if function else set()
        for name in sorted(names):
            if name not in self.module_names or name in local:
                raise self.fail(destination.line, f"the build arg {source} reads {name}, which the final build's code cannot see")
        return source


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
