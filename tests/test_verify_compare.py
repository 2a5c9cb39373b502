"""compare() and snapshots: by hand-made snapshots, and on real images that differ in one way."""

from __future__ import annotations

import io
import tarfile

import pytest

from migrate.verify.compare import Difference, compare, render
from migrate.verify.engine import Engine
from migrate.verify.snapshot import FileEntry, ImageConfig, ImageSnapshot, read_export, snapshot_image

BINARY = FileEntry("/usr/local/bin/app", "file", 0o755, 0, 0, 12, "a" * 64)
CONFIG = ImageConfig(
    cmd=("./app",),
    env=("PATH=/usr/bin:/bin", "MODE=prod"),
    working_dir="/srv",
    exposed_ports=("80/tcp",),
    labels=(("org.example.team", "web"),),
)
BASE = ImageSnapshot(
    files=(
        FileEntry("/etc", "dir", 0o755, 0, 0),
        FileEntry("/etc/current", "symlink", 0o777, 0, 0, link_target="/etc/v1"),
        BINARY,
    ),
    config=CONFIG,
)


def replaced(snapshot: ImageSnapshot, path: str, **changes) -> ImageSnapshot:
    files = tuple(
        FileEntry(**{**entry.__dict__, **changes}) if entry.path == path else entry for entry in snapshot.files
    )
    return ImageSnapshot(files=files, config=snapshot.config)


def configured(snapshot: ImageSnapshot, **changes) -> ImageSnapshot:
    return ImageSnapshot(files=snapshot.files, config=ImageConfig(**{**snapshot.config.__dict__, **changes}))


def test_equal_snapshots_have_no_difference():
    assert compare(BASE, BASE) == ()
    assert render(()) == "no differences"


@pytest.mark.parametrize(
    ("migrated", "expected"),
    [
        (
            replaced(BASE, BINARY.path, mode=0o644),
            Difference(BINARY.path, "mode", "0755", "0644"),
        ),
        (
            replaced(BASE, BINARY.path, mode=0o4755),
            Difference(BINARY.path, "mode", "0755", "4755"),
        ),
        (
            replaced(BASE, BINARY.path, uid=1000, gid=1000),
            Difference(BINARY.path, "owner", "0:0", "1000:1000"),
        ),
        (
            replaced(BASE, BINARY.path, sha256="b" * 64),
            Difference(BINARY.path, "content", "12 bytes, sha256 aaaaaaaaaaaa", "12 bytes, sha256 bbbbbbbbbbbb"),
        ),
        (
            replaced(BASE, "/etc/current", link_target="/etc/v2"),
            Difference("/etc/current", "link target", "/etc/v1", "/etc/v2"),
        ),
        (
            replaced(BASE, BINARY.path, kind="dir", size=0, sha256=None, mode=0o700),
            Difference(BINARY.path, "kind", "file", "dir"),
        ),
        (configured(BASE, cmd=("/bin/sh",)), Difference("Cmd", "value", '["./app"]', '["/bin/sh"]')),
        (configured(BASE, entrypoint=("tini", "--")), Difference("Entrypoint", "value", "unset", '["tini", "--"]')),
        (configured(BASE, working_dir="/"), Difference("WorkingDir", "value", '"/srv"', '"/"')),
        (configured(BASE, user="app"), Difference("User", "value", '""', '"app"')),
        (
            configured(BASE, env=("PATH=/usr/bin:/bin", "MODE=dev")),
            Difference("Env", "MODE", '"prod"', '"dev"'),
        ),
        (configured(BASE, env=("PATH=/usr/bin:/bin",)), Difference("Env", "MODE", '"prod"', "unset")),
        (configured(BASE, exposed_ports=()), Difference("ExposedPorts", "80/tcp", "present", "absent")),
        (
            configured(BASE, labels=(("org.example.team", "ops"),)),
            Difference("Labels", "org.example.team", '"web"', '"ops"'),
        ),
        (configured(BASE, volumes=("/data",)), Difference("Volumes", "/data", "absent", "present")),
    ],
    ids=lambda value: value.aspect if isinstance(value, Difference) else "",
)
def test_one_change_gives_exactly_one_difference(migrated, expected):
    assert compare(BASE, migrated) == (expected,)


