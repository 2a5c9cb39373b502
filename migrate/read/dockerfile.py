"""Read a Dockerfile into stages without losing a byte of its text.

dockerfile-parse splits words and key/value pairs well, but its line handling
is wrong in ways that matter when the text must be rewritten: it breaks
heredoc bodies into bogus instructions, ends an instruction at a blank line
inside a continuation, drops a final ``\\`` and misreads a BOM.  So the
*line layer* here decides where each instruction starts and ends, and keeps
the exact source text of every instruction and every comment between them;
dockerfile-parse only interprets the logical text of one instruction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from migrate.errors import InputError, Location

BOM = "\ufeff"
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$")
_KNOWN_DIRECTIVES = {"syntax", "escape", "check"}
_HEREDOC_WORD = re.compile(r"\d*<<(-?)([^<]+)")
"""A word that starts a heredoc, as BuildKit matches each word of the line (quotes kept)."""
_HEREDOC_KEYWORDS = {"RUN", "COPY", "ADD"}
_FLAG_KEYWORDS = {"FROM", "COPY", "ADD", "RUN", "HEALTHCHECK"}
INSTRUCTIONS = frozenset(
    "ADD ARG CMD COPY ENTRYPOINT ENV EXPOSE FROM HEALTHCHECK LABEL MAINTAINER ONBUILD RUN SHELL STOPSIGNAL USER VOLUME WORKDIR".split()
)
NOT_AN_INSTRUCTION = "not a Dockerfile instruction: a Dockerfile's lines start with one, such as FROM, RUN or COPY"
_LEAST_WORDS = {"COPY": 2, "ADD": 2, "FROM": 1, "WORKDIR": 1, "USER": 1}
"""Instructions docker build rejects with fewer words than this."""


@dataclass(frozen=True)
class Trivia:
    """A comment or blank line between instructions, kept verbatim."""

    text: str
    line: int


@dataclass(frozen=True)
class Heredoc:
    name: str
    body: str
    strip_tabs: bool


@dataclass(frozen=True)
class Instruction:
    keyword: str
    """Upper-cased instruction name, e.g. ``COPY``."""
    flags: tuple[str, ...]
    """Leading ``--name[=value]`` words as written."""
    arguments: str
    """Logical text after keyword and flags: continuations joined, comments and heredoc bodies left out."""
    text: str
    """Exact source of every physical line, newline included."""
    line: int
    end_line: int
    heredocs: tuple[Heredoc, ...] = ()

    def flag(self, name: str) -> str | None:
        """The value of ``--name=value`` (``""`` for a bare ``--name``), or None."""
        for word in self.flags:
            key, sep, value = word[2:].partition("=")
            if key.lower() == name:
                return value if sep else ""
        return None

    @property
    def is_json(self) -> bool:
        return self.arguments.lstrip().startswith("[")

    def words(self) -> list[str]:
        """The arguments as words: the JSON array form, or shell-like words with quotes removed."""
        # Asked for again and again while tracing; kept beside the fields, which equality does not look at.
        found = self.__dict__.get("_words")
        if found is None:
            found = self.__dict__["_words"] = tuple(self._split_words())
        return list(found)

    def _split_words(self) -> list[str]:
        if self.is_json:
            import json

            try:
                value = json.loads(self.arguments)
            except json.JSONDecodeError:
                value = None
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                return value
        # BuildKit splits the shell form at whitespace first, then expands each word (removing its quotes).
        return [_dequote(word) for word in self.arguments.split()]

    def key_values(self) -> list[tuple[str, str]]:
        """``ARG``/``ENV``/``LABEL`` pairs; an ARG without a default gives ``(name, None)``."""
        if self.keyword == "ARG":
            pairs: list[tuple[str, str | None]] = []
            words = _split(self.arguments) if _quotes(self.arguments) else self.arguments.split()
            for word in words:
                name, sep, default = word.partition("=")
                pairs.append((name, _dequote(default) if sep else None))
            return pairs  # type: ignore[return-value]
        if not self.arguments.strip():
            return []
        from dockerfile_parse.util import extract_key_values

        return extract_key_values(False, {}, {}, self.arguments)


def _quotes(text: str) -> bool:
    """Whether dockerfile-parse's word splitter would find quotes or escapes in ``text``; without them it splits at whitespace only."""
    return "\\" in text or "'" in text or '"' in text


