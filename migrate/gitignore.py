"""git's ignore rules, as the batch walk needs them: ``.gitignore`` files and ``info/exclude``.

Matching follows git's wildmatch (``*`` and ``?`` stop at ``/``, ``**``
crosses it); the deepest file with a matching rule decides.  Files are read
with ``surrogateescape`` so that any bytes make a rule.
"""

from __future__ import annotations

import os
import re


class IgnoreFile:
    """The rules of one ``.gitignore`` (or ``info/exclude``), relative to ``base``."""

    def __init__(self, base: str, text: str) -> None:
        self.base = base
        self.prefix = base + "/"
        self.rules = _parsed_rules(text)
        """Per rule: the pattern, negated, directories only, matched against the whole relative path."""

    def decide(self, relative: str, name: str, is_dir: bool) -> bool | None:
        """True: ignored; False: re-included by ``!``; None: no rule of this file matches."""
        decision = None
        for pattern, negated, directory_only, anchored in self.rules:
            if directory_only and not is_dir:
                continue
            if pattern.fullmatch(relative if anchored else name):
                decision = not negated
        return decision


_rules_by_text: dict[str, tuple] = {}


def _parsed_rules(text: str) -> tuple[tuple[re.Pattern[str], bool, bool, bool], ...]:
    """The rules of a ``.gitignore`` text; an organisation's repositories often share one."""
    rules = _rules_by_text.get(text)
    if rules is None:
        rules = _rules_by_text[text] = tuple(rule for rule in map(_parse_rule, text.splitlines()) if rule is not None)
    return rules


def _parse_rule(line: str) -> tuple[re.Pattern[str], bool, bool, bool] | None:
    line = line.rstrip("\r\n")
    if not line or line.startswith("#"):
        return None
    # Trailing spaces go unless escaped with a backslash.
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        stripped += " "
    line = stripped
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    elif line.startswith("\\!") or line.startswith("\\#"):
        line = line[1:]
    directory_only = line.endswith("/") and not line.endswith("\\/")
    if directory_only:
        line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    return re.compile(_glob_regex(line), re.DOTALL), negated, directory_only, anchored


def _glob_regex(pattern: str) -> str:
    """gitignore's wildmatch as a regular expression: ``*`` and ``?`` stop at ``/``, ``**`` crosses it."""
    out: list[str] = []
    index = 0
    length = len(pattern)
    while index < length:
        char = pattern[index]
        if char == "*":
            if pattern.startswith("**", index):
                before_ok = index == 0 or pattern[index - 1] == "/"
                after = index + 2
                if before_ok and (after == length or pattern[after] == "/"):
                    if after == length:
                        out.append(".*")
                        index = after
                    else:
                        out.append("(?:.*/)?")
                        index = after + 1
                    continue
                index += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and index + 1 < length:
            index += 1
            out.append(re.escape(pattern[index]))
        elif char == "[":
            closing = _class_end(pattern, index)
            if closing is None:
                return "(?!)"  # git's wildmatch gives up on a class that never closes: the rule matches nothing
            else:
                body = pattern[index + 1 : closing]
                if body.startswith(("!", "^")):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
                index = closing
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _class_end(pattern: str, start: int) -> int | None:
    index = start + 1
    if index < len(pattern) and pattern[index] in "!^":
        index += 1
    if index < len(pattern) and pattern[index] == "]":
        index += 1
    closing = pattern.find("]", index)
    return closing if closing != -1 else None


IgnoreRules = tuple[IgnoreFile, ...]


def is_ignored(rules: IgnoreRules, path: str, is_dir: bool) -> bool:
    """The deepest file with a matching rule decides, as git does."""
    name = path.rsplit("/", 1)[-1]
    for ignore in reversed(rules):
        if not path.startswith(ignore.prefix):
            continue
        decision = ignore.decide(path[len(ignore.prefix) :], name, is_dir)
        if decision is not None:
            return decision
    return False


def read_ignore_file(path: str, *, in_tree: bool = True) -> str | None:
    """The text of an ignore file; None when there is none.

    A ``.gitignore`` in the work tree (``in_tree``) that is a symlink counts
    for nothing, as git (2.32 on) does not follow it either; ``info/exclude``
    is followed.  Anything else that cannot be read, is no regular file or is
    over :data:`migrate.read.files.MAX_FILE_BYTES` raises
    :class:`migrate.read.files.UnreadableFile`: what git ignores there cannot
    be known.
    """
    from migrate.read.files import UnreadableFile, read_project_bytes

    what = ".gitignore" if in_tree else "ignore file"
    try:
        raw = read_project_bytes(path, follow_symlinks=not in_tree, what=what)
    except UnreadableFile as problem:
        if problem.missing or in_tree and os.path.islink(path):
            return None
        raise
    return raw.decode("utf-8", "surrogateescape")


def repository_rules(top: str) -> IgnoreRules:
    """``info/exclude`` of the repository at ``top``, which applies to all of it."""
    exclude = read_ignore_file(os.path.join(top, ".git", "info", "exclude"), in_tree=False)
    if not exclude:
        return ()
    ignore = IgnoreFile(top, exclude)
    # git's own template holds only comments: a file without rules decides nothing.
    return (ignore,) if ignore.rules else ()


def rules_above(root: str) -> IgnoreRules:
    """The rules that reach ``root`` from the repository it lies in: ``info/exclude`` and outer ``.gitignore`` files."""
    chain: list[str] = []
    directory = root
    while True:
        parent = os.path.dirname(directory)
        if os.path.exists(os.path.join(directory, ".git")):
            break
        if parent == directory:
            return ()
        chain.append(parent)
        directory = parent
    rules = list(repository_rules(directory))
    for ancestor in reversed(chain):
        text = read_ignore_file(os.path.join(ancestor, ".gitignore"))
        if text:
            rules.append(IgnoreFile(ancestor, text))
    return tuple(rules)
