"""The rules dmigrate applies: every kind of refusal, error, warning and note, each with a code and a documentation.

- :mod:`~migrate.rules.rule`: the types (:class:`Rule`, :class:`Family`, :class:`Kind`);
- one module per family holds that family's rules, as module constants
  (:mod:`~migrate.rules.reading` DM0xx, :mod:`~migrate.rules.tracing` DM1xx,
  :mod:`~migrate.rules.host_steps` DM2xx, :mod:`~migrate.rules.dockerfile` DM3xx,
  :mod:`~migrate.rules.driver_rewrite` DM4xx, :mod:`~migrate.rules.safety` DM5xx);
- each rule's documentation is one Markdown file, ``docs/DMnnn.md``, in the
  format :mod:`~migrate.rules.doc` reads and checks;
- :mod:`~migrate.rules.registry` finds every rule, and checks that the
  registry and the documentation are complete.

A call site names its rule (``raise Refusal(location, reason, rule=SYMLINK_TARGET)``)
by importing the family module, which costs a few small objects: neither the
registry nor any documentation is loaded until something lists the rules or
shows one.
"""

from migrate.rules.rule import Family, Kind, Rule

__all__ = ["Family", "Kind", "Rule"]
