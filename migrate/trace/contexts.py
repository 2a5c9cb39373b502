"""One build context for every merged stage.

The merged Dockerfile is built with the runtime build's context and its
``.dockerignore``.  A build image that had its own context directory below
it gets its context-relative COPY/ADD sources rebased; and every COPY of the
merged file must still see exactly the files it saw in its own build, which
is checked file by file over what git tracks.  When the rules of another
``.dockerignore`` are needed for that, they are added, below their
directory, to the one that now applies.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field

from migrate.plan import CopySpec, InstructionEdit
from migrate.read.dockerfile import Instruction, Stage
from migrate.read.dockerignore import DockerIgnore
from migrate.read.project import HostFacts
from migrate.trace.graph import BuiltImage
from migrate.trace.paths import context_relative, is_under
from migrate.trace.stage_state import context_sources, mounts_context


class ContextRefused(Exception):
    def __init__(self, image: BuiltImage | None, line: int | None, reason: str) -> None:
        super().__init__(reason)
        self.image = image
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Seed:
    """A host directory a stage copies from the context (a bind mount's files), which must arrive whole."""

    host_path: str
    what: str


@dataclass
class ContextPlan:
    edits: dict[tuple[int, int], list[InstructionEdit]] = field(default_factory=dict)
    ignore_lines: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)


def ignore_of(image: BuiltImage, facts: HostFacts) -> tuple[str | None, str]:
    """The ``.dockerignore`` text a build used (None: none) and where it is."""
    own = image.dockerfile_path + ".dockerignore"
    if own in facts.texts:
        return facts.texts[own], own
    path = posixpath.join(image.context, ".dockerignore")
    return facts.texts.get(path), path


def plan_contexts(
    merged: list[BuiltImage],
    final: BuiltImage,
    facts: HostFacts,
    seeds: Iterable[Seed],
    busy: set[tuple[int, int]],
    required: list[str],
    replaced: set[str],
) -> ContextPlan:
    """Rebase and check.

    ``busy`` holds the (image position, line) of COPYs another edit already
    rewrites; ``required`` are lines the merged ``.dockerignore`` gets anyway,
    leaving out ``replaced``: host copies of artifacts the runtime stage now
    takes from a stage.
    """
    plan = ContextPlan()
    root = final.context
    prefixes: dict[int, str] = {}
    for image in merged:
        if image is final or image.context == root:
            prefixes[image.position] = ""
            continue
        if not image.context.startswith(root.rstrip("/") + "/"):
            raise ContextRefused(
                image,
                None,
                f"this build's context ({facts.relative(image.context)}) is not inside the runtime build's "
                f"({facts.relative(root)}), so one build context cannot hold both",
            )
        prefixes[image.position] = posixpath.relpath(image.context, root)
    for image in merged:
        prefix = prefixes[image.position]
        if prefix:
            _rebase(image, prefix, plan, busy)
    seeds = list(seeds)
    own_texts = {image.position: ignore_of(image, facts)[0] for image in merged}
    same = all(text == own_texts[final.position] for text in own_texts.values())
    if same and not any(prefixes.values()) and not seeds and (len(merged) == 1 or not required):
        return plan
    if facts.tracked is None:
        raise ContextRefused(None, None, "the builds use different contexts or .dockerignore files, and outside git dmigrate cannot list their files")
    files = sorted(posixpath.join(facts.root, name) for name in facts.tracked)
    merged_text = _joined(own_texts[final.position] or "", required)
    checks = _checks(merged, final, files, own_texts, seeds, replaced)
    extra: list[str] = []
    for image in merged:
        text = own_texts[image.position]
        if image is final or text is None or text == own_texts[final.position] and not prefixes[image.position]:
            continue
        extra += _rules_below(text, prefixes[image.position])
    # Each build's own rules, moved below its directory, also keep untracked files (node_modules…) where they were.
    if extra and _first_difference(checks, DockerIgnore(_joined(merged_text, extra)), root) is None:
        plan.ignore_lines.extend(extra)
        plan.decisions.append(
            f"added {', '.join(extra)} to the .dockerignore of the merged build: the rules of the build images' own "
            ".dockerignore files, moved below their context directories"
        )
        return plan
    found = _first_difference(checks, DockerIgnore(merged_text), root)
    if found is None:
        if extra:
            plan.decisions.append(
                f"left the rules {', '.join(extra)} of the build images' own .dockerignore files out of the merged one, "
                "which would change what other COPYs see; files git does not track may now reach those stages"
            )
        return plan
    image, line, path, legacy_sees = found
    relative = facts.relative(path)
    if legacy_sees:
        reason = f"{relative} reaches this COPY in its own build, but the .dockerignore of the merged build leaves it out"
    else:
        reason = f"{relative} is left out of this COPY in its own build, but the .dockerignore of the merged build lets it in"
    raise ContextRefused(image, line, reason)


