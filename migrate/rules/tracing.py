"""Tracing (DM1xx): the flow from the builds to the artifacts cannot be followed to one answer.

Steps that run only sometimes, values known only when the driver runs,
containers that run in the background or twice, artifacts that leave in ways
dmigrate cannot read, builds that do not share their flags.

Each rule is a module constant: ``NAME = Rule("DM1nn", "kebab-name", FAMILY, Kind.REFUSAL, "One-line title")``,
with its documentation in ``migrate/rules/docs/DM1nn.md`` (see :mod:`migrate.rules.doc`).
"""

from migrate.rules.rule import Family, Kind, Rule  # noqa: F401 - the family's rules are written with these

FAMILY = Family(1, "tracing", "Tracing the flow of builds, containers and artifacts")