def test_missing_files_are_named_for_the_side_that_lacks_them():
    extra = FileEntry("/extra", "file", 0o644, 0, 0, 0, "e" * 64)
    more = ImageSnapshot(files=(*BASE.files, extra), config=CONFIG)
    assert compare(BASE, more) == (Difference("/extra", "presence", "absent", "present"),)
    assert str(compare(BASE, more)[0]) == "/extra: missing in legacy"
    assert str(compare(more, BASE)[0]) == "/extra: missing in migrated"


def test_differences_read_as_sentences():
    assert str(Difference("/app", "mode", "0755", "0644")) == "/app mode: legacy 0755, migrated 0644"
    assert str(Difference("Cmd", "value", '["a"]', '["b"]')) == 'Cmd: legacy ["a"], migrated ["b"]'
    assert render([Difference("/app", "owner", "0:0", "1000:1000")]) == "- /app owner: legacy 0:0, migrated 1000:1000"


def test_env_order_does_not_matter_but_the_last_value_wins():
    reordered = configured(BASE, env=("MODE=prod", "PATH=/usr/bin:/bin"))
    assert compare(BASE, reordered) == ()
    overridden = configured(BASE, env=("PATH=/usr/bin:/bin", "MODE=prod", "MODE=dev"))
    assert compare(BASE, overridden) == (Difference("Env", "MODE", '"prod"', '"dev"'),)


def test_files_come_first_sorted_then_config():
    migrated = configured(replaced(replaced(BASE, BINARY.path, mode=0o700), "/etc", uid=5), user="x")
    assert [difference.path_or_field for difference in compare(BASE, migrated)] == ["/etc", BINARY.path, "User"]


def test_config_is_read_from_docker_inspect():
    config = ImageConfig.from_inspect(
        {
            "Cmd": ["nginx", "-g", "daemon off;"],
            "Entrypoint": None,
            "Env": ["A=1"],
            "WorkingDir": "",
            "User": "",
            "ExposedPorts": {"80/tcp": {}, "443/tcp": {}},
            "Labels": {"b": "2", "a": "1"},
            "Volumes": None,
        }
    )
    assert config == ImageConfig(
        cmd=("nginx", "-g", "daemon off;"),
        env=("A=1",),
        exposed_ports=("443/tcp", "80/tcp"),
        labels=(("a", "1"), ("b", "2")),
    )


