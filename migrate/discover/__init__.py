"""Discovery: which drivers the PATH arguments of a run stand for.

- :mod:`~migrate.discover.walk`: the walk of the roots (git's ignore rules, never through a symlink) → :class:`Place`\\ s;
- :mod:`~migrate.discover.drivers`: which files of one directory are drivers;
- :mod:`~migrate.discover.search`: the drivers of a place, of a named file, of all the PATHs.

Discovery only finds drivers; migrating them is :mod:`migrate.migration`'s.
"""

from migrate.discover.drivers import drivers_among, drivers_in, may_be_driver
from migrate.discover.search import NO_DRIVER, RealPaths, drivers_of, find_drivers, internal_error, named_file_problem
from migrate.discover.walk import SKIPPED_DIRECTORIES, Place, Unwalked, WalkCount, places, walk

__all__ = [
    "NO_DRIVER", "SKIPPED_DIRECTORIES", "Place", "RealPaths", "Unwalked", "WalkCount", "drivers_among", "drivers_in",
    "drivers_of", "find_drivers", "internal_error", "may_be_driver", "named_file_problem", "places", "walk",
]  # fmt: skip
