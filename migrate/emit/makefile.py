"""Rewrite a Makefile driver: drop the legacy recipe lines, extend the final build.

Works on the Makefile text itself through the spans the reader recorded for
every byte of shell text, so tabs, continuations, comments and every rule the
plan does not touch stay as they were.  A rule whose whole recipe goes keeps
its place and its prerequisites with a no-op recipe (``@:``): other rules, or
CI, may still name it, and a rule without a recipe would make make look for
an implicit one.  Every decision about the edits was made in trace
(:mod:`migrate.trace.writable`); what cannot be written stops the emitter
with an :class:`~migrate.emit.failure.EmitFailure`.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections import defaultdict
from pathlib import Path

from migrate.emit.failure import EmitFailure
from migrate.emit.shell import build_word_index
from migrate.emit.tidy import drop_blank_lines, removal_span
from migrate.errors import MigrationStop
from migrate.plan import AddBuildArgs, DriverEdit, RemoveStep, RetargetBuild
from migrate.read.makefile import MakeAnchor, RecipeText, _Scope, parse_makefile
from migrate.read.ops import DriverReading

NO_OP_RECIPE = "@:"


def emit_makefile(driver: DriverReading, edits: tuple[DriverEdit, ...], deleted: tuple[Path, ...] = (), merged: Path | None = None) -> str:
    return _MakefileEmitter(driver, edits, deleted, merged).run()


class _MakefileEmitter:
    def __init__(self, driver: DriverReading, edits, deleted, merged) -> None:
        self.driver = driver
        self.text = driver.text
        self.makefile = parse_makefile(driver.path, driver.text)
        self.deleted = tuple(deleted)
        self.merged = merged
        self.edits = tuple(edits)
        self.statements: set[tuple[int, int]] = set()
        """Makefile spans of whole shell statements that go: what they leave on their line is tidied too."""

    def fail(self, line: int | None, reason: str) -> EmitFailure:
        return EmitFailure.at(self.driver.path, line, reason)

    def run(self) -> str:
        replacements: list[tuple[int, int, str]] = []
        removed: dict[tuple[int, tuple[int, int]], tuple[MakeAnchor, set[int]]] = {}
        for edit in self.edits:
            anchor = edit.site.anchor
            if not isinstance(anchor, MakeAnchor):
                raise self.fail(edit.site.line, "this step is not in the Makefile being rewritten")
            if isinstance(edit, RemoveStep):
                key = (id(anchor.recipe), anchor.shell.statement)
                removed.setdefault(key, (anchor, set()))[1].add(anchor.shell.index)
            elif isinstance(edit, AddBuildArgs):
                replacements.append(self._add_build_args(edit, anchor))
            elif isinstance(edit, RetargetBuild):
                replacements.extend(self._retarget(edit, anchor))
        # Words added to a command that shares its line with removed ones travel with the kept text.
        pending = replacements
        replacements = []
        for anchor, indexes in removed.values():
            replacements.extend(self._remove(anchor, indexes, pending))
        replacements.extend(pending)
        replacements.extend(self._prerequisites())
        text = self._apply(replacements)
        try:
            parse_makefile(self.driver.path, text)
        except MigrationStop as stop:
            raise self.fail(stop.location.line, f"the rewritten Makefile would not read: {stop.reason}") from None
        return text

    # -- removing commands ---------------------------------------------------------------------
    def _remove(self, anchor: MakeAnchor, indexes: set[int], pending: list) -> list[tuple[int, int, str]]:
        shell = anchor.shell
        recipe = anchor.recipe
        gone = set(indexes)
        for index in range(1, len(shell.elements)):
            if index - 1 in gone and shell.operators[index - 1] == "||" and shell.trivial[index]:
                gone.add(index)
        kept = [i for i in range(len(shell.elements)) if i not in gone]
        line = self._line(anchor)
        if not kept:
            span = self._source(recipe, shell.statement, line)
            self._take(pending, span[0], span[1], line, removing=True)
            self.statements.add(span)
            return [(span[0], span[1], "")]
        for index in gone:
            neighbours = [shell.operators[i] for i in (index - 1, index) if 0 <= i < len(shell.operators)]
            if any(op != "&&" for op in neighbours):
                raise self.fail(line, "cannot remove a command from an `||` chain without changing what runs")
        spans = [self._source(recipe, element, line) for element in shell.elements]
        for index in gone:
            self._take(pending, spans[index][0], spans[index][1], line, removing=True)
        pieces = [self._piece(pending, *spans[kept[0]], line)]
        for index in kept[1:]:
            pieces.append(self.text[spans[index - 1][1] : spans[index][0]] + self._piece(pending, *spans[index], line))
        return [(spans[0][0], spans[-1][1], "".join(pieces))]

    def _take(self, pending: list, start: int, end: int, line: int, *, removing: bool) -> list:
        inside = [item for item in pending if start <= item[0] and item[1] <= end]
        if inside and removing:
            raise self.fail(line, "a command that goes away was also to be rewritten")
        for item in inside:
            pending.remove(item)
        return inside

    def _piece(self, pending: list, start: int, end: int, line: int) -> str:
        """The Makefile text of ``start:end`` with the pending rewrites inside it applied."""
        out = []
        position = start
        for item_start, item_end, new in sorted(self._take(pending, start, end, line, removing=False)):
            out.append(self.text[position:item_start])
            out.append(new)
            position = item_end
        out.append(self.text[position:end])
        return "".join(out)

    def _source(self, recipe: RecipeText, span: tuple[int, int], line: int) -> tuple[int, int]:
        start, end = span
        while end > start and recipe.shell[end - 1 : end] in (b";", b" ", b"\t"):
            end -= 1
        found = recipe.source_span(start, end)
        if found is None:
            raise self.fail(line, "this command is spread over a make variable that holds other text too; dmigrate cannot cut it out")
        if span[1] > end:
            # Take the ``;`` that ended the statement as well.
            tail = recipe.source_span(start, span[1])
            if tail is not None:
                return tail
        return found

    def _line(self, anchor: MakeAnchor) -> int:
        return self.makefile.line_of(anchor.recipe.lines[0][0])

    # -- the final build ---------------------------------------------------------------------------
    def _build_word_end(self, anchor: MakeAnchor, line: int) -> int:
        recipe = anchor.recipe
        index = build_word_index([recipe.shell[start:end] for start, end in anchor.shell.words])
        span = recipe.source_span(*anchor.shell.words[index]) if index is not None else None
        if span is not None:
            return span[1]
        raise self.fail(line, "cannot find the `build` word of this docker command in the Makefile text to extend it")

    def _add_build_args(self, edit: AddBuildArgs, anchor: MakeAnchor) -> tuple[int, int, str]:
        position = self._build_word_end(anchor, edit.site.line)
        return position, position, "".join(" " + arg.command_words("make") for arg in edit.args)

    def _retarget(self, edit: RetargetBuild, anchor: MakeAnchor) -> list[tuple[int, int, str]]:
        dockerfile, target = edit.dockerfile, edit.stage
        line = edit.site.line
        recipe = anchor.recipe
        words = [recipe.shell[a:b] for a, b in anchor.shell.words]
        out = []
        for index, word in enumerate(words):
            if word in (b"-f", b"--file") and index + 1 < len(words):
                span = recipe.source_span(*anchor.shell.words[index + 1])
                if span is None:
                    raise self.fail(line, "cannot find the -f value of this docker build in the Makefile text")
                out.append((span[0], span[1], _quote(dockerfile)))
            elif word.startswith((b"-f=", b"--file=")):
                span = recipe.source_span(*anchor.shell.words[index])
                if span is None:
                    raise self.fail(line, "cannot find the -f value of this docker build in the Makefile text")
                out.append((span[0], span[1], word.split(b"=", 1)[0].decode() + "=" + _quote(dockerfile)))
        position = self._build_word_end(anchor, line)
        insert = f" --target {target}"
        if not out:
            insert += f" -f {_quote(dockerfile)}"
        out.append((position, position, insert))
        return out

    # -- prerequisites on deleted Dockerfiles -------------------------------------------------------
    def _prerequisites(self) -> list[tuple[int, int, str]]:
        if not self.deleted:
            return []
        directory = str(self.driver.path.resolve().parent)
        deleted = {posixpath.normpath(str(path)) for path in self.deleted}
        merged_name = posixpath.relpath(str(self.merged), directory) if self.merged is not None else None
        out = []
        for rule in self.makefile.all_rules:
            start, end = rule.header
            header = self.text[start:end]
            colon = _header_colon(header)
            if colon is None:
                continue
            body_start = colon + 1
            body = header[body_start:].split(";", 1)[0].split("#", 1)[0]
            absolute = {posixpath.normpath(posixpath.join(directory, p)) for p in rule.prerequisites}
            has_merged = merged_name is not None and posixpath.normpath(posixpath.join(directory, merged_name)) in absolute
            for match in re.finditer(r"\S+", body):
                word = match.group(0)
                if word == "|":
                    break
                value = _Scope(self.makefile, {}, None).expand(word) if "$" in word else word
                names = value.split()
                if len(names) != 1 or posixpath.normpath(posixpath.join(directory, names[0])) not in deleted:
                    continue
                word_start = start + body_start + match.start()
                word_end = start + body_start + match.end()
                if merged_name is not None and not has_merged:
                    out.append((word_start, word_end, merged_name))
                    has_merged = True
                else:
                    if word_start > 0 and self.text[word_start - 1] == " ":
                        word_start -= 1
                    out.append((word_start, word_end, ""))
        return out

    # -- applying -----------------------------------------------------------------------------
    def _apply(self, replacements: list[tuple[int, int, str]]) -> str:
        text = self.text
        recipe_lines = sorted({span for rule in self.makefile.all_rules for span in ((l.start, l.end) for l in rule.recipe)})
        by_line: dict[tuple[int, int], list[tuple[int, int, str]]] = defaultdict(list)
        outside: list[tuple[int, int, str]] = []
        for replacement in replacements:
            start, end, _ = replacement
            touched = [span for span in recipe_lines if span[0] <= end and start <= span[1]]
            if not touched:
                outside.append(replacement)
                continue
            for span in touched:
                by_line[span].append(replacement)
        final: list[tuple[int, int, str]] = list(outside)
        emptied: set[tuple[int, int]] = set()
        for span, items in by_line.items():
            try:
                new_line = _rewrite(text, span, items, self.statements)
            except _Overlap:
                raise self.fail(self.makefile.line_of(span[0]), "two rewrites of this recipe line overlap") from None
            if _is_empty_recipe_line(new_line):
                stop = span[1] + len(_line_break_at(text, span[1]))
                final.append((span[0], stop, ""))
                emptied.add(span)
            else:
                final.append((span[0], span[1], new_line))
        for rule in self.makefile.all_rules:
            spans = [(line.start, line.end) for line in rule.recipe]
            if spans and all(span in emptied for span in spans):
                final.append((spans[0][0], spans[0][0], "\t" + NO_OP_RECIPE + (_line_break_at(text, spans[0][1]) or "\n")))
        final.sort(key=lambda item: (item[0], item[1]))
        out = []
        position = length = 0
        line_cuts = []
        emptied_starts = {span[0] for span in emptied}
        for start, end, new in final:
            if start < position:
                raise self.fail(self.makefile.line_of(start), "two rewrites of the Makefile overlap")
            out += [text[position:start], new]
            length += start - position + len(new)
            if start in emptied_starts and not new:
                line_cuts.append(length)
            position = end
        out.append(text[position:])
        return drop_blank_lines("".join(out), line_cuts)


def _rewrite(text: str, span: tuple[int, int], items: list[tuple[int, int, str]], statements: set[tuple[int, int]]) -> str:
    """The recipe line ``span`` with ``items`` applied from the last to the first, so each sees what the later ones left."""
    start, end = span
    line = text[start:end]
    floor, floor_removes = len(line) + 1, False
    for item_start, item_end, new in sorted(items, key=lambda item: (item[0], item[1]), reverse=True):
        first = max(item_start, start) - start
        stop = min(item_end, end) - start
        new = new if item_start >= start else ""
        if stop > floor:
            if not (floor_removes and not new and first <= floor):
                raise _Overlap()
            stop = floor
        if (item_start, item_end) in statements and start <= item_start and item_end <= end:
            first, stop, _ = removal_span(line, first, stop, 0, len(line), prefix="@+-")
        line = line[:first] + new + line[stop:]
        floor, floor_removes = first, not new
    return line


class _Overlap(Exception):
    """Two rewrites of one recipe line overlap."""


def _line_break_at(text: str, position: int) -> str:
    """The line ending at ``position``: ``\\r\\n``, ``\\n`` or none (the end of the text)."""
    return "\r\n" if text.startswith("\r\n", position) else "\n" if text.startswith("\n", position) else ""


def _is_empty_recipe_line(line: str) -> bool:
    rest = line.replace("\\\r\n", " ").replace("\\\n", " ").strip().lstrip("@-+").strip()
    return rest in ("", "\\", ";")


def _header_colon(header: str) -> int | None:
    depth = 0
    for index, char in enumerate(header):
        if char == "$" and header[index + 1 : index + 2] in ("(", "{"):
            depth += 1
        elif char in ")}" and depth:
            depth -= 1
        elif char == ":" and depth == 0:
            if header[index + 1 : index + 2] == ":":
                return index + 1
            return index
    return None


def _quote(text: str) -> str:
    safe = all(char.isalnum() or char in "._-/+=:@%" for char in text)
    return (text if safe else shlex.quote(text)).replace("$", "$$")
