"""What a verification ends with: its status, both flows' runs, and why it stopped when it did."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from migrate.errors import Location
from migrate.verify.build_cache import BuildSteps
from migrate.verify.compare import Difference
from migrate.verify.leftovers import Leftovers
from migrate.verify.snapshot import ImageSnapshot

EQUIVALENT = "equivalent"
DIFFERENT = "different"
NOTHING = "nothing to verify"
REFUSED = "refused"
ERROR = "error"

LEGACY = "legacy"
MIGRATED = "migrated"

OUTPUT_TAIL_LINES = 40


@dataclass(frozen=True)
class InterceptedCommand:
    """A docker command of a flow that did not run as written."""

    argv: tuple[str, ...]
    action: str
    """``intercepted`` (not run), ``changed`` (run as ``ran``) or ``refused``."""
    reason: str
    ran: tuple[str, ...] | None = None

    @property
    def command(self) -> str:
        return shlex.join(self.argv)


@dataclass(frozen=True)
class FlowRun:
    label: str
    argv: tuple[str, ...]
    seconds: float
    returncode: int
    output: str = field(repr=False)
    image_id: str | None = None
    intercepted: tuple[InterceptedCommand, ...] = ()
    steps: BuildSteps | None = None
    """The build steps its output shows, and how many the build cache served."""
    cache_records_before: int | None = None
    """The records in the engine's build cache when the flow started."""
    direct_requests: int = 0
    """Requests that reached the engine without the ``docker`` on PATH (the Docker SDK, a client run by its path)."""

    @property
    def command(self) -> str:
        return shlex.join(self.argv)

    @property
    def failed(self) -> bool:
        return self.returncode != 0 or self.image_id is None

    def output_tail(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        kept = self.output.rstrip("\n").splitlines()[-lines:]
        return "\n".join(kept)


@dataclass(frozen=True)
class Verification:
    driver: Path
    status: str
    message: str = ""
    location: Location | None = None
    engine: str = ""
    engine_version: str = ""
    final_image: str = ""
    migration: str = ""
    """What the migration changed, in the copy."""
    notes: tuple[str, ...] = ()
    """The migration's warnings and decisions."""
    legacy: FlowRun | None = None
    migrated: FlowRun | None = None
    legacy_leftovers: Leftovers | None = None
    migrated_leftovers: Leftovers | None = None
    differences: tuple[Difference, ...] = ()
    compared_paths: int = 0
    cleanup: tuple[str, ...] = ()
    kept_images: tuple[tuple[str, str], ...] = ()
    """``(flow, ref)`` for the final images kept with ``keep_images``."""
    legacy_snapshot: ImageSnapshot | None = field(default=None, repr=False, compare=False)
    migrated_snapshot: ImageSnapshot | None = field(default=None, repr=False, compare=False)

    @property
    def exit_code(self) -> int:
        if self.status in (EQUIVALENT, NOTHING):
            return 0
        if self.status == DIFFERENT:
            return 1
        return 2


class VerifyStop(Exception):
    """An expected reason to stop; becomes a :class:`Verification` with ``status``."""

    def __init__(self, status: str, message: str, location: Location | None = None, **details) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.location = location
        self.details = details


def exit_code(verifications: Iterable[Verification]) -> int:
    return max((v.exit_code for v in verifications), default=0)

