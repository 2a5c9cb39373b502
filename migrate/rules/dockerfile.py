"""Dockerfile (DM3xx): what the Dockerfiles say that the merged Dockerfile cannot say the same way.

Wildcard and ``ADD`` sources that may match an artifact, ``.dockerignore``
rules, stage names, build arguments, COPY flags the builder lacks, bases
and platforms.

Each rule is a module constant: ``NAME = Rule("DM3nn", "kebab-name", FAMILY, Kind.REFUSAL, "One-line title")``,
with its documentation in ``migrate/rules/docs/DM3nn.md`` (see :mod:`migrate.rules.doc`).
"""

from migrate.rules.rule import Family, Kind, Rule  # noqa: F401 - the family's rules are written with these

FAMILY = Family(3, "dockerfile", "The Dockerfiles and the merged Dockerfile")
