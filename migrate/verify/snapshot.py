"""What an image is, for comparing two builds: its files and its config.

A snapshot leaves out what differs between two builds of the same thing
(mtimes, image ids, creation dates) and what ``docker create`` itself adds to
every container.
"""

from __future__ import annotations

import hashlib
import posixpath
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import IO

from migrate.verify.engine import Engine

FILE = "file"
DIRECTORY = "dir"
SYMLINK = "symlink"
CHAR_DEVICE = "char"
BLOCK_DEVICE = "block"
FIFO = "fifo"

# Written into every container by `docker create`, not by the image.
CREATE_TIME_FILES = frozenset({"/.dockerenv", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"})
CREATE_TIME_TREES = ("/proc", "/sys", "/dev")
# The engine adds this link only when the image has no /etc/mtab of its own.
INIT_LAYER_MTAB = ("/etc/mtab", "/proc/mounts")

_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileEntry:
    path: str
    kind: str
    mode: int
    uid: int
    gid: int
    size: int = 0
    sha256: str | None = None
    link_target: str | None = None


@dataclass(frozen=True)
class ImageConfig:
    cmd: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    env: tuple[str, ...] = ()
    working_dir: str = ""
    user: str = ""
    exposed_ports: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    volumes: tuple[str, ...] = ()

    @classmethod
    def from_inspect(cls, config: Mapping | None) -> ImageConfig:
        """Read the ``Config`` object of ``docker image inspect``."""
        config = config or {}
        return cls(
            cmd=_words(config.get("Cmd")),
            entrypoint=_words(config.get("Entrypoint")),
            env=tuple(config.get("Env") or ()),
            working_dir=config.get("WorkingDir") or "",
            user=config.get("User") or "",
            exposed_ports=tuple(sorted(config.get("ExposedPorts") or {})),
            labels=tuple(sorted((config.get("Labels") or {}).items())),
            volumes=tuple(sorted(config.get("Volumes") or {})),
        )

    def env_map(self) -> dict[str, str]:
        """The environment as the container sees it: a later entry wins."""
        found: dict[str, str] = {}
        for item in self.env:
            name, _, value = item.partition("=")
            found[name] = value
        return found


@dataclass(frozen=True)
class ImageSnapshot:
    files: tuple[FileEntry, ...]
    config: ImageConfig

    @cached_property
    def by_path(self) -> dict[str, FileEntry]:
        return {entry.path: entry for entry in self.files}

    def get(self, path: str) -> FileEntry | None:
        return self.by_path.get(path)


def snapshot_image(ref: str, engine: Engine | None = None) -> ImageSnapshot:
    """Snapshot the files and config of the local image ``ref``."""
    engine = engine or Engine.from_environment()
    inspected = engine.inspect_image(ref)
    config = ImageConfig.from_inspect(inspected.get("Config"))
    create = ["create", "--network=none", "--label", "dmigrate.snapshot=1", ref]
    if not config.cmd and not config.entrypoint:
        # An image without a command cannot be created; the command never runs.
        create.append("true")
    container = engine.output(create)
    try:
        with engine.stream(["export", container]) as exported:
            files = read_export(exported)
    finally:
        engine.run(["rm", "--force", "--volumes", container], check=False)
    return ImageSnapshot(files=files, config=config)


def read_export(stream: IO[bytes]) -> tuple[FileEntry, ...]:
    """The entries of a container filesystem tar (``docker export``), sorted by path."""
    entries: dict[str, FileEntry] = {}
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member in archive:
            path = _absolute(member.name)
            if path == "/" or _made_by_create(path, member):
                continue
            entries[path] = _entry(archive, member, path, entries)
    return tuple(entries[path] for path in sorted(entries))


def _entry(
    archive: tarfile.TarFile, member: tarfile.TarInfo, path: str, earlier: Mapping[str, FileEntry]
) -> FileEntry:
    common = {"path": path, "mode": member.mode & 0o7777, "uid": member.uid, "gid": member.gid}
    if member.isreg():
        size, digest = _digest(archive.extractfile(member))
        return FileEntry(kind=FILE, size=size, sha256=digest, **common)
    if member.islnk():
        # Which of two equal files is the hard link depends on layer order, not
        # on what a build did, so a hard link reads as the file it shares.
        target = earlier.get(_absolute(member.linkname))
        size = target.size if target else 0
        digest = target.sha256 if target else None
        return FileEntry(kind=FILE, size=size, sha256=digest, **common)
    if member.issym():
        return FileEntry(kind=SYMLINK, link_target=member.linkname, **common)
    if member.isdir():
        return FileEntry(kind=DIRECTORY, **common)
    if member.ischr():
        return FileEntry(kind=CHAR_DEVICE, link_target=f"{member.devmajor}:{member.devminor}", **common)
    if member.isblk():
        return FileEntry(kind=BLOCK_DEVICE, link_target=f"{member.devmajor}:{member.devminor}", **common)
    return FileEntry(kind=FIFO, **common)


def _digest(data: IO[bytes] | None) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    if data is not None:
        while chunk := data.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _absolute(name: str) -> str:
    return posixpath.normpath("/" + name.lstrip("/"))


def _made_by_create(path: str, member: tarfile.TarInfo) -> bool:
    if path in CREATE_TIME_FILES:
        return True
    if any(path == tree or path.startswith(tree + "/") for tree in CREATE_TIME_TREES):
        return True
    return (path, member.linkname) == INIT_LAYER_MTAB and member.issym()


def _words(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)
