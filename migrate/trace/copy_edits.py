"""How each COPY or ADD that read an extracted artifact reads it from its stage now.

A consuming instruction is replaced by ``COPY --from=<stage>`` of the
container path, keeping its own flags; the sources it also copies from the
context stay, in their order, since a later source wins.  What the host did
to the artifact on the way (a rename, a mode, root's ownership that
``docker cp`` gave it) is carried into the new COPY's target and flags.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict

from migrate.plan import Artifact, Consumer, CopySpec, InstructionEdit
from migrate.read.ops import Site, where
from migrate.trace.flow import Consumption, Extraction, Flow, instruction_site
from migrate.trace.participants import built_as_root
from migrate.trace.paths import STANDARD_DIRECTORIES, context_relative, is_directory_target
from migrate.trace.runs import RunStage
from migrate.trace.stage_names import StageNames
from migrate.trace.stages import joined, path_kind, workdir_before

# The flags of a consuming COPY or ADD that mean the same on a COPY --from.  Others (--exclude, --parents,
# ADD's --checksum…) change what is taken or where it lands.
COPY_FLAGS = frozenset({"--chown", "--chmod", "--link"})


class CopyEdits:
    """The COPY edits of one plan, and what each extraction is now copied from."""

    def __init__(self, flow: Flow, names: StageNames, runs: dict[int, RunStage], decisions: list[str]) -> None:
        self.flow = flow
        self.facts = flow.reading.facts
        self.names = names
        self.runs = runs
        self.decisions = decisions

    def by_stage(self) -> dict[tuple[int, int], list[InstructionEdit]]:
        """Every consuming instruction's edit, by (image position, stage index)."""
        grouped: dict[tuple[int, int, int], list[Consumption]] = defaultdict(list)
        for consumption in self.flow.consumptions:
            grouped[(consumption.image.position, consumption.stage.index, consumption.instruction.line)].append(consumption)
        edits: dict[tuple[int, int], list[InstructionEdit]] = defaultdict(list)
        for (position, stage_index, _line), consumptions in grouped.items():
            edits[(position, stage_index)].append(self._edit(consumptions))
        return edits

    def made_by_flow(self, consumption: Consumption) -> bool:
        """A directory COPY source that holds nothing but artifacts: it no longer exists, so the COPY goes."""
        if consumption.relation != "directory":
            return False
        path = posixpath.normpath(posixpath.join(consumption.image.context, context_relative(consumption.source)))
        return self.facts.existed_before_run(path) is None

    def origin(self, extraction: Extraction) -> tuple[str, bool]:
        """What an artifact is copied from now (a stage, or an outside image), and whether root owns every file there."""
        if extraction.from_run:
            run = self.runs[id(extraction.container)]
            return run.name, run.root_owned
        image = extraction.container.image
        if image is None:
            reference = extraction.container.external or ""
            if not reference or "\x00" in reference:
                raise self.flow.refusal(extraction.container.op.site, "the image this container comes from cannot be known without running the driver")
            return reference, False
        return self.names.of(image), built_as_root(self.flow, image)

    def artifacts(self) -> tuple[Artifact, ...]:
        """What the reports show: each read artifact, where it now comes from and which instructions read it."""
        artifacts = []
        for extraction in self.flow.extractions:
            if not extraction.consumptions:
                continue
            stage_ref, _ = self.origin(extraction)
            consumers = tuple(
                Consumer(
                    dockerfile=c.image.dockerfile.path,
                    line=c.instruction.line,
                    instruction=c.instruction.text.splitlines()[0],
                    source=c.source,
                    relation=c.relation,
                )
                for c in extraction.consumptions
            )
            host = self.facts.relative(extraction.host_path)
            artifacts.append(
                Artifact(
                    stage=stage_ref,
                    container_path=extraction.source.path,
                    contents_only=extraction.source.contents_only,
                    host_path=host if extraction.member is None else f"{host} ({extraction.member})",
                    extracted_at=extraction.site,
                    consumers=consumers,
                )
            )
        return tuple(artifacts)

    # -- one consuming instruction ------------------------------------------------------------------
    def _edit(self, consumptions: list[Consumption]) -> InstructionEdit:
        instruction = consumptions[0].instruction
        image = consumptions[0].image
        site = instruction_site(image.dockerfile.path, instruction)
        words = instruction.words()
        sources, destination = words[:-1], words[-1]
        made_by_flow = {c.source for c in consumptions if self.made_by_flow(c)}
        for source in made_by_flow:
            self.decisions.append(
                f"{image.dockerfile.path.name}:{instruction.line}: git tracks nothing in {source}, so it held only the artifacts, "
                "which are now copied from their stage; anything else the driver put there is no longer copied"
            )
        replaced = {c.source for c in consumptions if c.relation in ("itself", "inside", "unpacked")} | made_by_flow
        base_flags = tuple(instruction.flags)
        for flag in base_flags:
            if flag.split("=", 1)[0].lower() not in COPY_FLAGS:
                raise self.flow.refusal(
                    site, f"{instruction.keyword} {flag} reads the extracted artifact, and dmigrate does not carry {flag.split('=', 1)[0]} into a COPY --from"
                )
        if not replaced:
            # The COPY stays as it is; each artifact it held is copied after it.
            kept = tuple(self._artifact_spec(c, base_flags, destination, len(sources), site) for c in consumptions)
            return InstructionEdit(instruction, kept, keep_original=True)
        specs = {
            source: [self._artifact_spec(c, base_flags, destination, len(sources), site) for c in consumptions if c.source == source]
            for source in sources
        }
        return InstructionEdit(instruction, ordered_specs(sources, replaced, specs, base_flags, destination, instruction.keyword))

    def _artifact_spec(self, consumption: Consumption, base_flags: tuple[str, ...], destination: str, source_count: int, site: Site) -> CopySpec:
        extraction = consumption.extraction
        stage_ref, root_owned = self.origin(extraction)
        source = extraction.source
        path = source.path
        if consumption.relation == "inside":
            path = posixpath.join(path, consumption.below)
        target = destination
        if consumption.relation == "directory":
            target = directory_target(destination, consumption.below)
        elif consumption.relation == "unpacked":
            member = extraction.member or "."
            if member != ".":
                target = posixpath.join(destination, member)
        elif consumption.relation == "itself":
            host_name = posixpath.basename(extraction.host_path)
            if host_name != source.basename and not source.contents_only:
                target = self._renamed_target(consumption, destination, source_count, host_name, site)
        mode = extraction.known_mode
        flags = artifact_flags(stage_ref, base_flags, root_owned=root_owned or extraction.owners_kept, mode=mode)
        if mode is not None and not any(f.lower().startswith("--chmod") for f in base_flags):
            umask = extraction.umask.value if extraction.umask.value is not None else 0o022
            why = f"the host wrote it itself, so it had mode {mode:04o} (umask {umask:03o})" if extraction.chmod is None else "a host chmod gave it that mode"
            self.decisions.append(f"{where(extraction.site)}: {self.facts.relative(extraction.host_path)}: {why}; the COPY --from keeps it with --chmod={mode:o}")
        return CopySpec(flags, (path,), target)

    def _renamed_target(self, consumption: Consumption, destination: str, source_count: int, host_name: str, site: Site) -> str:
        extraction = consumption.extraction
        if not (is_directory_target(destination, source_count) or self._names_directory(consumption, destination, site)):
            return destination
        image = extraction.container.image
        kind = extraction.kind
        if kind is None and image is not None and not extraction.from_run:
            kind = self.flow.kind_in_image(image, extraction.source.path)
        if kind == "dir":
            return destination
        if kind is None:
            raise self.flow.refusal(
                site,
                f"{extraction.source.path} is renamed to {host_name} on the host and copied into the directory {destination}, "
                "but the build image's Dockerfile does not show whether it is a file or a directory",
            )
        return posixpath.join(destination, host_name) if not destination.endswith("/") else destination + host_name

    def _names_directory(self, consumption: Consumption, destination: str, site: Site) -> bool:
        """Whether a COPY destination without a trailing slash is a directory already, so that COPY copies into it.

        A standard directory, or one the consuming stage (or a stage it is FROM) makes before the COPY;
        any other path is taken to be absent, as the legacy build's own COPY took it.
        """
        if "$" in destination:
            raise self.flow.refusal(
                site,
                f"the artifact is renamed on the host and copied to {destination}, which depends on a variable: "
                "whether that is a directory decides the name it gets",
            )
        flow = self.flow
        before: int | None = consumption.instruction.line
        start = flow.base_defaults(consumption.image, consumption.stage).workdir
        path = joined(workdir_before(consumption.stage, before, start), destination)
        if path is None:
            return False
        if path in STANDARD_DIRECTORIES:
            return True
        for image, stage in flow.lineage(consumption.image, consumption.stage):
            kind = path_kind(stage, path, flow.base_defaults(image, stage).workdir, before_line=before)
            if kind is not None:
                return kind == "dir"
            before = None
        return False


