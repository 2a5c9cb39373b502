"""Reading (DM0xx): a driver or a Dockerfile dmigrate cannot read, or reads only in part.

Files that cannot be opened or decoded, syntax errors, what a reader cannot
follow (``eval``, a computed command, a script it does not read), and
the limits on how much it reads.

Each rule is a module constant: ``NAME = Rule("DM0nn", "kebab-name", FAMILY, Kind.REFUSAL, "One-line title")``,
with its documentation in ``migrate/rules/docs/DM0nn.md`` (see :mod:`migrate.rules.doc`).
"""

from migrate.rules.rule import Family, Kind, Rule  # noqa: F401 - the family's rules are written with these

FAMILY = Family(0, "reading", "Reading drivers and Dockerfiles")
