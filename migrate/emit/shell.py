"""Rewrite a shell driver: drop the legacy steps, extend the final build.

Works on byte spans the shell reader recorded, so every line the plan does
not touch stays exactly as it was.  What a removal leaves around it is tidied
as a person editing the script would: the separator and the blank lines only
the removed command needed go with it, and so does a function or a ``trap``
that no longer does anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from migrate.errors import Location, MigrationStop, Refusal
from migrate.plan import DriverEdit
from migrate.read.ops import DriverReading, Word, map_words
from migrate.read.shell import FunctionScope, ShellAnchor, _parser, _statements, has_syntax_error, parse_bash, read_shell

# Nodes whose statements make up a body; bash rejects most of them empty.
_BODIES = ("compound_statement", "do_group", "if_statement", "elif_clause", "else_clause", "subshell")
_OPENS = re.compile(r"(?:[{(]|(?<![\w-])(?:then|do|else|in))\s*(?:#.*)?$")
_CLOSES = re.compile(r"^\s*(?:[})]|;;|(?:fi|done|esac|else|elif)(?![\w-]))")


_LINE_CONTINUATION = re.compile(r"\\\r?\n")


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

    def refuse(self, line: int | None, reason: str) -> Refusal:
        return Refusal(Location(self.driver.path, line), reason)

    def run(self) -> str:
        removals: dict[ShellAnchor, list[DriverEdit]] = {}
        for edit in self.edits:
            anchor = edit.site.anchor
            if not isinstance(anchor, ShellAnchor):
                raise self.refuse(edit.site.line, "this step is not in the shell driver being rewritten")
            if edit.action == "remove":
                removals.setdefault(anchor, []).append(edit)
            elif edit.action == "add-build-args":
                self.rewrites.append(_insert_after_subcommand(self.source, anchor, edit.texts, edit.site.line, self.driver))
            elif edit.action == "retarget":
                self.rewrites.extend(_retarget(self.source, anchor, edit.texts, edit.site.line, self.driver))
        for anchor, group in removals.items():
            if not self._read_trap(anchor, group):
                self._remove(anchor)
        while self._empty_functions() | self._drop_handlers():
            pass
        text, line_cuts = self._render(self.rewrites + self._removal_items(everywhere=False))
        result = drop_blank_lines(text, line_cuts).encode("latin-1")
        if has_syntax_error(result) or _has_empty_body(result):
            # What a removal leaves can still trip the parser (a backslash-newline before the end); `:` keeps every line.
            text, _ = self._render(self.rewrites + self._removal_items(everywhere=True))
            result = text.encode("latin-1")
            if has_syntax_error(result) or _has_empty_body(result):
                first = self.edits[0].site if self.edits else None
                raise self.refuse(first.line if first else None, "the rewritten driver would not parse")
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
        for node in _walk(self.tree.root_node):
            span = (node.start_byte, node.end_byte)
            command = node.child_by_field_name("name") if node.type == "command" else None
            if command is None or _inside(span, scope.definition):
                continue
            if command.text == name and not any(_inside(span, call) for call in calls):
                return True
            if command.text == b"trap" and span not in read_again and span not in removed:
                if re.search(rb"(?<![\w.-])" + re.escape(name) + rb"(?![\w.-])", node.text):
                    return True
        return False

    # -- trap handlers --------------------------------------------------------------------------
    def _read_trap(self, anchor: ShellAnchor, edits: list[DriverEdit]) -> bool:
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
        positions = {int(text) for edit in edits for text in edit.texts}
        every = any(not edit.texts for edit in edits)
        going = [op.site.anchor for position, op in enumerate(found) if every or position in positions]
        # A command of a function that another call runs, and keeps, cannot go from the function.
        removed_sites = {edit.site for edit in self.edits if edit.action == "remove"}
        kept = {op.site.anchor.span for op in self.driver.operations if isinstance(op.site.anchor, ShellAnchor) and op.site not in removed_sites}
        statements = tuple(_handler_statements(_parser().parse(blanked), inner))
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
            for statement in [s for s in self.chains if _inside(s, handler.inner)]:
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
        whole = [statement for statement in whole + enclosing if not any(_inside(statement, d) and statement != d for d in enclosing)]
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
            if len(gone) == len(chain.elements) or any(_inside(statement, outer) for outer in enclosing):
                continue
            for index in gone:
                neighbours = [chain.operators[i] for i in (index - 1, index) if 0 <= i < len(chain.operators)]
                if any(op != "&&" for op in neighbours):
                    line = _line_of(self.source, chain.elements[index][0])
                    raise self.refuse(line, "cannot remove a command from an `||` chain without changing what runs")
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
                node = _statement_node(self.tree, start)
                siblings = _body(node) if node is not None else None
                if not siblings or not all(sibling.start_byte in starts for sibling in siblings):
                    continue
                compound = _idle_compound(node.parent, self.source)
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
            node = _statement_node(self.tree, start)
            siblings = _body(node) if node is not None else None
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
                    raise self.refuse(_line_of(self.source, start), "two rewrites of the driver overlap")
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
    return _inside(anchor.statement, inner) or any(_inside(scope.call.statement, inner) for scope in anchor.scopes)


def _handler_statements(tree, inner: tuple[int, int]):
    """The statements of a trap handler's code, in the block the ``trap`` stood in."""
    node = tree.root_node.descendant_for_byte_range(*inner)
    while node is not None and not any(_inside((c.start_byte, c.end_byte), inner) for c in node.named_children):
        node = node.parent
    while node is not None and node.type not in ("program", *_BODIES, "case_item"):
        node = node.parent
    if node is None:
        return
    for child, span in _statements(node.children):
        if _inside((child.start_byte, child.end_byte), inner):
            yield span


