"""Discovery: which drivers the PATH arguments of a run stand for.

- :mod:`~migrate.discover.walk`: the walk of the roots (git's ignore rules, never through a symlink) → :class:`~migrate.discover.walk.Place`\\ s;
- :mod:`~migrate.discover.drivers`: which files of one directory are drivers;
- :mod:`~migrate.discover.search`: the drivers of a place, of a named file, of all the PATHs.

Discovery only finds drivers; migrating them is :mod:`migrate.migration`'s.
Only :mod:`~migrate.discover.drivers` is imported here: a run that names a
driver file walks nothing.
"""

from migrate.discover.drivers import drivers_among, drivers_in, may_be_driver

__all__ = ["drivers_among", "drivers_in", "may_be_driver"]