def _dequote(word: str) -> str:
    if not _quotes(word):
        return word
    # Imported here: most words have no quotes, and dockerfile-parse brings in logging.
    from dockerfile_parse.util import WordSplitter

    return WordSplitter(word).dequote()


def _split(text: str) -> list[str]:
    from dockerfile_parse.util import WordSplitter

    return list(WordSplitter(text).split(dequote=False))


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None
    base: str
    """The image or stage named by FROM, as written (variables not expanded)."""
    platform: str | None
    leading: tuple[Trivia, ...]
    """Comments and blank lines directly above the FROM line."""
    from_instruction: Instruction
    body: tuple[Instruction | Trivia, ...]

    @cached_property
    def instructions(self) -> tuple[Instruction, ...]:
        """The body without its comments; tracing asks for it again and again."""
        return tuple(item for item in self.body if isinstance(item, Instruction))

    @property
    def ref(self) -> str:
        """How another stage names this one in ``--from``."""
        return self.name if self.name is not None else str(self.index)


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    bom: bool
    escape: str
    directives: tuple[Trivia, ...]
    preamble: tuple[Instruction | Trivia, ...]
    """Everything between the directives and the first FROM: global ARGs and comments."""
    stages: tuple[Stage, ...]

    def text(self) -> str:
        parts = [BOM] if self.bom else []
        parts += [item.text for item in self.directives]
        parts += [item.text for item in self.preamble]
        for stage in self.stages:
            parts += [item.text for item in stage.leading]
            parts.append(stage.from_instruction.text)
            parts += [item.text for item in stage.body]
        return "".join(parts)

    @property
    def global_args(self) -> tuple[Instruction, ...]:
        return tuple(item for item in self.preamble if isinstance(item, Instruction))

    def directive(self, name: str) -> str | None:
        for item in self.directives:
            match = _DIRECTIVE.match(item.text.strip())
            if match and match.group(1).lower() == name:
                return match.group(2)
        return None

    def stage(self, ref: str) -> Stage | None:
        for stage in self.stages:
            if stage.name is not None and stage.name.lower() == ref.lower():
                return stage
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None


def parse_dockerfile(text: str, path: Path) -> Dockerfile:
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    lines = _lines(text)
    directives, escape, first = _read_directives(lines)
    items = _read_items(lines, first, escape, path)
    return _group_stages(items, directives, escape, bom, path)


def _lines(text: str) -> list[str]:
    """The physical lines, each with its newline: Docker ends a line at ``\\n`` only (``str.splitlines`` also ends one at ``\\f``, ``\\x85``, ...)."""
    lines = text.split("\n")
    last = lines.pop()
    return [line + "\n" for line in lines] + ([last] if last else [])


def read_dockerfile(path: Path) -> Dockerfile:
    from migrate.read.boundary import check_readable
    from migrate.read.files import read_project_text

    check_readable(path)
    return parse_dockerfile(read_project_text(path, what="Dockerfile"), path)


def _read_directives(lines: list[str]) -> tuple[tuple[Trivia, ...], str, int]:
    directives: list[Trivia] = []
    escape = "\\"
    for index, line in enumerate(lines):
        match = _DIRECTIVE.match(line.strip())
        if not match or match.group(1).lower() not in _KNOWN_DIRECTIVES:
            return tuple(directives), escape, index
        if match.group(1).lower() == "escape" and match.group(2) in ("\\", "`"):
            escape = match.group(2)
        directives.append(Trivia(line, index + 1))
    return tuple(directives), escape, len(lines)


