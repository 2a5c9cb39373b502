"""The libcst transformer that removes a Python driver's statements and tidies the blocks they leave.

A block that loses all of its statements is tidied the way a person would:
a ``try`` whose ``finally`` only removed the container goes as a whole (or
leaves its body in its place), a ``with`` that only served the extraction
goes, a function whose body is gone goes together with the statements that
only called it, and anything else gets ``pass``.  Helpers and imports only
the removed steps used go too.  libcst is imported only when a Python
driver is rewritten.
"""

from __future__ import annotations

import ast

from migrate.emit.python_calls import edit_call


class Rewriter:
    """A libcst transformer, built lazily so that importing this module does not import libcst."""

    def __new__(cls, emitter, removals: set, call_edits: dict):
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
                    updated = edit_call(emitter, edit, updated)
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


def drop_emptied_functions(module, names: set[str]):
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


def drop_orphans(original: str, module):
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