def _statement_node(tree, start: int):
    node = tree.root_node.descendant_for_byte_range(start, start + 1)
    while node is not None and node.parent is not None and node.parent.type not in ("program", *_BODIES, "case_item"):
        node = node.parent
    return node if node is not None and node.start_byte == start and node.parent is not None else None


def _body(node) -> list | None:
    """The statements of the body ``node`` stands in, when that body must not be empty."""
    siblings = _statements_of(node.parent)
    return siblings if siblings and any(sibling.start_byte == node.start_byte for sibling in siblings) else None


def _statements_of(node) -> list | None:
    """The statements of a body bash rejects empty (an ``if``'s: of its own branch); None for other nodes."""
    if node.type in ("if_statement", "elif_clause"):
        body, after_then = [], False
        for child in node.children:
            if child.type == "then":
                after_then = True
            elif child.type in ("elif_clause", "else_clause", "fi"):
                break
            elif after_then and child.is_named and child.type != "comment":
                body.append(child)
        return body
    if node.type not in ("compound_statement", "do_group", "else_clause", "subshell"):
        return None
    if node.type == "compound_statement" and node.children and node.children[0].type == "((":
        return None
    return [child for child in node.named_children if child.type != "comment"]


def _idle_compound(body, source: bytes):
    """The statement of the loop, group or subshell whose body ``body`` is, when it does nothing but run that body.

    A ``for`` over words that run no command and whose variable nothing else
    reads, a ``{ }`` group or a ``( )`` subshell, with redirections only to
    ``/dev/null`` or between descriptors.  A ``while`` runs its condition and
    an ``if`` its test, so they keep ``:``; so does a compound that is part of
    a pipeline or an ``&&`` list, or a function's body.
    """
    owner = body
    if body.type == "do_group":
        owner = body.parent
        if owner is None or owner.type != "for_statement" or owner.children[0].type != "for":
            return None
        variable = owner.child_by_field_name("variable")
        if variable is None or not all(_idle_words(value, source) for value in owner.children_by_field_name("value")):
            return None
        if _read_outside(variable.text, (owner.start_byte, owner.end_byte), source):
            return None
    elif body.type not in ("compound_statement", "subshell") or body.children[0].type == "((":
        return None
    statement = owner
    if owner.parent is not None and owner.parent.type == "redirected_statement":
        statement = owner.parent
        if not all(_idle_redirect(redirect) for redirect in statement.children_by_field_name("redirect")):
            return None
    if statement.parent is None or statement.parent.type not in ("program", *_BODIES, "case_item"):
        return None
    return statement


_NOUNSET = re.compile(rb"(?:^|[\s;&|(])set\s+(?:(?:[-+][A-Za-z]+|[-+]o\s+\w+)\s+)*(?:-[A-Za-z]*u|-o\s+nounset)|^#!.*\s-[A-Za-z]*u", re.M)
_ASSIGNS_OR_FAILS = re.compile(rb"^\$\{!?[A-Za-z_0-9]\w*(?:\[[^]]*\])?:?[=?]")
"""``${NAME:=word}`` assigns, ``${NAME:?word}`` may stop the script."""
_EXPANDED_NAME = re.compile(rb"^\$\{?[#!]?([A-Za-z_]\w*|[0-9@*#?$!-])")
_DEFAULTED = re.compile(rb"^\$\{[A-Za-z_]\w*(?:\[[^]]*\])?:?[-+]")


