"""A rule's documentation: one Markdown file per rule, ``migrate/rules/docs/DMnnn.md``.

The file holds exactly these four sections, in this order, each a level-two
heading followed by text that is not empty (the title is the rule's own, in
the registry, and is not repeated here)::

    ## What it means
    What dmigrate found, in the user's words.

    ## Example
    A minimal project, or the lines of it that matter, in fenced code blocks.

    ## Why a migration would be wrong
    What the migrated build would do differently from the legacy one (or,
    for the safety rules, what writing would break).

    ## What you can change
    What the user can do so that dmigrate can migrate the project.

Files are read with :mod:`importlib.resources`, so they work from a wheel
as from a checkout, and only when a documentation is asked for: listing the
rules reads none, and a migration reads none.
"""

from __future__ import annotations

from dataclasses import dataclass

SECTIONS = ("What it means", "Example", "Why a migration would be wrong", "What you can change")


@dataclass(frozen=True)
class RuleDoc:
    code: str
    meaning: str
    example: str
    why: str
    change: str

    def markdown(self, title: str | None = None) -> str:
        """The documentation as one Markdown text, under ``# CODE: title`` when a title is given."""
        parts = [f"# {self.code}: {title}\n\n"] if title else []
        for heading, body in zip(SECTIONS, (self.meaning, self.example, self.why, self.change)):
            parts.append(f"## {heading}\n\n{body}\n\n")
        return "".join(parts).rstrip("\n") + "\n"


class DocProblem(Exception):
    """A documentation that does not hold what :mod:`migrate.rules.doc` requires; the message says what is wrong."""


def parse_doc(code: str, text: str) -> RuleDoc:
    """The sections of a documentation's text; :class:`DocProblem` when one is missing, empty, out of order, or extra."""
    before, sections, fences = _split(text)
    if fences % 2:
        raise DocProblem(f"{code}: a fenced code block (```) is not closed")
    if before.strip():
        raise DocProblem(f"{code}: text before the first section (the title comes from the registry): {before.strip()[:60]!r}")
    found = tuple(heading for heading, _ in sections)
    if found != SECTIONS:
        missing = [name for name in SECTIONS if name not in found]
        extra = [name for name in found if name not in SECTIONS]
        if missing:
            detail = "missing " + ", ".join(repr(name) for name in missing)
        elif extra:
            detail = "not a section of a rule's documentation: " + ", ".join(repr(name) for name in extra)
        else:
            detail = "out of order or repeated"
        raise DocProblem(f"{code}: the sections must be {', '.join(repr(name) for name in SECTIONS)}, in this order: {detail}")
    for heading, body in sections:
        if not body:
            raise DocProblem(f"{code}: the section {heading!r} is empty")
    example = sections[1][1]
    if not any(line.startswith("```") for line in example.splitlines()):
        raise DocProblem(f"{code}: the section 'Example' holds no fenced code block (```)")
    return RuleDoc(code, *(body for _, body in sections))


def _split(text: str) -> tuple[str, list[tuple[str, str]], int]:
    """The text before the first ``## `` heading, each heading with its text, and how many fences were seen.

    A line inside a fenced code block is never a heading (a Makefile's ``## help`` comment stays in its example).
    """
    before: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    fences = 0
    for line in text.splitlines():
        if line.startswith("```"):
            fences += 1
        elif fences % 2 == 0 and line.startswith("## "):
            sections.append((line[3:].strip(), []))
            continue
        (sections[-1][1] if sections else before).append(line)
    return "\n".join(before), [(heading, "\n".join(lines).strip()) for heading, lines in sections], fences


def doc_text(code: str) -> str | None:
    """The text of ``docs/<code>.md`` in the package; None when there is none."""
    from importlib.resources import files

    resource = files("migrate.rules").joinpath("docs", f"{code}.md")
    try:
        return resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def load_doc(code: str) -> RuleDoc:
    """The documentation of the rule ``code``; :class:`DocProblem` when it is missing or incomplete."""
    text = doc_text(code)
    if text is None:
        raise DocProblem(f"{code}: no documentation (migrate/rules/docs/{code}.md)")
    return parse_doc(code, text)


def documented_codes() -> list[str]:
    """The codes that have a documentation file, sorted."""
    from importlib.resources import files

    directory = files("migrate.rules").joinpath("docs")
    return sorted(entry.name[: -len(".md")] for entry in directory.iterdir() if entry.name.endswith(".md"))
