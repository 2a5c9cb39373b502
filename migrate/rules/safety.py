"""Safety (DM5xx): writing the migration would break something that is not the build.

A file to change that is a symlink or lies outside the project root, work
that is not committed, a file that changed since it was read, two projects
of one run that change the same file, and a write that was interrupted.

Each rule is a module constant: ``NAME = Rule("DM5nn", "kebab-name", FAMILY, Kind.REFUSAL, "One-line title")``,
with its documentation in ``migrate/rules/docs/DM5nn.md`` (see :mod:`migrate.rules.doc`).
"""

from migrate.rules.rule import Family, Kind, Rule

FAMILY = Family(5, "safety", "Writing the migration safely")

SYMLINK_TARGET = Rule("DM501", "symlink-target", FAMILY, Kind.REFUSAL, "A file the migration would change is a symlink")
OUTSIDE_ROOT = Rule("DM502", "outside-root", FAMILY, Kind.REFUSAL, "A file the migration would read, write or delete lies outside the project root")
UNCOMMITTED_FILE = Rule("DM503", "uncommitted-file", FAMILY, Kind.REFUSAL, "A file the migration would change has work that is not committed")
COMMIT_STATE_UNKNOWN = Rule("DM504", "commit-state-unknown", FAMILY, Kind.REFUSAL, "git cannot tell whether a file the migration would change is committed")
CHANGED_SINCE_READ = Rule("DM505", "changed-since-read", FAMILY, Kind.REFUSAL, "A file changed after dmigrate read it")
SHARED_FILE = Rule("DM506", "shared-file", FAMILY, Kind.REFUSAL, "Two projects of one run would change the same file")
INTERRUPTED_WRITE_WAITS = Rule("DM507", "interrupted-write-waits", FAMILY, Kind.ERROR, "An interrupted migration of the project waits to be finished")
INTERRUPTED_WRITE_STUCK = Rule("DM508", "interrupted-write-stuck", FAMILY, Kind.ERROR, "An interrupted migration cannot be finished or rolled back")
WRITE_FAILED = Rule("DM509", "write-failed", FAMILY, Kind.ERROR, "The migration could not be written")