def _is_trivia(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _read_items(lines: list[str], index: int, escape: str, path: Path) -> list[Instruction | Trivia]:
    items: list[Instruction | Trivia] = []
    while index < len(lines):
        if _is_trivia(lines[index]):
            items.append(Trivia(lines[index], index + 1))
            index += 1
            continue
        start = index
        logical: list[str] = []
        while True:
            content = lines[index].rstrip("\r\n").rstrip(" \t")
            index += 1
            # BuildKit's rule: one escape character ends the line; two (an escaped escape) do not.
            if not content.endswith(escape) or content.endswith(escape * 2):
                logical.append(content)
                break
            logical.append(content[: -len(escape)])
            # Inside a continuation Docker skips comment and empty lines.
            while index < len(lines) and _is_trivia(lines[index]):
                index += 1
            if index >= len(lines):
                break
        joined = "".join(logical).strip()
        keyword, _, rest = joined.partition(" ")
        if "\t" in keyword:
            keyword, _, tail = keyword.partition("\t")
            rest = tail + " " + rest
        keyword = keyword.upper()
        if not keyword.isascii() or not keyword.isalpha() or not keyword.isupper():
            # Not quoted: the file may be no Dockerfile at all (`-f secret.env`), and its line must not reach a report.
            raise InputError(Location(path, start + 1), NOT_AN_INSTRUCTION)
        flags, arguments = _split_flags(rest.strip()) if keyword in _FLAG_KEYWORDS else ((), rest.strip())
        heredocs: list[Heredoc] = []
        if "<<" in arguments and _may_hold_heredocs(keyword, arguments):
            for name, strip in _heredoc_starts(arguments):
                body_start = index
                while index < len(lines):
                    candidate = lines[index].rstrip("\r\n")
                    index += 1
                    if (candidate.lstrip("\t") if strip else candidate) == name:
                        break
                else:
                    raise InputError(Location(path, start + 1), f"heredoc <<{name} is never closed")
                heredocs.append(Heredoc(name, "".join(lines[body_start : index - 1]), bool(strip)))
        instruction = Instruction(
            keyword=keyword,
            flags=flags,
            arguments=arguments,
            text="".join(lines[start:index]),
            line=start + 1,
            end_line=index,
            heredocs=tuple(heredocs),
        )
        if keyword in ("ENV", "LABEL") and "=" in arguments:
            _check_pairs(instruction, path)
        elif keyword in _LEAST_WORDS and len(instruction.words()) < _LEAST_WORDS[keyword]:
            needs = "a source and a destination" if _LEAST_WORDS[keyword] == 2 else "an argument"
            raise InputError(Location(path, instruction.line), f"{keyword} needs {needs}; docker build stops at this line")
        items.append(instruction)
    return items


def _check_pairs(instruction: Instruction, path: Path) -> None:
    """``ENV A=1 B``: once one word is ``name=value`` every word has to be; docker build stops at any other."""
    if not _quotes(instruction.arguments):
        words = instruction.arguments.split()
        if "=" not in words[0] or all("=" in word for word in words):
            return
    try:
        instruction.key_values()
    except ValueError as error:
        raise InputError(
            Location(path, instruction.line), f"{instruction.keyword}: {error} (docker build stops at this line)"
        ) from None


def _may_hold_heredocs(keyword: str, arguments: str) -> bool:
    """RUN, COPY and ADD in shell form, also behind ONBUILD."""
    if keyword == "ONBUILD":
        keyword, _, arguments = arguments.partition(" ")
        keyword = keyword.upper()
        arguments = arguments.strip()
    return keyword in _HEREDOC_KEYWORDS and not _is_json_array(arguments)


def _is_json_array(arguments: str) -> bool:
    """BuildKit's exec form: the arguments parse as a JSON array of strings (``[ -f x ] && ...`` is shell form)."""
    if not arguments.startswith("["):
        return False
    import json

    try:
        value = json.loads(arguments)
    except ValueError:
        return False
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _heredoc_starts(arguments: str) -> list[tuple[str, bool]]:
    """Each heredoc the line opens: its delimiter and whether tabs are stripped.

    BuildKit splits the line into words keeping quotes, and a word opens a
    heredoc when the whole of it is ``[n]<<[-]WORD``; WORD is the delimiter
    with its quotes removed (``<<'EOF'`` ends at ``EOF``).  So ``"<<x"``,
    ``cat<<x`` and ``<<<x`` open none.
    """
    import shlex

    found = []
    for word in _raw_words(arguments):
        match = _HEREDOC_WORD.fullmatch(word)
        if match is None:
            continue
        try:
            names = shlex.split(match.group(2))
        except ValueError:
            continue
        if len(names) == 1 and names[0]:
            found.append((names[0], match.group(1) == "-"))
    return found


def _raw_words(text: str) -> list[str]:
    """``text`` split at whitespace outside quotes, quotes and backslashes kept."""
    words: list[str] = []
    current: list[str] = []
    quote = None
    index = 0
    while index < len(text):
        char = text[index]
        if quote is None and char.isspace():
            if current:
                words.append("".join(current))
                current = []
        elif char == "\\" and quote != "'" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 1
        else:
            if char in "'\"" and quote in (None, char):
                quote = None if quote == char else char
            current.append(char)
        index += 1
    if current:
        words.append("".join(current))
    return words


def _split_flags(rest: str) -> tuple[tuple[str, ...], str]:
    flags: list[str] = []
    while rest.startswith("--"):
        word, _, remainder = rest.partition(" ")
        flags.append(word)
        rest = remainder.lstrip()
    return tuple(flags), rest


def _group_stages(
    items: list[Instruction | Trivia],
    directives: tuple[Trivia, ...],
    escape: str,
    bom: bool,
    path: Path,
) -> Dockerfile:
    from_positions = [i for i, item in enumerate(items) if isinstance(item, Instruction) and item.keyword == "FROM"]
    if not from_positions:
        first = next((item for item in items if isinstance(item, Instruction)), None)
        raise InputError(Location(path, first.line if first else None), "no FROM instruction")
    preamble_end = _leading_trivia_start(items, from_positions[0])
    preamble = items[:preamble_end]
    for item in preamble:
        if isinstance(item, Instruction) and item.keyword != "ARG":
            what = item.keyword if item.keyword in INSTRUCTIONS else "a line that is not a Dockerfile instruction"
            raise InputError(Location(path, item.line), f"{what} before the first FROM")
    stages: list[Stage] = []
    for number, position in enumerate(from_positions):
        leading_start = _leading_trivia_start(items, position)
        following = from_positions[number + 1] if number + 1 < len(from_positions) else len(items)
        body_end = _leading_trivia_start(items, following) if number + 1 < len(from_positions) else following
        stages.append(_stage(number, tuple(items[leading_start:position]), items[position], tuple(items[position + 1 : body_end]), path))
    return Dockerfile(path, bom, escape, directives, tuple(preamble), tuple(stages))


def _leading_trivia_start(items: list[Instruction | Trivia], position: int) -> int:
    """Where the run of comments just above ``items[position]`` starts; blank lines above it stay behind."""
    start = position
    while start > 0 and isinstance(items[start - 1], Trivia) and items[start - 1].text.strip():
        start -= 1
    return start


def _stage(index: int, leading: tuple[Trivia, ...], instruction: Instruction | Trivia, body: tuple, path: Path) -> Stage:
    assert isinstance(instruction, Instruction)
    words = instruction.arguments.split()
    if not words:
        raise InputError(Location(path, instruction.line), "FROM without an image")
    name = None
    if len(words) >= 3 and words[1].lower() == "as":
        name = words[2]
    elif len(words) != 1:
        raise InputError(Location(path, instruction.line), f"cannot read FROM {instruction.arguments!r}")
    return Stage(
        index=index,
        name=name,
        base=words[0],
        platform=instruction.flag("platform"),
        leading=leading,
        from_instruction=instruction,
        body=body,
    )
