"""Rewrite a shell driver: drop the legacy steps, extend the final build.

Works on byte spans the shell reader recorded, so every line the plan does
not touch stays exactly as it was.  What a removal leaves around it is tidied
as a person editing the script would: the separator and the blank lines only
the removed command needed go with it, and so does a function or a ``trap``
that no longer does anything.  Every decision about the edits was made in
trace (:mod:`migrate.trace.writable`); what cannot be written stops the
emitter with an :class:`~migrate.emit.failure.EmitFailure`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from migrate.emit.failure import EmitFailure
from migrate.emit.shell_blocks import body_of, handler_statements, has_empty_body, idle_compound, inside, statement_node, walk
from migrate.emit.tidy import drop_blank_lines, removal_span
from migrate.errors import MigrationStop
from migrate.plan import AddBuildArgs, DriverEdit, RemoveStep, RetargetBuild
from migrate.read.ops import DriverReading, Word, map_words
from migrate.read.shell import FunctionScope, ShellAnchor, has_syntax_error, parse_bash, read_shell

def emit_shell(driver: DriverReading, edits: tuple[DriverEdit, ...]) -> str:
    return _ShellRewrite(driver, edits).run()


@dataclass
class _Handler:
    """A ``trap`` whose handler was read again in place, so its commands have spans of their own."""

    anchor: ShellAnchor
    inner: tuple[int, int]
    """The handler's code in the driver: the word, or the inside of its quotes."""
    statements: tuple[tuple[int, int], ...]
    settled: bool = False


@dataclass(frozen=True)
class _Item:
    start: int
    end: int
    new: bytes
    statement: bool = False
    """Removes a whole statement: the separator and line it leaves are tidied too."""
    limits: tuple[int, int] | None = None


