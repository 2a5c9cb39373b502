"""Tidying around a removed statement, as a person editing the script would: shared by the shell and Makefile emitters.

The separator and the blank lines only the removed command needed go with
it; a command line continued with backslash-newlines counts as one line.
"""

from __future__ import annotations

import re

_OPENS = re.compile(r"(?:[{(]|(?<![\w-])(?:then|do|else|in))\s*(?:#.*)?$")
"""A line that opens a block (``{``, ``then``, ``do``…)."""
_CLOSES = re.compile(r"^\s*(?:[})]|;;|(?:fi|done|esac|else|elif)(?![\w-]))")
"""A line that closes one."""
_LINE_CONTINUATION = re.compile(r"\\\r?\n")


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


def _opens(line: str) -> bool:
    return not line.lstrip().startswith("#") and _OPENS.search(line.rstrip()) is not None
