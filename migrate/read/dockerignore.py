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
            rules.append((re.compile(_translate(line)), negated))
        return tuple(rules)

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
