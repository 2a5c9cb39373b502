"""The rule registry: every rule well formed and unique, each with a complete documentation, found without loading any.

The checks themselves are tried on broken registries and documentations, so
that a check that stops looking fails here.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from migrate.errors import InputError, Location, Refusal
from migrate.rules import Family, Kind, Rule
from migrate.rules.doc import SECTIONS, DocProblem, parse_doc
from migrate.rules.registry import all_rules, documentation_problems, families, find_rule, registry_problems

COMPLETE = """\
## What it means

A file the migration would change is a link.

## Example

```make
## a Makefile comment is no heading
build: ; docker build .
```

## Why a migration would be wrong

The link would become a file.

## What you can change

Name the file itself.
"""


def test_every_registered_rule_is_well_formed_unique_and_in_its_familys_module():
    assert registry_problems() == []


def test_every_registered_rule_has_a_complete_documentation_and_every_documentation_a_rule():
    assert documentation_problems() == []
    for rule in all_rules():
        text = rule.doc().markdown(rule.title)
        assert text.startswith(f"# {rule.code}: {rule.title}\n")
        assert all(f"## {section}\n" in text for section in SECTIONS)


def test_the_families_are_the_six_hundreds_in_order():
    assert [(family.digit, family.name) for family in families()] == [
        (0, "reading"),
        (1, "tracing"),
        (2, "host-steps"),
        (3, "dockerfile"),
        (4, "driver-rewrite"),
        (5, "safety"),
    ]
    assert [rule.code for rule in all_rules()] == sorted(rule.code for rule in all_rules())


def test_a_rule_is_found_by_its_code_or_its_name():
    from migrate.rules.safety import SYMLINK_TARGET

    assert find_rule("DM501") is SYMLINK_TARGET
    assert find_rule("dm501") is SYMLINK_TARGET
    assert find_rule("symlink-target") is SYMLINK_TARGET
    assert find_rule("DM599") is None


def test_a_stop_carries_the_rule_it_applies():
    from migrate.rules.safety import SYMLINK_TARGET, WRITE_FAILED

    assert Refusal(Location(Path("Dockerfile")), "it is a symlink", rule=SYMLINK_TARGET).rule is SYMLINK_TARGET
    assert InputError(Location(Path(".")), "cannot write", rule=WRITE_FAILED).rule is WRITE_FAILED
    assert Refusal(Location(Path("Dockerfile")), "no rule named yet").rule is None


# -- the registry check finds what is wrong ----------------------------------------------------

HOSTS = Family(2, "host-steps", "Host steps")
SAFETY = Family(5, "safety", "Safety")


def family_module(name: str, family: Family | None, **rules: Rule) -> types.ModuleType:
    module = types.ModuleType(name)
    if family is not None:
        module.FAMILY = family
    for constant, rule in rules.items():
        setattr(module, constant, rule)
    return module


@pytest.mark.parametrize(
    "modules, problem",
    [
        ((family_module("hosts", HOSTS, A=Rule("DM501", "a-rule", HOSTS, Kind.REFUSAL, "Title")),), "codes are DM2nn"),
        ((family_module("hosts", HOSTS, A=Rule("DM200", "a-rule", HOSTS, Kind.REFUSAL, "Title")),), "not ending in 00"),
        ((family_module("hosts", HOSTS, A=Rule("DM2001", "a-rule", HOSTS, Kind.REFUSAL, "Title")),), "three digits"),
        ((family_module("hosts", HOSTS, A=Rule("DM201", "a-rule", SAFETY, Kind.REFUSAL, "Title")),), "written in the host-steps module"),
        (
            (family_module("hosts", HOSTS, A=Rule("DM201", "a-rule", HOSTS, Kind.REFUSAL, "Title"), B=Rule("DM201", "b-rule", HOSTS, Kind.NOTE, "Title")),),
            "the code is",
        ),
        (
            (
                family_module("hosts", HOSTS, A=Rule("DM201", "a-rule", HOSTS, Kind.REFUSAL, "Title")),
                family_module("safety", SAFETY, A=Rule("DM501", "a-rule", SAFETY, Kind.REFUSAL, "Title")),
            ),
            "the name 'a-rule' is",
        ),
        ((family_module("hosts", HOSTS, A=Rule("DM201", "A_rule", HOSTS, Kind.REFUSAL, "Title")),), "not kebab case"),
        ((family_module("hosts", HOSTS, A=Rule("DM201", "a-rule", HOSTS, Kind.REFUSAL, "A title.")),), "without a final period"),
        ((family_module("hosts", HOSTS, A=Rule("DM201", "a-rule", HOSTS, Kind.REFUSAL, "Two\nlines")),), "one line"),
        ((family_module("hosts", HOSTS, A=Rule("DM201", "a-rule", HOSTS, "refusal", "Title")),), "not a Kind"),
        ((family_module("hosts", None),), "no FAMILY"),
        ((family_module("hosts", HOSTS), family_module("more", Family(2, "more", "More"))), "family digit 2"),
    ],
)
def test_the_registry_check_names_each_fault(modules, problem):
    problems = registry_problems(modules)
    assert any(problem in found for found in problems), problems


def test_a_well_formed_registry_passes_the_check():
    module = family_module("hosts", HOSTS, A=Rule("DM201", "a-rule", HOSTS, Kind.REFUSAL, "Title"), B=Rule("DM202", "b-rule", HOSTS, Kind.NOTE, "Title"))
    assert registry_problems((module,)) == []


# -- the documentation check finds what is wrong ------------------------------------------------


def test_a_complete_documentation_reads_into_its_four_sections():
    doc = parse_doc("DM501", COMPLETE)
    assert doc.meaning == "A file the migration would change is a link."
    assert doc.example.startswith("```make\n## a Makefile comment is no heading\n")
    assert doc.why == "The link would become a file."
    assert doc.change == "Name the file itself."


@pytest.mark.parametrize(
    "text, problem",
    [
        (COMPLETE.replace("## Example\n", "## Examples\n"), "missing 'Example'"),
        (COMPLETE.replace("## What you can change\n\nName the file itself.\n", ""), "missing 'What you can change'"),
        (COMPLETE + "\n## See also\n\nDM502\n", "not a section of a rule's documentation: 'See also'"),
        (COMPLETE.replace("The link would become a file.", ""), "'Why a migration would be wrong' is empty"),
        ("# DM501: A title\n\n" + COMPLETE, "text before the first section"),
        (COMPLETE.replace("```make\n## a Makefile comment is no heading\nbuild: ; docker build .\n```", "Just words."), "no fenced code block"),
        (COMPLETE.replace("build: ; docker build .\n```", "build: ; docker build ."), "not closed"),
        (
            COMPLETE.replace("## What it means\n\nA file the migration would change is a link.\n\n", "") + "\n## What it means\n\nLate.\n",
            "out of order",
        ),
    ],
)
def test_the_documentation_check_names_each_fault(text, problem):
    with pytest.raises(DocProblem, match=problem):
        parse_doc("DM501", text)


def test_a_rule_without_a_documentation_and_a_documentation_without_a_rule_are_both_problems(monkeypatch):
    import migrate.rules.doc

    undocumented = Rule("DM299", "undocumented", HOSTS, Kind.REFUSAL, "Title")
    problems = documentation_problems((*all_rules(), undocumented))
    assert problems == ["DM299: no documentation (migrate/rules/docs/DM299.md)"]
    monkeypatch.setattr(migrate.rules.doc, "documented_codes", lambda: [rule.code for rule in all_rules()] + ["DM598"])
    assert documentation_problems() == ["DM598: a documentation without a registered rule"]


# -- start-up: naming a rule costs next to nothing -------------------------------------------------


def loaded_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(name for name in sys.modules if name.startswith('migrate'))))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_naming_a_rule_loads_neither_the_registry_nor_any_documentation():
    assert loaded_after("from migrate.rules.safety import SYMLINK_TARGET") == {"migrate", "migrate.rules", "migrate.rules.rule", "migrate.rules.safety"}


def test_listing_the_rules_reads_no_documentation():
    loaded = loaded_after("from migrate.rules.registry import all_rules\nassert all_rules()")
    assert "migrate.rules.registry" in loaded and "migrate.rules.doc" not in loaded


def test_a_migration_loads_no_rule_documentation(tmp_path):
    from support import make_project

    driver = (
        "#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\ndocker create --name x app:build\n"
        "docker cp x:/out/app app\ndocker rm x\ndocker build -t app .\n"
    )
    root = make_project(
        tmp_path / "p",
        {"build.sh": driver, "Dockerfile.build": "FROM golang:1.21\nRUN go build -o /out/app .\n", "Dockerfile": "FROM alpine:3.19\nCOPY app /app\n"},
    )
    loaded = loaded_after(
        "from pathlib import Path\nfrom migrate.migration import Options, migrate_driver\n"
        f"assert migrate_driver(Path({str(root / 'build.sh')!r}), Options()).status == 'pending'"
    )
    assert "migrate.trace" in loaded
    assert "migrate.rules.doc" not in loaded and "migrate.rules.registry" not in loaded


def test_the_bottom_layer_imports_nothing_of_dmigrate():
    assert loaded_after("import migrate.errors") == {"migrate", "migrate.errors"}
    assert loaded_after("import migrate.display") == {"migrate", "migrate.display"}
