"""``.dockerignore`` rules as the Docker CLI applies them to a build context.

A path is excluded when the last pattern that matches it, or one of its
parent directories, is not a ``!`` exception.  ``**`` spans directories, ``*``
and ``?`` stay within one path element.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class DockerIgnore:
    text: str

    @cached_property
    def rules(self) -> tuple[tuple[re.Pattern[str], bool], ...]:
        rules = []
        # As Docker reads it: lines end at \n (a CR before it dropped), a BOM goes, `#` is a comment only in column 1.
        for raw in self.text.removeprefix("\ufeff").split("\n"):
            if raw.startswith("#"):
                continue
            line = raw.strip()
            if not line:
                continue
            negated = line.startswith("!")
            if negated:
                line = line[1:].strip()
            line = posixpath.normpath(line).lstrip("/")
            if line in ("", "."):
                continue
            rules.append((_compiled(line), negated))
        return tuple(rules)

    def first_bad_pattern(self) -> tuple[int, str] | None:
        """The line of the first pattern that is no valid pattern (``[z-a]``, ``[]``), and why: ``docker build`` stops there."""
        for number, raw in enumerate(self.text.removeprefix("\ufeff").split("\n"), start=1):
            line = raw.strip()
            if raw.startswith("#") or not line:
                continue
            line = posixpath.normpath(line.removeprefix("!").strip()).lstrip("/")
            try:
                _compiled(line)
            except re.error as error:
                return number, f"syntax error in pattern {raw.strip()!r} ({error.msg})"
        return None

    def excludes(self, path: str) -> bool:
        """Whether ``path`` (relative to the context, ``/``-separated) is left out of the context."""
        path = posixpath.normpath(path).lstrip("/")
        candidates = [path]
        parent = posixpath.dirname(path)
        while parent:
            candidates.append(parent)
            parent = posixpath.dirname(parent)
        excluded = False
        for pattern, negated in self.rules:
            if any(pattern.fullmatch(candidate) for candidate in candidates):
                excluded = not negated
        return excluded

    def with_lines(self, lines: list[str]) -> str:
        """The file's text with ``lines`` appended, in the file's own line endings."""
        newline = "\r\n" if "\r\n" in self.text else "\n"
        text = self.text
        if text and not text.endswith("\n"):
            text += newline
        return text + "".join(f"{line}{newline}" for line in lines)


def _compiled(pattern: str) -> re.Pattern[str]:
    import warnings

    with warnings.catch_warnings():
        # `[[` in a class: Python warns that a later version may read it as a nested set; the user can do nothing about that here.
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(_translate(pattern))


def _translate(pattern: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            index += 2
            if pattern.startswith("/", index):
                index += 1
                out.append("(?:.*/)?")
            else:
                out.append(".*")
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                # Go's regexp reads the class: `[^a]` is the negation, `[!a]` a class holding `!`.
                out.append(f"[{pattern[index + 1 : end]}]")
                index = end
        elif char == "\\" and index + 1 < len(pattern):
            index += 1
            out.append(re.escape(pattern[index]))
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)
