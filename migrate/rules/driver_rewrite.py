"""Driver rewrite (DM4xx): the driver cannot be rewritten to run the one build the same way.

Code that stays and still uses what the migration removes (the deleted
build Dockerfile, the artifacts on the host), and driver text that cannot be
changed in place.

Each rule is a module constant: ``NAME = Rule("DM4nn", "kebab-name", FAMILY, Kind.REFUSAL, "One-line title")``,
with its documentation in ``migrate/rules/docs/DM4nn.md`` (see :mod:`migrate.rules.doc`).
"""

from migrate.rules.rule import Family, Kind, Rule  # noqa: F401 - the family's rules are written with these

FAMILY = Family(4, "driver-rewrite", "Rewriting the driver")
