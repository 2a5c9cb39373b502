"""What a flow leaves behind besides its final image: build images, containers, files in the project copy."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from migrate.verify.engine import Engine


@dataclass(frozen=True)
class LeftImage:
    ref: str
    image_id: str
    size: int


@dataclass(frozen=True)
class LeftContainer:
    name: str
    container_id: str
    image_id: str
    state: str


@dataclass(frozen=True)
class Leftovers:
    """What a flow leaves besides its final image."""

    images: tuple[LeftImage, ...] = ()
    containers: tuple[LeftContainer, ...] = ()
    host_paths: tuple[str, ...] = ()
    """Files the flow left in the project, relative to its root: ``app``, ``dist/ (3 files)``, ``x (modified)``."""

    @property
    def empty(self) -> bool:
        return not (self.images or self.containers or self.host_paths)


# --- on the engine -----------------------------------------------------------------------------


def container_ids(engine: Engine) -> frozenset[str]:
    return frozenset(engine.output(["ps", "--all", "--quiet", "--no-trunc"]).split())


def new_containers(
    engine: Engine, before: frozenset[str], image_ids: Iterable[str], names: Iterable[str]
) -> tuple[LeftContainer, ...]:
    """Containers made since ``before`` from the flows' images or under the driver's names."""
    fresh = sorted(container_ids(engine) - before)
    if not fresh:
        return ()
    images, wanted = set(image_ids), set(names)
    listed = engine.run(
        ["container", "inspect", "--format", "{{.Id}}\t{{.Name}}\t{{.Image}}\t{{.State.Status}}", *fresh], check=False
    )
    found = []
    for line in listed.stdout.decode(errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) != 4:
            continue
        container_id, name, image_id, state = parts
        name = name.lstrip("/")
        if image_id in images or name in wanted:
            found.append(LeftContainer(name, container_id, image_id, state))
    return tuple(found)


def image_size(engine: Engine, ref: str) -> int:
    done = engine.run(["image", "inspect", "--format", "{{.Size}}", ref], check=False)
    try:
        return int(done.stdout.decode().strip())
    except ValueError:
        return 0


# --- host files --------------------------------------------------------------------------------


def tree_state(root: Path) -> dict[str, tuple]:
    """Every path under ``root`` (but ``.git``) with what tells a change: kind, size, mode, mtime, link."""
    found: dict[str, tuple] = {}
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(name for name in dirnames if not (directory == str(root) and name == ".git"))
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            relative = os.path.relpath(path, root)
            if os.path.islink(path):
                found[relative] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                found[relative] = ("dir", info.st_mode & 0o7777)
            else:
                found[relative] = ("file", info.st_size, info.st_mode & 0o7777, info.st_mtime_ns)
    return found


def host_leftovers(before: Mapping[str, tuple], after: Mapping[str, tuple]) -> tuple[str, ...]:
    """New, changed and deleted paths, a new directory shown once with its file count."""
    new = sorted(set(after) - set(before))
    new_dirs = [path for path in new if after[path][0] == "dir"]
    shown: list[str] = []
    for path in new:
        if any(path.startswith(directory + os.sep) for directory in new_dirs):
            continue
        if after[path][0] == "dir":
            count = sum(1 for other in new if other.startswith(path + os.sep) and after[other][0] != "dir")
            shown.append(f"{path}/ ({count} file{'s' if count != 1 else ''})")
        else:
            shown.append(path)
    for path in sorted(set(before) & set(after)):
        if before[path] != after[path] and before[path][0] != "dir":
            shown.append(f"{path} (modified)")
    gone = sorted(set(before) - set(after))
    for path in gone:
        if not any(path.startswith(other + os.sep) for other in gone):
            shown.append(f"{path} (deleted)")
    return tuple(shown)