def _export(*members: tuple[tarfile.TarInfo, bytes | None]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    buffer.seek(0)
    return buffer


def _member(name: str, kind: bytes = tarfile.REGTYPE, *, mode: int = 0o644, data: bytes | None = None, **extra):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = 12345
    if data is not None:
        info.size = len(data)
    for key, value in extra.items():
        setattr(info, key, value)
    return info, data


def test_read_export_keeps_what_the_image_holds_and_drops_create_time_files():
    exported = _export(
        _member(".dockerenv", mode=0o755, data=b""),
        _member("bin/", tarfile.DIRTYPE, mode=0o755),
        _member("bin/tool", mode=0o4755, data=b"#!/bin/sh\n", uid=1000, gid=1000),
        _member("bin/same", tarfile.LNKTYPE, mode=0o4755, linkname="bin/tool"),
        _member("bin/sh", tarfile.SYMTYPE, mode=0o777, linkname="busybox"),
        _member("dev/", tarfile.DIRTYPE, mode=0o755),
        _member("dev/console", mode=0o755, data=b""),
        _member("etc/", tarfile.DIRTYPE, mode=0o755),
        _member("etc/hosts", data=b"127.0.0.1 localhost\n"),
        _member("etc/hostname", data=b"abc\n"),
        _member("etc/resolv.conf", data=b""),
        _member("etc/mtab", tarfile.SYMTYPE, mode=0o777, linkname="/proc/mounts"),
        _member("etc/passwd", data=b"root:x:0:0::/root:/bin/sh\n"),
        _member("proc/", tarfile.DIRTYPE, mode=0o755),
        _member("sys/", tarfile.DIRTYPE, mode=0o755),
    )
    files = read_export(exported)
    assert [entry.path for entry in files] == ["/bin", "/bin/same", "/bin/sh", "/bin/tool", "/etc", "/etc/passwd"]
    by_path = {entry.path: entry for entry in files}
    tool = by_path["/bin/tool"]
    assert (tool.kind, tool.mode, tool.uid, tool.gid, tool.size) == ("file", 0o4755, 1000, 1000, 10)
    assert by_path["/bin/same"].sha256 == tool.sha256 and by_path["/bin/same"].kind == "file"
    assert by_path["/bin/sh"].link_target == "busybox"


# --- on a real engine ---------------------------------------------------------------------------

PREFIX = """\
FROM busybox:latest
RUN mkdir /w1 /w2 && echo base > /base && echo hi > /file && chmod 0644 /file && ln -s /w1 /link
"""

ONE_CHANGE = {
    "mode": ("RUN chmod 0755 /file", Difference("/file", "mode", "0644", "0755")),
    "setuid": ("RUN chmod 4755 /file", Difference("/file", "mode", "0644", "4755")),
    "owner": ("RUN chown 1000:1000 /file", Difference("/file", "owner", "0:0", "1000:1000")),
    "symlink": ("RUN ln -sfn /w2 /link", Difference("/link", "link target", "/w1", "/w2")),
    "content": (
        "RUN echo ho > /file",
        Difference("/file", "content", "3 bytes, sha256 98ea6e4f216f", "3 bytes, sha256 56cc5eec55dc"),
    ),
    "missing": ("RUN rm /base", Difference("/base", "presence", "present", "absent")),
    "cmd": ('CMD ["/bin/true"]', Difference("Cmd", "value", '["sh"]', '["/bin/true"]')),
    "env": ("ENV MODE=dev", Difference("Env", "MODE", "unset", '"dev"')),
    "workdir": ("WORKDIR /w2", Difference("WorkingDir", "value", '""', '"/w2"')),
    "user": ("USER app", Difference("User", "value", '""', '"app"')),
    "expose": ("EXPOSE 8080", Difference("ExposedPorts", "8080/tcp", "absent", "present")),
    "label": ("LABEL org.example.team=web", Difference("Labels", "org.example.team", "unset", '"web"')),
}


def _build(engine: Engine, tag: str, dockerfile: str) -> str:
    engine.run(["build", "--network=none", "--no-cache", "-t", tag, "-"], input=dockerfile.encode())
    return tag


@pytest.fixture(scope="module")
def base_image(docker_engine: Engine, stub_images) -> str:
    return _build(docker_engine, "dmt-verify-base:latest", PREFIX)


@pytest.mark.docker
def test_snapshot_of_one_image_twice_is_equal(docker_engine, base_image):
    first = snapshot_image(base_image, docker_engine)
    second = snapshot_image(base_image, docker_engine)
    assert first == second
    assert first.get("/file") == FileEntry(
        "/file", "file", 0o644, 0, 0, 3, "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4"
    )
    assert first.get("/.dockerenv") is None and first.get("/etc/hosts") is None
    assert first.config.cmd == ("sh",)


@pytest.mark.docker
def test_two_builds_of_one_dockerfile_are_equal(docker_engine, base_image):
    again = _build(docker_engine, "dmt-verify-again:latest", PREFIX)
    assert compare(snapshot_image(base_image, docker_engine), snapshot_image(again, docker_engine)) == ()


@pytest.mark.docker
@pytest.mark.parametrize("change", sorted(ONE_CHANGE))
def test_one_changed_instruction_is_reported_exactly(docker_engine, base_image, change):
    instruction, expected = ONE_CHANGE[change]
    changed = _build(docker_engine, f"dmt-verify-{change}:latest", f"{PREFIX}{instruction}\n")
    differences = compare(snapshot_image(base_image, docker_engine), snapshot_image(changed, docker_engine))
    assert differences == (expected,), render(differences)


@pytest.mark.docker
def test_image_without_a_command_can_be_snapshotted(docker_engine, stub_images):
    tag = _build(docker_engine, "dmt-verify-nocmd:latest", 'FROM busybox:latest\nCMD []\n')
    config = ImageConfig.from_inspect(docker_engine.inspect_image(tag)["Config"])
    snapshot = snapshot_image(tag, docker_engine)
    assert snapshot.config == config
    assert snapshot.get("/bin/busybox") is not None
