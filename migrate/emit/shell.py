"""Rewrite a shell driver: drop the legacy steps, extend the final build.

Works on byte spans the shell reader recorded, so every line the plan does
not touch stays exactly as it was.
"""

from __future__ import annotations

from collections import defaultdict

from migrate.errors import Location, Refusal
from migrate.plan import DriverEdit
from migrate.read.ops import DriverReading
from migrate.read.shell import FunctionScope, ShellAnchor, has_syntax_error


def emit_shell(driver: DriverReading, edits: tuple[DriverEdit, ...]) -> str:
    source = driver.text.encode("utf-8")
    text = _collapse_blank_runs(_apply(source, driver, edits, placeholder=False), source)
    if has_syntax_error(text):
        # Removing every command of a function or `if` body leaves it empty, which bash rejects.
        text = _apply(source, driver, edits, placeholder=True)
        if has_syntax_error(text):
            first = edits[0].site if edits else None
            raise Refusal(Location(driver.path, first.line if first else None), "the rewritten driver would not parse")
    return text.decode("utf-8")


def _apply(source: bytes, driver: DriverReading, edits: tuple[DriverEdit, ...], placeholder: bool) -> bytes:
    replacements: list[tuple[int, int, bytes]] = []
    removed: dict[ShellAnchor, set[int]] = defaultdict(set)
    scopes: list[FunctionScope] = []
    for edit in edits:
        anchor = edit.site.anchor
        if not isinstance(anchor, ShellAnchor):
            raise Refusal(Location(driver.path, edit.site.line), "this step is not in the shell driver being rewritten")
        if edit.action == "remove":
            removed[_chain_key(anchor)].add(anchor.index)
            scopes.extend(scope for scope in anchor.scopes if scope not in scopes)
        elif edit.action == "add-build-args":
            replacements.append(_insert_after_subcommand(source, anchor, edit.texts, edit.site.line, driver))
        elif edit.action == "retarget":
            replacements.extend(_retarget(source, anchor, edit.texts, edit.site.line, driver))
    emptied = _emptied_functions(removed, scopes)
    for scope in emptied:
        replacements.append(_remove_statement(source, scope.definition, placeholder=False))
    for key, indexes in removed.items():
        if any(_inside(key.statement, scope.definition) for scope in emptied):
            continue
        replacements.extend(_remove_elements(source, key, indexes, placeholder, driver))
    replacements.sort(key=lambda r: (r[0], r[1]), reverse=True)
    out = bytearray(source)
    last_start = len(source) + 1
    for start, end, new in replacements:
        if end > last_start:
            raise Refusal(Location(driver.path, _line_of(source, start)), "two rewrites of the driver overlap")
        out[start:end] = new
        last_start = start
    return bytes(out)


def _emptied_functions(removed: dict[ShellAnchor, set[int]], scopes: list[FunctionScope]) -> list[FunctionScope]:
    """Functions whose every statement goes; their definitions and calls go too."""
    emptied: list[FunctionScope] = []
    changed = True
    while changed:
        changed = False
        gone = {key.statement for key, indexes in removed.items() if _all_removed(key, indexes)}
        for scope in scopes:
            if scope.definition in {s.definition for s in emptied}:
                continue
            if scope.statements and all(statement in gone for statement in scope.statements):
                emptied.append(scope)
                removed[_chain_key(scope.call)].add(scope.call.index)
                changed = True
    return emptied


def _all_removed(chain: ShellAnchor, indexes: set[int]) -> bool:
    gone = _with_fallbacks(chain, indexes)
    return len(gone) == len(chain.elements)


def _with_fallbacks(chain: ShellAnchor, indexes: set[int]) -> set[int]:
    """The removed elements plus each `|| true` that only guarded one of them."""
    gone = set(indexes)
    for index in range(1, len(chain.elements)):
        if index - 1 in gone and chain.operators[index - 1] == "||" and chain.trivial[index]:
            gone.add(index)
    return gone


def _inside(span: tuple[int, int], outer: tuple[int, int]) -> bool:
    return outer[0] <= span[0] and span[1] <= outer[1]


def _collapse_blank_runs(text: bytes, original: bytes) -> bytes:
    """Removing lines between blank lines leaves runs of blanks the original never had; shorten them."""
    longest = _longest_blank_run(original.split(b"\n"))
    *lines, last = text.split(b"\n")
    out: list[bytes] = []
    run = 0
    for line in lines:
        run = run + 1 if not line.strip() else 0
        if run <= max(longest, 1):
            out.append(line)
    return b"\n".join(out + [last])


