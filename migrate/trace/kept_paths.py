"""A ``mkdir`` or ``rm`` of a host path stays when what stays of the driver still uses the path after it.

Without ``mkdir -p dist`` a kept ``cd dist`` fails, or, without ``set -e``,
leaves what follows in the wrong directory.  An ``rm`` of a directory a kept
``mkdir`` makes stays as well, so the host ends as it did.  Keeping one can
make another needed, hence the loop.
"""

from __future__ import annotations

import posixpath
import re

from migrate.plan import DriverEdit, RemoveStep
from migrate.read.ops import Build, Container, HostCommand, Site, build_paths, where
from migrate.trace.args import driver_kind
from migrate.trace.flow import Flow
from migrate.trace.paths import is_under


class KeptPaths:
    def __init__(self, flow: Flow, steps_by_site: dict[Site, list], decisions: list[str]) -> None:
        self.flow = flow
        self.driver = flow.reading.driver
        self.facts = flow.reading.facts
        self.steps_by_site = steps_by_site
        self.decisions = decisions

    def keep(self, edits: list[DriverEdit]) -> list[DriverEdit]:
        """``edits`` without the removals of ``mkdir`` and ``rm`` steps whose paths are still used; each kept one is noted."""
        while True:
            removed = self._removed_ops(edits)
            for index, edit in enumerate(edits):
                op = self._removed_op(edit)
                name = command_name(op) if isinstance(op, HostCommand) and op.cwd.known else ""
                why = self._still_used(op, name, removed) if name in ("mkdir", "rm") else None
                if why is not None:
                    self._note_kept(op, name, why, removed)
                    del edits[index]
                    break
            else:
                return edits

    def position(self, op) -> int:
        """Where an operation runs in the driver's order (a function's line can come before its call)."""
        return next(index for index, candidate in enumerate(self.driver.operations) if candidate is op)

    def _still_used(self, op: HostCommand, name: str, removed: set[int]) -> str | None:
        """Why the path a removed ``mkdir`` or ``rm`` names is still used, or None."""
        paths = named_paths(op)
        why = self._later_use(op, paths, removed)
        if why is None and name == "mkdir":
            entered = next((path for path in paths if self._entered_in_text(path)), None)
            why = None if entered is None else f"the driver still changes into {self.facts.relative(entered)}"
        if why is None and name == "rm":
            why = self._made_by_kept_mkdir(op, paths, removed)
        return why

    def _note_kept(self, op: HostCommand, name: str, why: str, removed: set[int]) -> None:
        paths = named_paths(op)
        if driver_kind(self.driver, op.site.file) == "python":
            what = f"the {name} of {', '.join(self.facts.relative(path) for path in paths)}"
        else:
            what = "`" + " ".join(w.text for w in op.argv) + "`"
        if name == "rm" and not _forced(op):
            made = self._kept_mkdir_paths(op, removed)
            if not all(any(is_under(m, path) for m in made) or self.facts.existed_before_run(path) for path in paths):
                raise self.flow.refusal(
                    op.site,
                    f"{what} stays because {why}, but it also removes the extracted artifact, which no longer "
                    "exists on the host; split the command or use rm -f",
                )
        self.decisions.append(f"{where(op.site)}: {what} stays: {why}")

    def _removed_op(self, edit: DriverEdit):
        """The step a remove edit takes away, or None when that cannot be told."""
        if not isinstance(edit, RemoveStep):
            return None
        steps = self.steps_by_site.get(edit.site, [])
        if edit.position is not None:
            return steps[edit.position]
        return steps[0] if len(steps) == 1 else None

    def _removed_ops(self, edits: list[DriverEdit]) -> set[int]:
        """The ``id`` of every step the edits take away."""
        removed: set[int] = set()
        for edit in edits:
            if not isinstance(edit, RemoveStep):
                continue
            steps = self.steps_by_site.get(edit.site, [])
            removed.update(id(step) for step in ([steps[edit.position]] if edit.position is not None else steps))
        return removed

    def _later_use(self, op: HostCommand, paths: list[str], removed: set[int]) -> str | None:
        """Why a path of ``op`` is still used after it: a later step runs inside it, or a kept one names it."""
        if not paths:
            return None
        for later in self.driver.operations[self.position(op) + 1 :]:
            cwd = getattr(later, "cwd", None)
            inside = cwd is not None and cwd.known and any(is_under(cwd.key, path) for path in paths)
            # The `cd` or `pushd` that made a shell step run there stays when the step goes; Python's cwd= goes with its call.
            if inside and (id(later) not in removed or driver_kind(self.driver, later.site.file) != "python"):
                return f"the driver still changes into {self.facts.relative(cwd.key)}"
            if id(later) in removed:
                continue
            for named in _step_paths(later):
                path = next((path for path in paths if is_under(named, path)), None)
                if path is not None:
                    return f"line {later.site.line} still uses {self.facts.relative(path)}"
        return None

    def _entered_in_text(self, path: str) -> bool:
        """A ``cd``, ``pushd`` or ``chdir`` anywhere in the driver that may enter ``path``, which no step need show (``cd dist; cd ..``)."""
        name = posixpath.basename(path)
        for reading in (self.driver, *self.driver.parts):
            for match in _ENTERS.finditer(reading.text):
                if name in match.group(1).split("/"):
                    return True
        return False

    def _kept_mkdir_paths(self, op: HostCommand, removed: set[int]) -> list[str]:
        """The paths the kept ``mkdir`` steps before ``op`` make."""
        made: list[str] = []
        for earlier in self.driver.operations[: self.position(op)]:
            if isinstance(earlier, HostCommand) and id(earlier) not in removed and command_name(earlier) == "mkdir" and earlier.cwd.known:
                made.extend(named_paths(earlier))
        return made

    def _made_by_kept_mkdir(self, op: HostCommand, paths: list[str], removed: set[int]) -> str | None:
        for made in self._kept_mkdir_paths(op, removed):
            path = next((path for path in paths if is_under(made, path)), None)
            if path is not None:
                return f"the driver still makes {self.facts.relative(made)}"
        return None


_ENTERS = re.compile(r"""(?:(?<![\w.-])(?:cd|pushd)\s+(?:-[LPe@]+\s+)*|chdir\(\s*)["']?([^\s"';&|)]+)""")
"""A directory change in driver text, with the directory it names."""


def command_name(op: HostCommand) -> str:
    return posixpath.basename(op.argv[0].key) if op.argv and op.argv[0].known else ""


def named_paths(op: HostCommand) -> list[str]:
    """The known paths a host command names, from its directory; its options left out."""
    return [
        posixpath.normpath(posixpath.join(op.cwd.key, word.key))
        for word in op.argv[1:]
        if word.known and not word.key.startswith("-")
    ]


def _step_paths(op) -> list[str]:
    """Host paths a step names: a host command's arguments, a build's context and Dockerfile, a bind mount's source."""
    if isinstance(op, HostCommand):
        return named_paths(op) if op.cwd.known else []
    if isinstance(op, Build):
        return [path for path in build_paths(op) if path is not None]
    if isinstance(op, Container) and op.cwd.known:
        return [
            posixpath.normpath(posixpath.join(op.cwd.key, volume.host.key))
            for volume in op.volumes
            if volume.host.known and volume.host.key.startswith(("/", "."))
        ]
    return []


def _forced(op: HostCommand) -> bool:
    """``rm -f``: a path that is not there is no error."""
    return any(w.key == "--force" or w.key.startswith("-") and not w.key.startswith("--") and "f" in w.key for w in op.argv[1:])
