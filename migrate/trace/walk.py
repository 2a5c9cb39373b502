"""What the tracer knows at one point of the driver: the images by tag, the containers by name, and what is at each host path.

:class:`~migrate.trace.tracer.ArtifactTracer` walks the operations and the
step modules (:mod:`~migrate.trace.container_output`,
:mod:`~migrate.trace.host_steps`, :mod:`~migrate.trace.consumptions`,
:mod:`~migrate.trace.consumption_checks`) read and change this state; the
:class:`~migrate.trace.graph.ArtifactGraph` it fills is the result.
"""

from __future__ import annotations

import posixpath

from migrate.errors import Refusal
from migrate.read.ops import Site, Word, where
from migrate.read.project import ProjectReading
from migrate.trace.graph import ArtifactGraph, BuiltImage, ContainerState, Extraction
from migrate.trace.paths import is_under
from migrate.trace.umask import Umask, Umasks
from migrate.trace.windows import windows_image


class Walk:
    def __init__(self, reading: ProjectReading) -> None:
        self.reading = reading
        self.facts = reading.facts
        self.graph = ArtifactGraph(reading)
        self.tags: dict[str, BuiltImage] = {}
        """The images built so far, by :attr:`ImageRef.key <migrate.trace.image_ref.ImageRef.key>` of each tag."""
        self.by_name: dict[str, ContainerState] = {}
        self.host_state: dict[str, str | None] = {}
        """What the script itself did to host paths: ``dir``, ``file``, ``unknown`` (an artifact of unknown kind) or None (removed)."""
        self.removed: set[str] = set()
        """Host paths the script removed: what git tracked there is gone."""
        self.umasks = Umasks(reading)
        self.made_directories: dict[str, tuple[Site, int | None, Umask, str]] = {}
        """Directories a host ``mkdir`` made: where, their mode (None: unknown), the umask it ran under and the command."""

    def refuse(self, site: Site | None, reason: str) -> Refusal:
        return self.graph.refusal(site, reason)

    def record(self, extraction: Extraction) -> None:
        """An artifact put on the host: the graph gets it, and its host path becomes what it is."""
        shown = self.facts.relative(extraction.host_path)
        external = extraction.container.external
        if external is not None and windows_image(external):
            raise self.refuse(extraction.site, f"{extraction.container.reference} is a Windows container image; dmigrate migrates Linux builds only")
        if (
            extraction.member is None
            and extraction.via != "bind mount"
            and extraction.kind != "file"
            and self.tracked_kind(extraction.host_path) == "dir"
        ):
            raise self.refuse(
                extraction.site,
                f"{shown} holds files git tracks, and the extracted directory is merged into them; "
                "the migrated build would copy only the container's files",
            )
        for earlier in self.live():
            if earlier.host_path == extraction.host_path and earlier.member is None and extraction.member is None:
                if earlier.kind != "file" and extraction.kind != "file":
                    raise self.refuse(
                        extraction.site,
                        f"{shown} was extracted before, and this copy may merge into it; "
                        "the migrated build would keep only one of them",
                    )
                self.graph.warnings.append(
                    f"{where(extraction.site)}: {shown} is extracted a second time; the later copy wins"
                )
                earlier.removed_on_host = True
        self.graph.extractions.append(extraction)
        if extraction.member is not None:
            return
        self.host_state[extraction.host_path] = extraction.kind or "unknown"
        self.mark_parents(extraction.host_path)

    def mark_parents(self, path: str) -> None:
        parent = posixpath.dirname(path)
        while parent and parent != "/" and self.host_state.get(parent) != "dir":
            self.host_state[parent] = "dir"
            parent = posixpath.dirname(parent)

    def live(self) -> list[Extraction]:
        """The artifacts still on the host."""
        return [e for e in self.graph.extractions if not e.removed_on_host]

    def host_path(self, cwd: Word, word: Word) -> str | None:
        """The absolute host path a word names from ``cwd``; None when either cannot be known."""
        if not cwd.known or not word.known:
            return None
        return posixpath.normpath(posixpath.join(cwd.key, word.key))

    def state_before(self, path: str) -> str | None:
        """What is at a host path now: what the script made there, else what git tracks (``dir``, ``file``), else None."""
        if path in self.host_state:
            return self.host_state[path]
        for removed, state in self.host_state.items():
            if state is None and path.startswith(removed + "/"):
                return None
        return self.facts.existed_before_run(path)

    def tracked_kind(self, path: str) -> str | None:
        """What git tracks at ``path`` that is still there at this point of the script."""
        if any(is_under(path, removed) for removed in self.removed):
            return None
        return self.facts.existed_before_run(path)

    def artifacts_at(self, path: str) -> list[Extraction]:
        """Live artifacts on the host at ``path`` or below it."""
        return [e for e in self.live() if e.member is None and is_under(e.host_path, path)]