def ordered_specs(
    sources: list[str],
    replaced: set[str],
    artifacts: dict[str, list[CopySpec]],
    base_flags: tuple[str, ...],
    destination: str,
    keyword: str,
) -> tuple[CopySpec, ...]:
    """The instructions that replace a COPY of ``sources``, some of which (``replaced``) were artifacts.

    Sources are copied in order and a later one wins, so the kept ones and the artifacts keep their order:
    each run of kept sources stays one instruction, followed by the artifacts found inside them.
    """
    specs: list[CopySpec] = []
    kept: list[str] = []
    held: list[CopySpec] = []

    def flush() -> None:
        if kept:
            specs.append(CopySpec(base_flags, tuple(kept), destination, keyword))
            specs.extend(held)
            kept.clear()
            held.clear()

    for source in sources:
        if source in replaced:
            flush()
            specs.extend(artifacts.get(source, []))
        else:
            kept.append(source)
            held.extend(artifacts.get(source, []))
    flush()
    return tuple(specs)


def directory_target(destination: str, below: str) -> str:
    """Where an artifact found ``below`` a copied directory lands under the COPY's ``destination``."""
    target = posixpath.join(destination, below) if destination not in (".", "./") else below
    if destination.startswith("./") and not target.startswith("./"):
        target = "./" + target
    return target


def artifact_flags(stage_ref: str, base_flags: tuple[str, ...], *, root_owned: bool, mode: int | None) -> tuple[str, ...]:
    """The flags of a ``COPY --from``: root's ownership (as ``docker cp`` gave it) and the host's mode, unless the COPY set its own."""
    flags = [f"--from={stage_ref}"]
    if not root_owned and not any(f.lower().startswith("--chown") for f in base_flags):
        flags.append("--chown=0:0")
    flags.extend(base_flags)
    if mode is not None and not any(f.lower().startswith("--chmod") for f in base_flags):
        flags.append(f"--chmod={mode:o}")
    return tuple(flags)