def _idle_words(node, source: bytes) -> bool:
    """Whether expanding a ``for`` loop's word runs nothing and changes nothing, so skipping it changes nothing."""
    for part in _walk(node):
        if part.type in ("command_substitution", "process_substitution", "arithmetic_expansion"):
            return False
        if part.type == "expansion" and _ASSIGNS_OR_FAILS.match(part.text):
            return False
        if part.type in ("simple_expansion", "expansion") and not _defined_here(part, source):
            return False
    return True


def _defined_here(expansion, source: bytes) -> bool:
    """Under ``set -u`` an unset variable stops the script: one the script never assigns may be unset."""
    if not _NOUNSET.search(source) or _DEFAULTED.match(expansion.text):
        return True
    named = _EXPANDED_NAME.match(expansion.text)
    if named is None or named.group(1) in (b"@", b"*", b"#", b"?", b"$", b"!", b"-", b"0"):
        return named is not None
    name = named.group(1)
    return re.search(rb"(?:^|[\s;&|(])(?:(?:export|readonly|local|declare|typeset)\s+(?:-\w+\s+)*)?" + re.escape(name) + rb"\+?=", source, re.M) is not None


def _read_outside(name: bytes, span: tuple[int, int], source: bytes) -> bool:
    """Whether the script may use the variable ``name`` outside ``span``: the loop leaves its last word in it.

    Any word ``name`` counts (``$b``, ``(( b > 1 ))``, ``export b``), not only an expansion.
    """
    mention = re.compile(rb"(?<![\w./-])" + re.escape(name) + rb"(?![\w./-])")
    return any(not span[0] <= match.start() < span[1] for match in mention.finditer(source))


def _idle_redirect(node) -> bool:
    """A redirection that creates, reads or truncates no file: to ``/dev/null``, or a descriptor copied or closed."""
    if node.type != "file_redirect":
        return False
    destination = node.child_by_field_name("destination")
    if destination is None:
        return False
    if destination.text == b"/dev/null":
        return True
    operator = next((child.type for child in node.children if not child.is_named), "")
    return operator in (">&", "<&") and (destination.text.isdigit() or destination.text == b"-")


def _has_empty_body(text: bytes) -> bool:
    """An empty function, loop or ``if`` body: tree-sitter accepts it, bash does not."""
    return any(_statements_of(node) == [] for node in _walk(parse_bash(text).root_node))


def _opens(line: str) -> bool:
    return not line.lstrip().startswith("#") and _OPENS.search(line.rstrip()) is not None


def _walk(node):
    """``node`` and all below it, in source order (a tree cursor makes no list of children at every node)."""
    cursor = node.walk()
    while True:
        yield cursor.node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def _inside(span: tuple[int, int], outer: tuple[int, int]) -> bool:
    return outer[0] <= span[0] and span[1] <= outer[1]


def _line_of(source: bytes, offset: int) -> int:
    return source.count(b"\n", 0, offset) + 1


# -- tidying around a removed statement (shared with the Makefile emitter) ------------------------------


def removal_span(text: str, start: int, end: int, low: int, high: int, prefix: str = "") -> tuple[int, int, bool]:
    """What to delete so that removing the statement ``text[start:end]`` leaves what a person would have written.

    Works on the command line the statement stands in (physical lines joined
    by backslash-newlines), within ``low:high``.  ``prefix`` holds characters
    that may open a line without being code (a recipe's ``@-+``).  The flag
    says the whole line went, line break included.
    """
    first = _line_start(text, start, low)
    last = _line_end(text, end, high)
    before, after = text[first:start], text[end:last]
    blank_before = _joined(before).strip().lstrip(prefix).strip() == ""
    ends = _joined(after).strip() == "" or _joined(after).strip().startswith("#")
    if blank_before and ends:
        # The statement was the line (with any comment on it).
        if last < high and text.startswith("\n", last):
            return first, last + 1, True
        return first, last, False
    if ends:
        # Last on its line: the `;` before it only separated it from what stays.
        stop = last if _joined(after).strip() == "" else end
        return _back_over_separator(text, start, first), stop, False
    if blank_before:
        # First on its line: what follows takes its place and indentation.
        return start, _skip_blanks(text, end, high, continuations=True), False
    line_start = max(text.rfind("\n", 0, start) + 1, first)
    line_end = text.find("\n", end, high)
    if line_end != -1 and text[line_start:start].strip() == "" and text[end:line_end].strip() == "\\" and _is_continuation(text, line_end):
        # Alone on a continued line in the middle of a command line: the whole line goes.
        return line_start, line_end + 1, False
    return start, _skip_blanks(text, end, high if line_end == -1 else line_end, continuations=False), False


def _joined(text: str) -> str:
    return _LINE_CONTINUATION.sub("", text)


