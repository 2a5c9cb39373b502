"""What a rule is: a stable code, a family, a kind, a one-line title, and a documentation kept beside it.

This module imports nothing of dmigrate's, so that every layer may name a rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrate.rules.doc import RuleDoc


class Kind(str, Enum):
    """How a rule shows when it applies."""

    REFUSAL = "refusal"
    """The input was understood, but an equivalent migration cannot be proven: nothing changes (:class:`migrate.errors.Refusal`)."""
    ERROR = "error"
    """The input cannot be read (:class:`migrate.errors.InputError`)."""
    WARNING = "warning"
    """The migration goes ahead, and something about it needs the user's attention."""
    NOTE = "note"
    """The migration goes ahead; a decision it made is said."""


@dataclass(frozen=True)
class Family:
    """A group of rules about one part of the flow, numbered by its own hundred: ``DM<digit>nn``."""

    digit: int
    name: str
    """A short name in kebab case (``host-steps``), as the rule listing groups by."""
    title: str
    """What the family's rules are about, in a few words."""

    def holds(self, code: str) -> bool:
        """Whether ``code`` lies in this family's hundred."""
        return len(code) == 5 and code.startswith(f"DM{self.digit}")


@dataclass(frozen=True)
class Rule:
    """One kind of refusal, error, warning or note.

    ``code`` (``DMnnn``) is stable: once released it always means this rule,
    and a rule that goes away leaves its code unused.  The documentation is
    ``migrate/rules/docs/<code>.md``, read only when asked for (:meth:`doc`).
    """

    code: str
    name: str
    """The rule in a few words, kebab case (``symlink-target``), unique like the code."""
    family: Family
    kind: Kind
    title: str
    """One line that says what happened, without a final period: the rule listing's text."""

    def doc(self) -> RuleDoc:
        """The rule's documentation (read from the package, and checked, on each call)."""
        from migrate.rules.doc import load_doc

        return load_doc(self.code)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
