"""The plan's edits must be writable, and must mean the same where they are written: trace decides, the emitters only write.

Run last, on the finished plan: a file outside the flow that names a file
the migration deletes; COPY flags the classic builder lacks; build args
carried into another kind of driver text, or into another Makefile rule,
or into a form of Python call that cannot say them; a removed command in an
``||`` chain; a Python statement that runs a step that goes and one that
stays.  Each is a :class:`~migrate.errors.Refusal` at the line that would
have to change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from migrate.errors import Location, Refusal
from migrate.plan import AddBuildArgs, BuildArgValue, CopySpec, DriverEdit, Plan, RemoveStep, RetargetBuild
from migrate.read.ops import Build, DriverReading, Site

# COPY flags the classic builder (DOCKER_BUILDKIT=0) rejects; --from and --chown it has.
_BUILDKIT_COPY_FLAGS = frozenset({"--chmod", "--link", "--parents", "--exclude", "--checksum", "--keep-git-dir"})
_MAKE_REFERENCE = re.compile(r"\$(?:\(([^()]*)\)|\{([^{}]*)\}|(.))")


def check_writable(
    plan: Plan,
    *,
    naming: dict[str, tuple[tuple[str, int], ...]],
    classic_builder: tuple[Location, str] | None = None,
    keep_legacy: bool = False,
) -> None:
    """Refuse what the emitters could not write faithfully.

    ``naming``: the files outside the flow that name a project file (``HostFacts.naming``);
    ``classic_builder``: where the driver may choose the classic builder, and how it says so.
    """
    if not keep_legacy:
        _check_named_by(plan, naming)
    _check_classic_builder(plan, classic_builder)
    files = plan.edits_by_file()
    for destination, edits in files:
        _check_carried(destination, edits)
    for destination, edits in files:
        if destination.kind == "make":
            _check_makefile(destination, edits)
        elif destination.kind == "python":
            _check_python(destination, edits)
        else:
            _check_shell(destination, edits)


def _refuse(reading: DriverReading, line: int | None, reason: str) -> Refusal:
    return Refusal(Location(reading.path, line), reason)


# -- the files around the flow -------------------------------------------------------------------


def _check_named_by(plan: Plan, naming: dict[str, tuple[tuple[str, int], ...]]) -> None:
    """A file outside the flow (another driver, compose, CI) that names a file the migration deletes would break."""
    named = [(path, Path(other), line) for path in plan.deleted for other, line in naming.get(str(path), ())]
    if not named:
        return
    deleted, other, line = named[0]
    others = len({str(o) for _, o, _ in named}) - 1
    more = f" (as do {others} more files)" if others > 1 else " (as does 1 more file)" if others else ""
    raise Refusal(
        Location(other, line),
        f"this line names {deleted.name}, which migrating {plan.driver.path.name} deletes{more}, so it would break; "
        f"migrate or change it first, or pass --keep-legacy to keep {deleted.name}",
    )


def _check_classic_builder(plan: Plan, classic: tuple[Location, str] | None) -> None:
    """A COPY flag only BuildKit has, where the driver may build with the classic builder."""
    if classic is None:
        return
    location, setting = classic
    for stage_plan in plan.stages:
        specs = [line for line in stage_plan.extra_lines if isinstance(line, CopySpec)]
        specs += [spec for edit in stage_plan.edits for spec in edit.replacement]
        for spec in specs:
            flag = next((f for f in spec.flags if f.split("=", 1)[0].lower() in _BUILDKIT_COPY_FLAGS), None)
            if flag is not None:
                raise Refusal(
                    location,
                    f"`{setting}` may make docker build with the classic builder, which rejects COPY {flag.split('=', 1)[0]}, "
                    f"and the migrated Dockerfile needs `{spec.written()}`; build with BuildKit (DOCKER_BUILDKIT=1) instead",
                )


def _check_carried(destination: DriverReading, edits: tuple[DriverEdit, ...]) -> None:
    """A value written in another kind of driver text can be carried only as the value it is known to have."""
    for edit in edits:
        if not isinstance(edit, AddBuildArgs):
            continue
        for arg in edit.args:
            if arg.environment is None and arg.value is not None and arg.syntax != destination.kind and not arg.value.known:
                raise Refusal(
                    Location(arg.origin.file, arg.origin.line),
                    f"the build arg {arg.name} gets its value from {arg.origin.file.name}, which {destination.path.name} cannot read",
                )


# -- shell scripts and Makefiles -------------------------------------------------------------------


def _check_shell(reading: DriverReading, edits: tuple[DriverEdit, ...]) -> None:
    from migrate.read.shell import ShellAnchor

    removals = [edit for edit in edits if isinstance(edit, RemoveStep) and isinstance(edit.site.anchor, ShellAnchor)]
    chains: dict[tuple[int, int], tuple[ShellAnchor, set[int]]] = {}
    for edit in removals:
        anchor = edit.site.anchor
        chains.setdefault(anchor.statement, (anchor, set()))[1].add(anchor.index)
    partly = [(chain, gone) for chain, indexes in chains.values() if len(gone := _with_fallbacks(chain, indexes)) < len(chain.elements)]
    if not partly:
        return
    source = reading.text.encode("utf-8")
    calls = {scope.call.span for edit in removals for scope in edit.site.anchor.scopes}
    for chain, gone in partly:
        if any(source[start:end].split(None, 1)[:1] == [b"trap"] for start, end in (chain.elements[index] for index in gone)):
            continue  # the emitter removes what a trap's handler runs, not the trap
        if any(chain.elements[index] in calls for index in range(len(chain.elements)) if index not in gone):
            continue  # a call of a function whose steps go may go too: the emitter decides once it knows
        leading = 0
        while leading < len(chain.operators) and chain.operators[leading] == "&&" and leading not in gone:
            leading += 1
        if leading and all(index in gone for index in range(leading, len(chain.elements))):
            continue  # the commands before may be tests that only decided whether these run, and go with them
        _check_chain(reading, chain, gone, lambda index: _line_of(source, chain.elements[index][0]))


def _check_makefile(reading: DriverReading, edits: tuple[DriverEdit, ...]) -> None:
    from migrate.read.makefile import PLACEHOLDER_PREFIX, MakeAnchor

    target_variables: dict[str, dict] | None = None
    for edit in edits:
        if not isinstance(edit, AddBuildArgs) or not isinstance(edit.site.anchor, MakeAnchor):
            continue
        for arg in edit.args:
            text = arg.command_words("make")
            if PLACEHOLDER_PREFIX in text:
                raise _refuse(reading, edit.site.line, f"the build arg {text} holds make text whose value dmigrate cannot write back")
            origin = arg.origin.anchor
            if not isinstance(origin, MakeAnchor) or origin.target == edit.site.anchor.target:
                continue
            if target_variables is None:
                target_variables = _target_variables(reading)
            _check_same_meaning(reading, text, origin.target, edit.site, target_variables)
    chains: dict[tuple[int, tuple[int, int]], tuple[MakeAnchor, set[int]]] = {}
    for edit in edits:
        if isinstance(edit, RemoveStep) and isinstance(edit.site.anchor, MakeAnchor):
            anchor = edit.site.anchor
            chains.setdefault((id(anchor.recipe), anchor.shell.statement), (anchor, set()))[1].add(anchor.shell.index)
    for anchor, indexes in chains.values():
        gone = _with_fallbacks(anchor.shell, indexes)
        if len(gone) < len(anchor.shell.elements):
            line = reading.text.count("\n", 0, anchor.recipe.lines[0][0]) + 1
            _check_chain(reading, anchor.shell, gone, lambda _index: line)


def _check_same_meaning(reading: DriverReading, text: str, origin: str, site: Site, target_variables: dict[str, dict]) -> None:
    """A build arg moved from one rule's recipe to another's must expand the same there."""
    destination = site.anchor.target
    for match in _MAKE_REFERENCE.finditer(text):
        name = (match.group(1) or match.group(2) or match.group(3) or "").strip()
        if name in ("@", "<", "^", "+", "*", "?", "|") or name[:1] in ("@", "<", "^", "*") and name[1:] in ("D", "F"):
            raise _refuse(reading, site.line, f"the build arg {text} uses the automatic variable $({name}), which differs in the rule {destination}")
        name = name.split(":", 1)[0]
        for target in (origin, destination):
            if name in target_variables.get(target, {}):
                raise _refuse(
                    reading,
                    site.line,
                    f"the build arg {text} reads {name}, which the rule {target} sets for itself; it would mean something else in the rule {destination}",
                )


def _target_variables(reading: DriverReading) -> dict[str, dict]:
    """The target-specific variables of each rule of the Makefile.

    The one place trace reads a driver's text again, and only for a build arg
    carried between rules; the reader should record it as a fact.
    """
    from migrate.read.makefile import parse_makefile

    return parse_makefile(reading.path, reading.text).target_variables


def _with_fallbacks(chain, indexes: set[int]) -> set[int]:
    """The removed elements of an ``&&``/``||`` chain, with each ``|| true`` that only guarded one of them."""
    gone = set(indexes)
    for index in range(1, len(chain.elements)):
        if index - 1 in gone and chain.operators[index - 1] == "||" and chain.trivial[index]:
            gone.add(index)
    return gone


def _check_chain(reading: DriverReading, chain, gone: set[int], line_of: Callable[[int], int]) -> None:
    for index in sorted(gone):
        neighbours = [chain.operators[i] for i in (index - 1, index) if 0 <= i < len(chain.operators)]
        if any(op != "&&" for op in neighbours):
            raise _refuse(reading, line_of(index), "cannot remove a command from an `||` chain without changing what runs")


def _line_of(source: bytes, offset: int) -> int:
    return source.count(b"\n", 0, offset) + 1


# -- Python drivers -----------------------------------------------------------------------------------


def _check_python(reading: DriverReading, edits: tuple[DriverEdit, ...]) -> None:
    removed = {edit.site for edit in edits if isinstance(edit, RemoveStep)}
    statements = {site.anchor.statement for site in removed}
    for operation in reading.operations:
        if getattr(operation.site.anchor, "statement", None) in statements and operation.site not in removed:
            # A statement goes only when every step it runs goes (``os.system("docker create ... && docker cp ...")``).
            raise _refuse(reading, operation.site.line, "this statement runs both a step that goes away and one that stays")
    calls = [edit for edit in edits if not isinstance(edit, RemoveStep)]
    for edit in sorted(calls, key=lambda edit: edit.site.anchor.call):
        _check_python_call(reading, edit)


def _check_python_call(reading: DriverReading, edit: AddBuildArgs | RetargetBuild) -> None:
    anchor, line = edit.site.anchor, edit.site.line
    if anchor.form == "sdk" and not anchor.direct:
        raise _refuse(reading, line, "this docker SDK build is made inside a helper; dmigrate cannot pass it new arguments")
    if isinstance(edit, RetargetBuild):
        if anchor.form == "shell":
            raise _refuse(reading, line, "the build image is still used; dmigrate cannot yet retarget a build written as a shell string")
        if anchor.form == "sdk":
            build = next((op for op in reading.operations if isinstance(op, Build) and op.site == edit.site), None)
            if build is None or not build.cwd.known or not build.context.known:
                raise _refuse(reading, line, "cannot tell where this SDK build's context is to point it at the merged Dockerfile")
        return
    for arg in edit.args:
        _check_python_arg(reading, arg, anchor.form, line)
    if anchor.form == "shell":
        builds = [op for op in reading.operations if isinstance(op, Build) and getattr(op.site.anchor, "call", None) == anchor.call]
        if len(builds) > 1:
            raise _refuse(reading, line, "this string holds more than one `docker build`; dmigrate cannot tell where to add the build args")


def _check_python_arg(reading: DriverReading, arg: BuildArgValue, form: str, line: int) -> None:
    """Whether the Python emitter can write ``arg`` into a call of ``form`` (``argv``, ``sdk`` or ``shell``)."""
    if not any(isinstance(op, Build) and op.site == arg.origin for op in reading.operations):
        raise _refuse(
            reading,
            line,
            f"the stage that replaces the run at line {arg.origin.line} needs the build arg {arg.name}, "
            "which dmigrate cannot yet write into a Python driver's build",
        )
    origin = arg.origin.anchor.form
    as_written = origin == form and arg.written is not None
    unknown = arg.value is not None and arg.value.value is None
    if form == "argv" and not as_written and unknown and origin == "shell":
        raise _refuse(reading, line, f"the build arg {arg.name} has a value dmigrate cannot write into a Python list")
    if form == "sdk" and not as_written:
        if arg.value is None:
            raise _refuse(reading, line, f"--build-arg {arg.name} takes its value from the environment, which buildargs= cannot say")
        if unknown and origin in ("shell", "argv"):
            raise _refuse(reading, line, f"the build arg {arg.name} has a value dmigrate cannot write into buildargs=")
    if form == "shell" and not as_written and unknown:
        raise _refuse(reading, line, f"the build arg {arg.name} has a value dmigrate cannot write into a shell string")