class _ShellRewrite:
    def __init__(self, driver: DriverReading, edits: tuple[DriverEdit, ...]) -> None:
        self.driver = driver
        self.edits = edits
        self.source = driver.text.encode("utf-8")
        self.tree = parse_bash(self.source)
        self.chains: dict[tuple[int, int], tuple[ShellAnchor, set[int]]] = {}
        self.scopes: list[FunctionScope] = []
        self.idle: set[tuple[int, int]] = set()
        """Functions left doing nothing."""
        self.emptied: dict[tuple[int, int], FunctionScope] = {}
        """Functions that go, definition and all."""
        self.handlers: list[_Handler] = []
        self.limits: dict[tuple[int, int], tuple[int, int]] = {}
        """For a statement of a trap handler's code: that code's span, which bounds its line."""
        self.rewrites: list[_Item] = []
        """What the edits other than removals write."""

    def fail(self, line: int | None, reason: str) -> EmitFailure:
        return EmitFailure.at(self.driver.path, line, reason)

    def run(self) -> str:
        removals: dict[ShellAnchor, list[RemoveStep]] = {}
        for edit in self.edits:
            anchor = edit.site.anchor
            if not isinstance(anchor, ShellAnchor):
                raise self.fail(edit.site.line, "this step is not in the shell driver being rewritten")
            if isinstance(edit, RemoveStep):
                removals.setdefault(anchor, []).append(edit)
            elif isinstance(edit, AddBuildArgs):
                words = [arg.command_words("shell") for arg in edit.args]
                self.rewrites.append(_insert_after_subcommand(self.source, anchor, words, edit.site.line, self.driver))
            elif isinstance(edit, RetargetBuild):
                self.rewrites.extend(_retarget(self.source, anchor, edit, self.driver))
        for anchor, group in removals.items():
            if not self._read_trap(anchor, group):
                self._remove(anchor)
        while self._empty_functions() | self._drop_handlers():
            pass
        text, line_cuts = self._render(self.rewrites + self._removal_items(everywhere=False))
        result = drop_blank_lines(text, line_cuts).encode("latin-1")
        if has_syntax_error(result) or has_empty_body(result):
            # What a removal leaves can still trip the parser (a backslash-newline before the end); `:` keeps every line.
            text, _ = self._render(self.rewrites + self._removal_items(everywhere=True))
            result = text.encode("latin-1")
            if has_syntax_error(result) or has_empty_body(result):
                first = self.edits[0].site if self.edits else None
                raise self.fail(first.line if first else None, "the rewritten driver would not parse")
        return result.decode("utf-8")

    # -- what goes ------------------------------------------------------------------------------
    def _remove(self, anchor: ShellAnchor) -> None:
        self.chains.setdefault(anchor.statement, (anchor, set()))[1].add(anchor.index)
        self.scopes.extend(scope for scope in anchor.scopes if scope not in self.scopes)

    def _gone(self, statement: tuple[int, int]) -> set[int]:
        """The removed elements of a chain, with each `|| true` that only guarded one of them and each test that only decided whether they run."""
        chain, indexes = self.chains[statement]
        gone = set(indexes)
        for index in range(1, len(chain.elements)):
            if index - 1 in gone and chain.operators[index - 1] == "||" and chain.trivial[index]:
                gone.add(index)
        tests = 0
        while tests < len(chain.operators) and chain.operators[tests] == "&&" and tests not in gone and self._is_test(chain.elements[tests]):
            tests += 1
        if tests and all(index in gone for index in range(tests, len(chain.elements))):
            gone.update(range(tests))
        return gone

    def _all_gone(self, statement: tuple[int, int]) -> bool:
        return statement in self.chains and len(self._gone(statement)) == len(self.chains[statement][0].elements)

    def _is_test(self, span: tuple[int, int]) -> bool:
        node = self.tree.root_node.descendant_for_byte_range(*span)
        if node is None or (node.start_byte, node.end_byte) != span:
            return False
        if node.type == "test_command":
            return True
        name = node.child_by_field_name("name") if node.type == "command" else None
        return name is not None and name.text in (b"[", b"test")

    def _empty_functions(self) -> bool:
        """Functions whose every statement goes: every call goes, and so does the definition unless a call nobody read needs it."""
        changed = False
        gone = {statement for statement in self.chains if self._all_gone(statement)}
        for scope in list(self.scopes):
            if scope.definition in self.idle or not scope.statements:
                continue
            if all(statement in gone for statement in scope.statements):
                self.idle.add(scope.definition)
                for other in list(self.scopes):
                    if other.definition == scope.definition:
                        self._remove(other.call)
                if not self._called_elsewhere(scope):
                    self.emptied[scope.definition] = scope
                changed = True
        return changed

    def _called_elsewhere(self, scope: FunctionScope) -> bool:
        """A call the reading did not follow, or a trap that stays and names the function, would run it once it is gone."""
        calls = [other.call.span for other in self.scopes if other.definition == scope.definition]
        name = scope.name.encode("utf-8")
        read_again = {handler.anchor.span for handler in self.handlers}
        removed = {anchor.span for statement, (anchor, _) in self.chains.items() if self._all_gone(statement)}
        for node in walk(self.tree.root_node):
            span = (node.start_byte, node.end_byte)
            command = node.child_by_field_name("name") if node.type == "command" else None
            if command is None or inside(span, scope.definition):
                continue
            if command.text == name and not any(inside(span, call) for call in calls):
                return True
            if command.text == b"trap" and span not in read_again and span not in removed:
                if re.search(rb"(?<![\w.-])" + re.escape(name) + rb"(?![\w.-])", node.text):
                    return True
        return False

    # -- trap handlers --------------------------------------------------------------------------
    def _read_trap(self, anchor: ShellAnchor, edits: list[RemoveStep]) -> bool:
        """Remove only the handler's commands that go, when the handler can be read again with spans of its own.

        The reader puts every step a handler runs on the ``trap`` line; reading
        the script again with the handler's code in the trap's place (same
        offsets) finds the commands those steps come from.  Otherwise the
        whole ``trap`` goes, as before.
        """
        node = self.tree.root_node.descendant_for_byte_range(*anchor.span)
        if node is None or node.type != "command" or (node.start_byte, node.end_byte) != anchor.span:
            return False
        name = node.child_by_field_name("name")
        arguments = [child for child in node.named_children if child.type != "command_name"]
        if name is None or name.text != b"trap" or len(arguments) < 2 or arguments[0].type not in ("word", "raw_string", "string"):
            return False
        handler = arguments[0]
        if handler.type == "word":
            inner = (handler.start_byte, handler.end_byte)
        else:
            inner = (handler.start_byte + 1, handler.end_byte - 1)
        if handler.text.startswith(b"-"):
            return False
        blanked = bytearray(self.source)
        for index in range(node.start_byte, node.end_byte):
            if not inner[0] <= index < inner[1] and blanked[index] != 0x0A:
                blanked[index] = 0x20
        try:
            again = read_shell(self.driver.path, blanked.decode("utf-8"), cwd=str(self.driver.start_dir))
        except (MigrationStop, UnicodeDecodeError):
            return False
        found = [op for op in again.operations if _runs_from(op.site.anchor, inner)]
        steps = [op for op in self.driver.operations if op.site.anchor == anchor]
        if len(found) != len(steps) or any(_meaning(a) != _meaning(b) for a, b in zip(found, steps)):
            return False
        positions = {edit.position for edit in edits}
        every = None in positions
        going = [op.site.anchor for position, op in enumerate(found) if every or position in positions]
        # A command of a function that another call runs, and keeps, cannot go from the function.
        removed_sites = {edit.site for edit in self.edits if isinstance(edit, RemoveStep)}
        kept = {op.site.anchor.span for op in self.driver.operations if isinstance(op.site.anchor, ShellAnchor) and op.site not in removed_sites}
        statements = tuple(handler_statements(parse_bash(bytes(blanked)), inner))
        if not statements or any(command.span in kept for command in going):
            return False
        for command in going:
            self._remove(command)
        for statement in statements:
            self.limits[statement] = inner
        self.handlers.append(_Handler(anchor, inner, statements))
        return True

    def _drop_handlers(self) -> bool:
        """A handler all of whose commands go takes its ``trap`` with it."""
        changed = False
        for handler in self.handlers:
            if handler.settled or not all(self._all_gone(statement) for statement in handler.statements):
                continue
            handler.settled = True
            for statement in [s for s in self.chains if inside(s, handler.inner)]:
                del self.chains[statement]
            self._remove(handler.anchor)
            changed = True
        return changed

    # -- the edits ------------------------------------------------------------------------------
    def _removal_items(self, everywhere: bool) -> list[_Item]:
        """What the removals delete; ``:`` where a body would be left empty, or in place of every removed statement."""
        items = []
        whole = [statement for statement in self.chains if self._all_gone(statement)] + list(self.emptied)
        enclosing = list(self.emptied) if everywhere else list(self.emptied) + self._idle_compounds(whole)
        whole = [statement for statement in whole + enclosing if not any(inside(statement, d) and statement != d for d in enclosing)]
        whole = list(dict.fromkeys(whole))
        placeholders = self._placeholders({statement[0] for statement in whole})
        for statement in whole:
            if everywhere:
                end = self.chains[statement][0].elements[-1][1] if statement in self.chains else statement[1]
                items.append(_Item(statement[0], end, b":"))
            elif statement[0] in placeholders:
                items.append(_Item(statement[0], placeholders[statement[0]], b":"))
            else:
                items.append(_Item(*statement, b"", statement=True, limits=self.limits.get(statement)))
        for statement, (chain, indexes) in self.chains.items():
            gone = self._gone(statement)
            if len(gone) == len(chain.elements) or any(inside(statement, outer) for outer in enclosing):
                continue
            for index in gone:
                neighbours = [chain.operators[i] for i in (index - 1, index) if 0 <= i < len(chain.operators)]
                if any(op != "&&" for op in neighbours):
                    line = _line_of(self.source, chain.elements[index][0])
                    raise self.fail(line, "cannot remove a command from an `||` chain without changing what runs")
            items.extend(_Item(start, end, b"") for start, end in _chain_cuts(chain, gone))
        return items

    def _idle_compounds(self, whole: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Loops, groups and subshells left with nothing to run that do nothing else: they go whole instead of keeping ``:``.

        ``whole`` are the statements that go.  Returns the spans of the
        compound commands that go with them, outer ones included.
        """
        starts = {statement[0] for statement in whole}
        found: list[tuple[int, int]] = []
        changed = True
        while changed:
            changed = False
            for start in sorted(starts):
                node = statement_node(self.tree, start)
                siblings = body_of(node) if node is not None else None
                if not siblings or not all(sibling.start_byte in starts for sibling in siblings):
                    continue
                compound = idle_compound(node.parent, self.source)
                if compound is not None and compound.start_byte not in starts:
                    starts.add(compound.start_byte)
                    found.append((compound.start_byte, compound.end_byte))
                    changed = True
        return found

    def _placeholders(self, starts: set[int]) -> dict[int, int]:
        """Where a body would be left empty, which bash rejects: its last removed statement becomes ``:``.

        ``starts`` are where the removed statements start.  Returns the start
        of each statement that becomes ``:`` and the end of its command (a
        ``;`` after it stays).
        """
        out: dict[int, int] = {}
        for start in starts:
            node = statement_node(self.tree, start)
            siblings = body_of(node) if node is not None else None
            if siblings and all(sibling.start_byte in starts for sibling in siblings):
                out[siblings[-1].start_byte] = siblings[-1].end_byte
        return out

    def _render(self, items: list[_Item]) -> tuple[str, list[int]]:
        """Apply the items from the last to the first, so each one sees the text as the later ones left it.

        The text is the driver's bytes, one character each, so offsets stay
        byte offsets.  Returns it with the offsets where whole lines went.
        """
        text = self.source.decode("latin-1")
        floor, floor_removes = len(text) + 1, False
        line_cuts: list[int] = []
        applied: list[tuple[int, int, int]] = []
        for item in sorted(items, key=lambda item: (item.start, item.end), reverse=True):
            start, end = item.start, item.end
            if end > floor:
                if not (floor_removes and not item.new and start <= floor):
                    raise self.fail(_line_of(self.source, start), "two rewrites of the driver overlap")
                end = floor
            whole = False
            if item.statement:
                low, high = item.limits or (0, len(self.source))
                # Rewrites after this one moved the end of a trap handler's code.
                high += sum(shift for _, stop, shift in applied if stop <= high)
                start, end, whole = removal_span(text, start, end, low, high)
            new = item.new.decode("latin-1")
            shift = len(new) - (end - start)
            line_cuts = [cut + shift if cut >= end else (start if cut > start else cut) for cut in line_cuts]
            applied.append((start, end, shift))
            text = text[:start] + new + text[end:]
            if whole:
                line_cuts.append(start)
            floor, floor_removes = start, not new
        return text, line_cuts


def _chain_cuts(chain: ShellAnchor, gone: set[int]) -> list[tuple[int, int]]:
    """What to cut from a chain so the kept commands stay with the separator before each of them."""
    kept = [index for index in range(len(chain.elements)) if index not in gone]
    elements = chain.elements
    cuts = []
    if kept[0] > 0:
        cuts.append((elements[0][0], elements[kept[0]][0]))
    for previous, index in zip(kept, kept[1:]):
        if index - 1 > previous:
            cuts.append((elements[previous][1], elements[index - 1][1]))
    if kept[-1] < len(elements) - 1:
        cuts.append((elements[kept[-1]][1], elements[-1][1]))
    return cuts


def _meaning(op):
    """A step without its site and spelling: the reader writes an unknown part of a double-quoted handler as a variable of its own."""
    return replace(map_words(op, lambda word: Word("", word.key, word.splits)), site=None)


def _runs_from(anchor, inner: tuple[int, int]) -> bool:
    if not isinstance(anchor, ShellAnchor):
        return False
    return inside(anchor.statement, inner) or any(inside(scope.call.statement, inner) for scope in anchor.scopes)


def _line_of(source: bytes, offset: int) -> int:
    return source.count(b"\n", 0, offset) + 1


# -- the final build ----------------------------------------------------------------------------


def _insert_after_subcommand(source: bytes, anchor: ShellAnchor, words: list[str], line: int, driver: DriverReading) -> _Item:
    position = _subcommand_end(source, anchor, line, driver)
    return _Item(position, position, b"".join(b" " + word.encode("utf-8") for word in words))


def _subcommand_end(source: bytes, anchor: ShellAnchor, line: int, driver) -> int:
    index = build_word_index([source[a:b] for a, b in anchor.words])
    if index is None:
        raise EmitFailure.at(driver.path, line, "cannot find the `build` word of this docker command to extend it")
    return anchor.words[index][1]


def build_word_index(words: list[bytes]) -> int | None:
    """Which of a command's words is docker's ``build`` (``sudo -u build docker build .`` has two)."""
    start = next((index + 1 for index, word in enumerate(words) if word == b"docker" or word.endswith(b"/docker")), 1)
    return next((index for index in range(start, len(words)) if words[index] == b"build"), None)


def _retarget(source: bytes, anchor: ShellAnchor, edit: RetargetBuild, driver: DriverReading) -> list[_Item]:
    dockerfile, target, line = edit.dockerfile, edit.stage, edit.site.line
    words = [source[a:b] for a, b in anchor.words]
    items = []
    first = (build_word_index(words) or 0) + 1
    for index, word in enumerate(words[first:], start=first):
        if word in (b"-f", b"--file") and index + 1 < len(words):
            a, b = anchor.words[index + 1]
            items.append(_Item(a, b, _quote(dockerfile)))
        elif word.startswith((b"-f=", b"--file=")):
            a, b = anchor.words[index]
            items.append(_Item(a, b, word.split(b"=", 1)[0] + b"=" + _quote(dockerfile)))
    position = _subcommand_end(source, anchor, line, driver)
    insert = b" --target " + target.encode("utf-8")
    if not items:
        insert += b" -f " + _quote(dockerfile)
    items.append(_Item(position, position, insert))
    return items


def _quote(text: str) -> bytes:
    safe = all(char.isalnum() or char in "._-/+=:@%" for char in text)
    return (text if safe else "'" + text.replace("'", "'\\''") + "'").encode("utf-8")
