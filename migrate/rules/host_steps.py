"""Host steps (DM2xx): what the driver does to the artifacts on the host between the two builds.

``chmod``, ``mv``, ``cp``, ``tar``, ``mkdir``, the umask,
and commands whose effect on the artifacts their arguments do not tell.

Each rule is a module constant: ``NAME = Rule("DM2nn", "kebab-name", FAMILY, Kind.REFUSAL, "One-line title")``,
with its documentation in ``migrate/rules/docs/DM2nn.md`` (see :mod:`migrate.rules.doc`).
"""

from migrate.rules.rule import Family, Kind, Rule  # noqa: F401 - the family's rules are written with these

FAMILY = Family(2, "host-steps", "Host steps between the builds")
