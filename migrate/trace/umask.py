"""The umask each host command of the driver runs under.

A file or directory the host writes takes its mode from the umask, and the
migrated build, which writes it in a stage instead, does not: where the mode
ends up in the image, the tracer needs the umask in force.  Each ``umask``
command reaches only the shells it runs in (its script and the scripts that
script runs, not its caller; one recipe line, or one ``.ONESHELL`` recipe; not
a subshell's siblings).  A line that sets a umask some other way (``os.umask``,
``sh -c``) makes it unknown from there on.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from migrate.read.ops import HostCommand, Site, where
from migrate.read.project import ProjectReading

_UMASK_SET = re.compile(r"\bumask(?:\s*\(|(?:\s+-[Sp])*+\s+(?:[0-7$\"'`]|[ugoa]*[-+=]))")
"""A call (``os.umask(...)``) or a umask with a value; ``$(umask)``, ``umask -S`` or prose only mention it."""


@dataclass(frozen=True)
class Umask:
    """The umask a host command runs under, as far as the driver shows it."""

    value: int | None
    """None when it cannot be known."""
    site: Site | None = None
    """The ``umask`` that set it (or made it unknown); None for the default dmigrate assumes."""
    why: str = ""
    """Why it cannot be known, said of the ``umask`` at ``site``."""


DEFAULT_UMASK = Umask(0o022)


@dataclass(frozen=True)
class _UmaskSet:
    """A ``umask`` command of the driver and the shell it runs in."""

    site: Site
    shown: str
    value: int | None
    why: str
    """Why ``value`` cannot be known."""
    shell: tuple | None
    """Which shell runs it: ``("file", path)`` for a script, ``("recipe", id)`` for a recipe; None when that cannot be told."""
    span: tuple[int, int] | None
    """The command's bytes in that shell's text."""
    within: tuple[int, int] | None
    """The bytes of the subshell (``( )``, a pipeline, ``$( )``, ``&``) it runs in, which it applies to alone."""


class Umasks:
    """The driver's ``umask`` commands, recorded as the tracer walks the flow, and the umask they leave for a later command."""

    def __init__(self, reading: ProjectReading) -> None:
        self.reading = reading
        self.sets: list[_UmaskSet] = []
        self.elsewhere = _unread_umask(reading)
        """A line that sets a umask in a way dmigrate does not follow."""
        self.trees: dict[tuple, object] = {}
        """Each shell text a ``umask`` or a command stands in, parsed once."""

    def record(self, op: HostCommand) -> None:
        """A ``umask`` command of the driver, in the order the driver runs it."""
        from migrate.read.host_args import read_umask

        command = read_umask([w.key for w in op.argv])
        if command is None:
            return
        shown = " ".join(w.text for w in op.argv)
        value, why = command.value, ""
        if value is None:
            known = all(w.known for w in op.argv)
            why = f"`{shown}` ({where(op.site)}) sets " + ("a symbolic umask" if known else "a umask that cannot be known without running the driver")
        elif op.site.guard:
            value, why = None, f"`{shown}` ({where(op.site)}) is {op.site.guard}"
        shell, span, within, in_function = self._shell_place(op.site)
        if in_function:
            shell = None
        self.sets.append(_UmaskSet(op.site, shown, value, why, shell, span, within))

    def at(self, site: Site) -> Umask:
        """The umask the command at ``site`` runs under; each ``umask`` of the driver reaches only the shells it runs in."""
        for umask in reversed(self.sets):
            reach = self._reaches(umask, site)
            if reach == "no":
                continue
            if reach == "maybe":
                return Umask(
                    None,
                    umask.site,
                    f"`{umask.shown}` ({where(umask.site)}) sets the umask in a shell dmigrate cannot tell {where(site)} runs in",
                )
            return Umask(umask.value, umask.site, umask.why)
        elsewhere = self.elsewhere
        if elsewhere is not None:
            return Umask(None, elsewhere, f"{where(elsewhere)} sets a umask in a way dmigrate does not follow")
        return DEFAULT_UMASK

    def _reaches(self, umask: _UmaskSet, site: Site) -> str:
        """``yes``, ``no`` or ``maybe``: whether a ``umask`` applies to the later command at ``site``."""
        driver = self.reading.driver
        in_script = umask.shell is not None and umask.shell[0] == "file" and umask.shell[1] != driver.path
        if in_script and site.file == driver.path:
            return "no"  # the scripts the driver runs are processes of their own: a umask there never reaches back
        shell, span, within, in_function = self._shell_place(site)
        if umask.shell is None or shell is None:
            return "maybe"
        same = shell == umask.shell
        if umask.within is not None:
            if not same or in_function:
                return "maybe"
            if not (umask.within[0] <= span[0] and span[1] <= umask.within[1]):
                return "no"
        if same:
            if in_script and span[0] < umask.span[1]:
                # A script run a second time starts again from its caller's umask.
                return "maybe"
            return "yes"
        if umask.shell == ("file", driver.path) and driver.kind == "shell":
            return "yes"  # the scripts it runs inherit it
        if umask.shell[0] == "recipe" and shell[0] == "recipe":
            return "no"  # make runs every recipe line (every recipe under .ONESHELL) in a shell of its own
        return "maybe"

    def _shell_place(self, site: Site) -> tuple[tuple | None, tuple[int, int] | None, tuple[int, int] | None, bool]:
        """The shell a command runs in, its bytes in that shell's text, the subshell it is in, and whether a function runs it."""
        from migrate.read.makefile import MakeAnchor
        from migrate.read.shell import ShellAnchor, _parser

        anchor = site.anchor
        if isinstance(anchor, MakeAnchor):
            shell, text, command = ("recipe", id(anchor.recipe)), anchor.recipe.shell, anchor.shell
        elif isinstance(anchor, ShellAnchor):
            reading = next((r for r in (self.reading.driver, *self.reading.driver.parts) if r.path == site.file), None)
            if reading is None:
                return None, None, None, False
            shell, text, command = ("file", site.file), reading.text.encode("utf-8"), anchor
        else:
            return None, None, None, False
        if shell not in self.trees:
            self.trees[shell] = _parser().parse(text)
        start, end = command.span
        node = self.trees[shell].root_node.descendant_for_byte_range(start, end)
        within = None
        while node is not None and within is None:
            if node.type in ("subshell", "pipeline", "command_substitution", "process_substitution"):
                within = (node.start_byte, node.end_byte)
            node = node.parent
        after = text[end:].lstrip(b" \t")
        if within is None and after.startswith(b"&") and not after.startswith(b"&&"):
            within = (start, end)  # run in the background, in a shell of its own
        return shell, (start, end), within, bool(command.scopes)


def _unread_umask(reading: ProjectReading) -> Site | None:
    """A line that mentions umask where no ``umask`` command was read: os.umask, ``sh -c``, a rule make does not run."""
    read = {
        (op.site.file, op.site.line)
        for op in reading.driver.operations
        if isinstance(op, HostCommand) and op.argv[0].known and posixpath.basename(op.argv[0].key) == "umask"
    }
    for reading in (reading.driver, *reading.driver.parts):
        if "umask" not in reading.text:
            continue
        for number, line in enumerate(reading.text.splitlines(), start=1):
            if line.lstrip().startswith("#") or (reading.path, number) in read:
                continue
            if _UMASK_SET.search(line):
                return Site(reading.path, number, None)
    return None