def _longest_blank_run(lines: list[bytes]) -> int:
    longest = run = 0
    for line in lines[:-1]:
        run = run + 1 if not line.strip() else 0
        longest = max(longest, run)
    return longest


def _chain_key(anchor: ShellAnchor) -> ShellAnchor:
    return ShellAnchor(anchor.statement, anchor.elements, anchor.operators, -1, anchor.trivial)



def _remove_elements(source: bytes, chain: ShellAnchor, indexes: set[int], placeholder: bool, driver) -> list[tuple[int, int, bytes]]:
    count = len(chain.elements)
    gone = _with_fallbacks(chain, indexes)
    kept = [i for i in range(count) if i not in gone]
    if not kept:
        return [_remove_statement(source, chain.statement, placeholder)]
    for index in gone:
        neighbours = [chain.operators[i] for i in (index - 1, index) if 0 <= i < len(chain.operators)]
        if any(op != "&&" for op in neighbours):
            line = _line_of(source, chain.elements[index][0])
            raise Refusal(Location(driver.path, line), "cannot remove a command from an `||` chain without changing what runs")
    pieces = [source[chain.elements[kept[0]][0] : chain.elements[kept[0]][1]]]
    for index in kept[1:]:
        separator = source[chain.elements[index - 1][1] : chain.elements[index][0]]
        pieces.append(separator + source[chain.elements[index][0] : chain.elements[index][1]])
    first = chain.elements[0][0]
    last = chain.elements[-1][1]
    return [(first, last, b"".join(pieces))]


def _line_of(source: bytes, offset: int) -> int:
    return source.count(b"\n", 0, offset) + 1


def _remove_statement(source: bytes, span: tuple[int, int], placeholder: bool) -> tuple[int, int, bytes]:
    start, end = span
    line_start = source.rfind(b"\n", 0, start) + 1
    line_end = source.find(b"\n", end)
    line_end = len(source) if line_end == -1 else line_end
    before = source[line_start:start]
    after = source[end:line_end]
    if placeholder:
        return start, end, b":"
    if before.strip() == b"" and (after.strip() == b"" or after.strip().startswith(b"#")):
        return line_start, min(line_end + 1, len(source)), b""
    # Other statements share the line: take this one and the blanks after it.
    while end < line_end and source[end : end + 1] in (b" ", b"\t"):
        end += 1
    return start, end, b""


def _insert_after_subcommand(source: bytes, anchor: ShellAnchor, texts, line, driver) -> tuple[int, int, bytes]:
    position = _subcommand_end(source, anchor, line, driver)
    return position, position, b"".join(b" " + text.encode("utf-8") for text in texts)


def _subcommand_end(source: bytes, anchor: ShellAnchor, line: int, driver) -> int:
    index = build_word_index([source[a:b] for a, b in anchor.words])
    if index is None:
        raise Refusal(Location(driver.path, line), "cannot find the `build` word of this docker command to extend it")
    return anchor.words[index][1]


def build_word_index(words: list[bytes]) -> int | None:
    """Which of a command's words is docker's ``build`` (``sudo -u build docker build .`` has two)."""
    start = next((index + 1 for index, word in enumerate(words) if word == b"docker" or word.endswith(b"/docker")), 1)
    return next((index for index in range(start, len(words)) if words[index] == b"build"), None)


def _retarget(source: bytes, anchor: ShellAnchor, texts, line, driver) -> list[tuple[int, int, bytes]]:
    dockerfile, target = texts
    words = [source[a:b] for a, b in anchor.words]
    replacements = []
    first = (build_word_index(words) or 0) + 1
    for index, word in enumerate(words[first:], start=first):
        if word in (b"-f", b"--file") and index + 1 < len(words):
            a, b = anchor.words[index + 1]
            replacements.append((a, b, _quote(dockerfile)))
        elif word.startswith((b"-f=", b"--file=")):
            a, b = anchor.words[index]
            replacements.append((a, b, word.split(b"=", 1)[0] + b"=" + _quote(dockerfile)))
    position = _subcommand_end(source, anchor, line, driver)
    insert = b" --target " + target.encode("utf-8")
    if not replacements:
        insert += b" -f " + _quote(dockerfile)
    replacements.append((position, position, insert))
    return replacements


def _quote(text: str) -> bytes:
    safe = all(char.isalnum() or char in "._-/+=:@%" for char in text)
    return (text if safe else "'" + text.replace("'", "'\\''") + "'").encode("utf-8")
