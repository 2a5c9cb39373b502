"""Say how two image snapshots differ, in words a person can act on.

``legacy`` is the image the old builder-pattern flow produced and
``migrated`` the one from the multi-stage build; every difference names the
path or config field, what about it differs, and both sides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from migrate.verify.snapshot import FILE, SYMLINK, FileEntry, ImageConfig, ImageSnapshot

PRESENCE = "presence"
PRESENT = "present"
ABSENT = "absent"
UNSET = "unset"


@dataclass(frozen=True)
class Difference:
    """One way in which the migrated image is not the legacy one.

    ``path_or_field`` is a path in the image (``/usr/local/bin/app``) or a
    config field in Docker's own spelling (``Cmd``, ``Env``).  ``aspect`` is
    what about it differs: ``presence``, ``kind``, ``mode``, ``owner``,
    ``content``, ``link target`` for a path; ``value`` for a single config
    value; the variable, label, port or volume for a config collection.
    """

    path_or_field: str
    aspect: str
    legacy: str
    migrated: str

    def __str__(self) -> str:
        if self.legacy == ABSENT and self.aspect == PRESENCE:
            return f"{self.path_or_field}: missing in legacy"
        if self.migrated == ABSENT and self.aspect == PRESENCE:
            return f"{self.path_or_field}: missing in migrated"
        about = self.path_or_field if self.aspect == "value" else f"{self.path_or_field} {self.aspect}"
        return f"{about}: legacy {self.legacy}, migrated {self.migrated}"


def compare(legacy: ImageSnapshot, migrated: ImageSnapshot) -> tuple[Difference, ...]:
    """Every difference between two snapshots: files by path first, then the config."""
    return (*compare_files(legacy.files, migrated.files), *compare_config(legacy.config, migrated.config))


def render(differences: Iterable[Difference]) -> str:
    """One line per difference, for an assertion message or a report."""
    lines = [f"- {difference}" for difference in differences]
    return "\n".join(lines) if lines else "no differences"


def compare_files(legacy: Iterable[FileEntry], migrated: Iterable[FileEntry]) -> list[Difference]:
    old = {entry.path: entry for entry in legacy}
    new = {entry.path: entry for entry in migrated}
    found: list[Difference] = []
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path), new.get(path)
        if before is None:
            found.append(Difference(path, PRESENCE, ABSENT, PRESENT))
        elif after is None:
            found.append(Difference(path, PRESENCE, PRESENT, ABSENT))
        else:
            found.extend(_entry_differences(before, after))
    return found


def _entry_differences(before: FileEntry, after: FileEntry) -> list[Difference]:
    path = before.path
    if before.kind != after.kind:
        # Mode, owner and content of two different kinds of thing say nothing more.
        return [Difference(path, "kind", before.kind, after.kind)]
    found = []
    if before.mode != after.mode:
        found.append(Difference(path, "mode", format_mode(before.mode), format_mode(after.mode)))
    if (before.uid, before.gid) != (after.uid, after.gid):
        found.append(Difference(path, "owner", _owner(before), _owner(after)))
    if before.kind == FILE and (before.sha256, before.size) != (after.sha256, after.size):
        found.append(Difference(path, "content", _content(before), _content(after)))
    if before.link_target != after.link_target:
        aspect = "link target" if before.kind == SYMLINK else "device"
        found.append(Difference(path, aspect, str(before.link_target), str(after.link_target)))
    return found


def compare_config(legacy: ImageConfig, migrated: ImageConfig) -> list[Difference]:
    found: list[Difference] = []
    for name, before, after in (
        ("Cmd", legacy.cmd, migrated.cmd),
        ("Entrypoint", legacy.entrypoint, migrated.entrypoint),
        ("WorkingDir", legacy.working_dir, migrated.working_dir),
        ("User", legacy.user, migrated.user),
    ):
        if before != after:
            found.append(Difference(name, "value", _value(before), _value(after)))
    # Order of variables and labels has no effect on a container, so only values count.
    found.extend(_mapping_differences("Env", legacy.env_map(), migrated.env_map()))
    found.extend(_mapping_differences("Labels", dict(legacy.labels), dict(migrated.labels)))
    found.extend(_set_differences("ExposedPorts", legacy.exposed_ports, migrated.exposed_ports))
    found.extend(_set_differences("Volumes", legacy.volumes, migrated.volumes))
    return found


def _mapping_differences(name: str, before: Mapping[str, str], after: Mapping[str, str]) -> list[Difference]:
    found = []
    for key in sorted(before.keys() | after.keys()):
        if before.get(key) != after.get(key):
            found.append(Difference(name, key, _quoted(before.get(key)), _quoted(after.get(key))))
    return found


def _set_differences(name: str, before: Iterable[str], after: Iterable[str]) -> list[Difference]:
    old, new = set(before), set(after)
    return [
        Difference(name, item, PRESENT if item in old else ABSENT, PRESENT if item in new else ABSENT)
        for item in sorted(old ^ new)
    ]


def format_mode(mode: int) -> str:
    return f"{mode:04o}"


def _owner(entry: FileEntry) -> str:
    return f"{entry.uid}:{entry.gid}"


def _content(entry: FileEntry) -> str:
    return f"{entry.size} bytes, sha256 {(entry.sha256 or '')[:12]}"


def _value(value: object) -> str:
    if value is None:
        return UNSET
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return json.dumps(value)


def _quoted(value: str | None) -> str:
    return UNSET if value is None else json.dumps(value)
