"""Every rule, found in the family modules; and the checks that the registry and its documentation are complete.

A family module (one per family, listed in :data:`FAMILY_MODULES`) holds
its :class:`~migrate.rules.rule.Family` as ``FAMILY`` and each of its rules
as a module constant: a rule is registered by being written there, and no
list elsewhere has to name it.  Importing the registry imports the family
modules, never a documentation.
"""

from __future__ import annotations

import functools
import importlib
import re
from types import ModuleType

from migrate.rules.rule import Family, Kind, Rule

FAMILY_MODULES = (
    "migrate.rules.reading",
    "migrate.rules.tracing",
    "migrate.rules.host_steps",
    "migrate.rules.dockerfile",
    "migrate.rules.driver_rewrite",
    "migrate.rules.safety",
)
"""One module per family, in code order: DM0xx, DM1xx … DM5xx."""

_CODE = re.compile(r"DM[0-9](?!00)[0-9]{2}")
_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def family_modules() -> tuple[ModuleType, ...]:
    return tuple(importlib.import_module(name) for name in FAMILY_MODULES)


def families() -> tuple[Family, ...]:
    return tuple(module.FAMILY for module in family_modules())


def rules_of(module: ModuleType) -> tuple[Rule, ...]:
    """The rules a family module holds, by code."""
    return tuple(sorted((value for value in vars(module).values() if isinstance(value, Rule)), key=lambda rule: rule.code))


@functools.cache
def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, by code."""
    return tuple(sorted((rule for module in family_modules() for rule in rules_of(module)), key=lambda rule: rule.code))


def find_rule(code_or_name: str) -> Rule | None:
    """The rule with this code (``DM501``, ``dm501``) or name (``symlink-target``); None when there is none."""
    wanted = code_or_name.strip()
    for rule in all_rules():
        if rule.code == wanted.upper() or rule.name == wanted.lower():
            return rule
    return None


def registry_problems(modules: tuple[ModuleType, ...] | None = None) -> list[str]:
    """What is wrong with the registry: an empty list when every rule is well formed, unique, in its family's module and hundred."""
    modules = family_modules() if modules is None else modules
    problems: list[str] = []
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    digits: dict[int, str] = {}
    for module in modules:
        family = getattr(module, "FAMILY", None)
        if not isinstance(family, Family):
            problems.append(f"{module.__name__}: no FAMILY")
            continue
        if family.digit in digits:
            problems.append(f"{module.__name__}: the family digit {family.digit} is {digits[family.digit]}'s too")
        digits[family.digit] = module.__name__
        for rule in rules_of(module):
            where = f"{module.__name__}: {rule.code}"
            if not _CODE.fullmatch(rule.code):
                problems.append(f"{where}: a code is DM and three digits, not ending in 00")
            if rule.family != family:
                problems.append(f"{where}: its family is {rule.family.name}, but it is written in the {family.name} module")
            elif not family.holds(rule.code):
                problems.append(f"{where}: the {family.name} family's codes are DM{family.digit}nn")
            if rule.code in codes:
                problems.append(f"{where}: the code is {codes[rule.code]}'s too")
            codes[rule.code] = rule.name
            if not _NAME.fullmatch(rule.name):
                problems.append(f"{where}: the name {rule.name!r} is not kebab case")
            if rule.name in names:
                problems.append(f"{where}: the name {rule.name!r} is {names[rule.name]}'s too")
            names[rule.name] = rule.code
            if not isinstance(rule.kind, Kind):
                problems.append(f"{where}: its kind is not a Kind")
            if not rule.title or "\n" in rule.title or rule.title != rule.title.strip() or rule.title.endswith("."):
                problems.append(f"{where}: the title is one line, without a final period")
    return problems


def documentation_problems(rules: tuple[Rule, ...] | None = None) -> list[str]:
    """What is wrong with the documentation: a rule without a complete one, or a documentation without a rule."""
    from migrate.rules.doc import DocProblem, documented_codes, load_doc

    rules = all_rules() if rules is None else rules
    problems: list[str] = []
    for rule in rules:
        try:
            load_doc(rule.code)
        except DocProblem as problem:
            problems.append(str(problem))
    registered = {rule.code for rule in rules}
    problems += [f"{code}: a documentation without a registered rule" for code in documented_codes() if code not in registered]
    return problems