@dataclass(frozen=True)
class _Check:
    image: BuiltImage | None
    line: int | None
    context: str
    """The context the source was read against in its own build."""
    selected: tuple[str, ...]
    """Absolute paths of the tracked files the source names, ignore rules aside."""
    legacy_ignore: DockerIgnore | None


def _checks(merged, final, files, own_texts, seeds: list[Seed], replaced: set[str]) -> list[_Check]:
    checks = []
    for image in merged:
        text = own_texts[image.position]
        ignore = DockerIgnore(text) if text is not None else None
        for stage in image.dockerfile.stages:
            for instruction in context_readers(stage):
                for source in context_sources(instruction):
                    selected = tuple(
                        f
                        for f in files
                        if selects(image.context, source, f)
                        and not (image is final and any(is_under(f, r) for r in replaced))
                    )
                    checks.append(_Check(image, instruction.line, image.context, selected, ignore))
    for seed in seeds:
        selected = tuple(f for f in files if is_under(f, seed.host_path))
        checks.append(_Check(None, None, seed.host_path, selected, None))
    return checks


def _first_difference(checks: list[_Check], ignore: DockerIgnore, root: str):
    for check in checks:
        for path in check.selected:
            legacy = check.legacy_ignore is None or not check.legacy_ignore.excludes(posixpath.relpath(path, check.context))
            now = not ignore.excludes(posixpath.relpath(path, root))
            if legacy != now:
                return check.image, check.line, path, legacy
    return None


def context_readers(stage: Stage) -> list[Instruction]:
    """The COPYs and ADDs of a stage that read the build context."""
    return [i for i in stage.instructions if i.keyword in ("COPY", "ADD") and i.flag("from") is None]


def selects(context: str, source: str, path: str) -> bool:
    """Whether a COPY source (relative to ``context``) takes the file at ``path``."""
    prefix = context.rstrip("/") + "/"
    if not path.startswith(prefix):
        return False
    rest = path[len(prefix) :]
    if not rest or rest.endswith("/") or "//" in rest or "/." in "/" + rest:
        rest = posixpath.relpath(path, context)
    relative = rest.split("/")
    pattern = context_relative(source)
    if pattern == ".":
        return True
    parts = pattern.split("/")
    return len(parts) <= len(relative) and all(_part_matches(p, q) for p, q in zip(relative, parts))


def _part_matches(name: str, pattern: str) -> bool:
    # A part without wildcards matches only itself: comparing costs less than compiling it.
    if "*" in pattern or "?" in pattern or "[" in pattern:
        return fnmatch.fnmatchcase(name, pattern)
    return name == pattern


def _rebase(image: BuiltImage, prefix: str, plan: ContextPlan, busy: set[tuple[int, int]]) -> None:
    for stage in image.dockerfile.stages:
        for instruction in stage.instructions:
            if mounts_context(instruction):
                raise ContextRefused(image, instruction.line, "RUN --mount of the build context cannot be rebased yet")
        for instruction in context_readers(stage):
            if instruction.heredocs:
                raise ContextRefused(image, instruction.line, "a COPY with a heredoc cannot be rebased yet")
            if (image.position, instruction.line) in busy:
                raise ContextRefused(image, instruction.line, "this COPY reads an artifact and its context must be rebased; dmigrate does not do both")
            words = instruction.words()
            sources = [
                w if "://" in w or w.startswith("git@") else posixpath.normpath(posixpath.join(prefix, context_relative(w)))
                for w in words[:-1]
            ]
            spec = CopySpec(instruction.flags, tuple(sources), words[-1], instruction.keyword)
            plan.edits.setdefault((image.position, stage.index), []).append(InstructionEdit(instruction, (spec,)))


def _rules_below(text: str, prefix: str) -> list[str]:
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line[1:].strip() if negated else line
        pattern = posixpath.normpath(pattern).lstrip("/")
        if pattern in ("", "."):
            continue
        moved = posixpath.join(prefix, pattern) if prefix else pattern
        rules.append(("!" if negated else "") + "/" + moved)
    return rules


def _joined(text: str, lines: list[str]) -> str:
    return text + ("" if not text or text.endswith("\n") else "\n") + "".join(f"{line}\n" for line in lines)