def _is_continuation(text: str, newline: int) -> bool:
    """Whether the line break at ``newline`` is a backslash-newline, which joins two lines into one command line."""
    index = newline - 1
    if index >= 0 and text[index] == "\r":
        index -= 1
    backslashes = 0
    while index - backslashes >= 0 and text[index - backslashes] == "\\":
        backslashes += 1
    if backslashes % 2 == 0:
        return False
    line_start = text.rfind("\n", 0, newline) + 1
    return not text[line_start:newline].lstrip().startswith("#")


def _line_start(text: str, position: int, low: int) -> int:
    while True:
        newline = text.rfind("\n", low, position)
        if newline == -1:
            return low
        if not _is_continuation(text, newline):
            return newline + 1
        position = newline


def _line_end(text: str, position: int, high: int) -> int:
    while True:
        newline = text.find("\n", position, high)
        if newline == -1:
            return high
        if not _is_continuation(text, newline):
            return newline
        position = newline + 1


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _skip_back(text: str, position: int, low: int) -> int:
    """Back over blanks and backslash-newlines."""
    while position > low:
        char = text[position - 1]
        if char in " \t" and not _escaped(text, position - 1):
            position -= 1
        elif char == "\n" and _is_continuation(text, position - 1):
            position -= 3 if text[position - 2] == "\r" else 2
        else:
            break
    return position


def _skip_blanks(text: str, position: int, high: int, *, continuations: bool) -> int:
    while position < high:
        if text[position] in " \t":
            position += 1
        elif continuations and text.startswith(("\\\n", "\\\r\n"), position):
            position += 2 if text[position + 1] == "\n" else 3
        else:
            break
    return position


def _back_over_separator(text: str, position: int, low: int) -> int:
    position = _skip_back(text, position, low)
    if position > low and text[position - 1] == ";" and not (position - 2 >= low and text[position - 2] in ";&\\"):
        position = _skip_back(text, position - 1, low)
    return position


def drop_blank_lines(text: str, cuts: list[int]) -> str:
    """Blank lines that only separated removed lines from others go; where removed lines joined two runs of blanks, the longer run stays.

    A run of blanks that removed lines now push against the start of a block
    (``{``, ``then``, ``do``), its end or the end of the file goes as well.
    ``cuts`` are the offsets in ``text`` where whole lines were removed.
    """
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    count = len(lines) - 1 if lines[-1] == "" else len(lines)
    number_at = {start: number for number, start in enumerate(starts)}
    cut_lines = {number_at[cut] for cut in cuts if cut in number_at}
    # A blank line after a backslash-newline ends that command line: it is code, not spacing.
    blank = [not line.strip() and not (number and _is_continuation(text, starts[number] - 1)) for number, line in enumerate(lines[:count])]
    drop: set[int] = set()
    index = 0
    while index < count:
        if not blank[index]:
            index += 1
            continue
        stop = index
        while stop < count and blank[stop]:
            stop += 1
        boundaries = [line in cut_lines for line in range(index, stop + 1)]
        if any(boundaries):
            groups: list[list[int]] = [[]]
            for line in range(index, stop):
                if line > index and line in cut_lines:
                    groups.append([])
                groups[-1].append(line)
            candidates = list(groups)
            if index == 0 or _opens(lines[index - 1]):
                candidates = [group for group in candidates if group is groups[0] and not boundaries[0]]
            if stop == count or _CLOSES.match(lines[stop]):
                candidates = [group for group in candidates if group is groups[-1] and not boundaries[-1]]
            keep = max(candidates, key=len) if candidates else []
            drop.update(line for group in groups if group is not keep for line in group)
        index = stop
    return "\n".join(line for number, line in enumerate(lines) if number not in drop)


# -- the final build ----------------------------------------------------------------------------


def _insert_after_subcommand(source: bytes, anchor: ShellAnchor, texts, line, driver) -> _Item:
    position = _subcommand_end(source, anchor, line, driver)
    return _Item(position, position, b"".join(b" " + text.encode("utf-8") for text in texts))


def _subcommand_end(source: bytes, anchor: ShellAnchor, line: int, driver) -> int:
    index = build_word_index([source[a:b] for a, b in anchor.words])
    if index is None:
        raise Refusal(Location(driver.path, line), "cannot find the `build` word of this docker command to extend it")
    return anchor.words[index][1]


def build_word_index(words: list[bytes]) -> int | None:
    """Which of a command's words is docker's ``build`` (``sudo -u build docker build .`` has two)."""
    start = next((index + 1 for index, word in enumerate(words) if word == b"docker" or word.endswith(b"/docker")), 1)
    return next((index for index in range(start, len(words)) if words[index] == b"build"), None)


def _retarget(source: bytes, anchor: ShellAnchor, texts, line, driver) -> list[_Item]:
    dockerfile, target = texts
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
