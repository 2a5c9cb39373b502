"""Which steps of the driver go, which build is retargeted, and what the runtime build passes now.

The steps that built the build image, ran or created its container, copied
the artifact out and cleaned up after it go: the merged build does that.  A
build image that something else still uses by its tag is built from its
stage instead (``--target``).  Steps that touch the artifact on the host in
a way the merged build cannot carry are refused.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict

from migrate.plan import AddBuildArgs, BuildArgValue, DriverEdit, RemoveStep, RetargetBuild
from migrate.read.ops import HostCommand, OtherDocker, Remove, RemoveImage, Site, where
from migrate.trace.flow import BuiltImage, Flow, image_key
from migrate.trace.kept_paths import KeptPaths
from migrate.trace.make_goals import recipes_naming
from migrate.trace.participants import Participants
from migrate.trace.paths import is_under
from migrate.trace.stage_names import StageNames
from migrate.trace.window import READS_ONLY


def tag_users(flow: Flow, participants: Participants) -> dict[BuiltImage, list]:
    """The steps, and the recipes of Makefile rules the goal does not make, that still use a build image by its tag."""
    users: dict[BuiltImage, list] = defaultdict(list)
    for state in flow.containers:
        if state.image is not None and state not in participants.states:
            users[state.image].append(state.op)
    for op, _what in flow.uses:
        if isinstance(op, OtherDocker):
            for word in op.arguments:
                for image in flow.images:
                    if image_key(word.key) in {image_key(t) for t in image.tags}:
                        users[image].append(op)
    for image in flow.images:
        tags = image.build.tags
        if tags and all(tag.known for tag in tags):
            users[image].extend(recipes_naming(flow.reading.driver, [tag.key for tag in tags]))
        if not users[image]:
            del users[image]
    return dict(users)


class DriverEdits:
    """The driver edits of one plan."""

    def __init__(self, flow: Flow, participants: Participants, users: dict[BuiltImage, list], decisions: list[str]) -> None:
        self.flow = flow
        self.participants = participants
        self.users = users
        """The build images still used by their tags (see :func:`tag_users`): they are retargeted, not removed."""
        self.decisions = decisions
        self.facts = flow.reading.facts
        self.steps_by_site: dict[Site, list] = defaultdict(list)
        for op in flow.reading.driver.operations:
            self.steps_by_site[op.site].append(op)
        self.kept_paths = KeptPaths(flow, self.steps_by_site, decisions)

    def plan(self, names: StageNames, build_args: tuple[BuildArgValue, ...]) -> tuple[DriverEdit, ...]:
        flow, final = self.flow, self.participants.final
        states = self.participants.states
        edits: list[DriverEdit] = []
        for image in self.participants.builders:
            if image in self.users:
                edits.append(self._retarget(image, names))
            else:
                edits.append(self.removal(image.build, "builds the build image, now a stage"))
        for state in states:
            edits.append(self.removal(state.op, "runs the extraction container, now a stage" if state.ran else "creates the extraction container"))
            for control in state.controls:
                edits.append(self.removal(control, "starts or waits for the extraction container"))
        changes = {site for e in flow.extractions if e.consumptions or e.derived for site in e.host_changes}
        unread = {site for e in flow.extractions if e.made_on_host and not e.consumptions for site in e.host_changes}
        for extraction in flow.extractions:
            if extraction.copy is not None and extraction.container in states:
                edits.append(self.removal(extraction.copy, "copies the artifact to the host"))
        extraction_names = {state.key for state in states if state.key is not None}
        for op in flow.reading.driver.operations:
            if isinstance(op, Remove):
                keys = {w.key for w in op.containers}
                if keys and keys <= extraction_names:
                    edits.append(self.removal(op, "removes the extraction container"))
                elif keys & extraction_names:
                    raise flow.refusal(op.site, "removes the extraction container together with others; split the command first")
            elif isinstance(op, RemoveImage):
                builder_tags = {image_key(t) for image in self.participants.builders if image not in self.users for t in image.tags}
                keys = {image_key(w.key) for w in op.images}
                if keys and keys <= builder_tags:
                    edits.append(self.removal(op, "removes the build image, which no longer exists"))
                elif keys & builder_tags:
                    raise flow.refusal(op.site, "removes the build image together with others; split the command first")
            elif isinstance(op, OtherDocker):
                if any(op is control for state in states for control in state.controls):
                    continue
                keys = {w.key for w in op.arguments} | {w.key.split(":", 1)[0] for w in op.arguments}
                if keys & extraction_names:
                    raise flow.refusal(op.site, f"`docker {op.subcommand}` uses the extraction container, which the migrated flow no longer has")
            elif isinstance(op, HostCommand):
                if op.site in changes and op.site not in unread:
                    edits.append(self.removal(op, "changes the artifact on the host; the COPY --from now does that"))
                    continue
                edit = self._host_edit(op)
                if edit is not None:
                    edits.append(edit)
        if build_args:
            edits.append(AddBuildArgs(final.build.site, build_args))
        unique: dict[object, DriverEdit] = {}
        for edit in edits:
            unique.setdefault(_identity(edit), edit)
        kept = self.kept_paths.keep(list(unique.values()))
        self._check_shared_sites(kept)
        return tuple(kept)

    def removal(self, op, reason: str) -> RemoveStep:
        """A remove edit; where several steps share one site (a ``trap`` handler's), its position says which of them this is.

        The emitter needs that to keep the handler's other commands: every step a
        trap handler runs stands on the ``trap`` line.
        """
        sharing = self.steps_by_site.get(op.site, [])
        position = next((index for index, step in enumerate(sharing) if step is op), None)
        return RemoveStep(op.site, reason, position if len(sharing) > 1 else None)

    def _retarget(self, image: BuiltImage, names: StageNames) -> RetargetBuild:
        final = self.participants.final
        if image.context != final.context:
            # Its stage reads the runtime build's context now (its COPY sources rebased onto it).
            raise self.flow.refusal(
                image.build.site,
                f"the build image is still used, so it would be built from its stage of the merged Dockerfile, which reads the runtime "
                f"build's context {self.facts.relative(final.context)}/, not {self.facts.relative(image.context)}/; build both from one context first",
            )
        lines = ", ".join(str(op.site.line) for op in self.users[image])
        self.decisions.append(
            f"{where(image.build.site)}: the build image is still used (line {lines}), so it is now built "
            f"from the merged Dockerfile with --target {names.of(image)}"
        )
        return RetargetBuild(image.build.site, posixpath.relpath(final.dockerfile_path, image.build.cwd.key), names.of(image))

    def _check_shared_sites(self, edits: list[DriverEdit]) -> None:
        removed = {edit.site for edit in edits if isinstance(edit, RemoveStep)}
        removed_places = {site.place for site in removed}
        for op in self.flow.reading.driver.operations:
            if op.site not in removed and op.site.place in removed_places:
                raise self.flow.refusal(op.site, "this line runs both a step that goes away and one that stays (a function called twice?)")

    def _host_edit(self, op: HostCommand) -> RemoveStep | None:
        flow, states = self.flow, self.participants.states
        name = posixpath.basename(op.argv[0].key) if op.argv[0].known else ""
        arguments = [w for w in op.argv[1:] if not w.key.startswith("-")]
        if not op.cwd.known or name == "umask":  # its word is a mode, not a path
            return None
        paths = [posixpath.normpath(posixpath.join(op.cwd.key, w.key)) if w.known else None for w in arguments]
        artifacts = [e.host_path for e in flow.extractions if e.container in states]
        touched = [p for p in paths if p is not None and any(_related(p, a) for a in artifacts)]
        if not touched:
            return None
        position = self.kept_paths.position
        after_extraction = position(op) > min(position(e.copy or e.container.op) for e in flow.extractions if e.container in states)
        if not after_extraction and (name == "rm" or name in READS_ONLY):
            # Before anything is extracted it can only meet a stale copy from an earlier run.
            return None
        if name == "rm" and all(p is not None and any(_related(p, a) for a in artifacts) for p in paths):
            return self.removal(op, "cleans up the extracted artifact")
        # A directory the artifact's contents were unpacked or mounted into.
        mounts = {e.host_path for e in flow.extractions if e.source.contents_only and e.container in states}
        if name == "mkdir" and all(p is not None and _is_destination_parent(p, artifacts, self.facts) or p in mounts for p in paths):
            return self.removal(op, "makes the directory the artifact was extracted into")
        what = " ".join(w.text for w in op.argv)
        raise flow.refusal(op.site, f"`{what}` uses the extracted artifact on the host; dmigrate cannot carry that into the migrated build")


def _identity(edit: DriverEdit) -> tuple:
    """Two edits that do the same: a step removed twice (for two reasons) is removed once."""
    if isinstance(edit, RemoveStep):
        return (RemoveStep, edit.site, edit.position)
    return (type(edit), edit)


def _related(path: str, artifact: str) -> bool:
    """An artifact, something inside one, or a directory that holds one."""
    return is_under(path, artifact) or is_under(artifact, path)


def _is_destination_parent(path: str, artifacts: list[str], facts) -> bool:
    return any(is_under(a, path) and a != path for a in artifacts) and facts.existed_before_run(path) is None
