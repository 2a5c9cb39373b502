"""Stub base images for the tests, named like the real ones, built without a registry.

No image can be pulled on the test machines, so each base image a test
project names (``golang:1.21``, ``alpine:latest`` ...) is made here with
``docker import`` from a small root filesystem: static busybox for the
userland, and shell scripts from ``stubs/`` standing in for the toolchains.
A stub toolchain's output depends on all of its inputs, so a migration that
builds from the wrong context, path, argument or environment gives a
different image.

Every byte of an image is a function of its recipe; the recipe's digest is
stored in a label, and an image that already carries it is not built again.
To add an image, add a line to :data:`STUB_IMAGES`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import subprocess
import tarfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

RECIPE_LABEL = "dmigrate.test.recipe"
BUSYBOX = Path("/bin/busybox")
STUBS = Path(__file__).parent / "stubs"
STUB_LIB = "/usr/local/lib/dmigrate-stub"
# A fixed mtime: the archive, hence the recipe digest, must not depend on when it was made.
EPOCH = 946684800

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

APPLETS = (
    "[", "[[", "ash", "awk", "base64", "basename", "bunzip2", "bzip2", "cat", "chgrp", "chmod",
    "chown", "cmp", "cp", "cut", "date", "dd", "df", "diff", "dirname", "du", "echo", "egrep",
    "expr", "false", "fgrep", "find", "getopt", "grep", "gunzip", "gzip", "head", "hexdump",
    "hostname", "id", "kill", "less", "ln", "ls", "md5sum", "mkdir", "mktemp", "more", "mv",
    "nproc", "od", "patch", "printf", "ps", "pwd", "readlink", "realpath", "rev", "rm", "rmdir",
    "sed", "seq", "sh", "sha1sum", "sha256sum", "sha512sum", "sleep", "sort", "stat", "strings",
    "tac", "tail", "tar", "tee", "test", "timeout", "touch", "tr", "true", "uname", "uniq",
    "unxz", "unzip", "usleep", "vi", "wc", "which", "whoami", "xargs", "xz", "xzcat", "yes",
    "zcat",
)  # fmt: skip


@dataclass(frozen=True)
class User:
    name: str
    uid: int
    home: str = ""
    shell: str = "/bin/sh"

    @property
    def home_dir(self) -> str:
        return self.home or f"/home/{self.name}"


APP_USER = User("app", 1000)
NODE_USER = User("node", 1000)
GRADLE_USER = User("gradle", 1000)
NGINX_USER = User("nginx", 101, home="/nonexistent", shell="/bin/false")


@dataclass(frozen=True)
class StubImage:
    """The recipe of one stub image."""

    ref: str
    distro: str  # "debian", "alpine" or "busybox": decides the package manager stub
    tools: tuple[str, ...] = ()  # toolsets from TOOLSETS
    versions: tuple[tuple[str, str], ...] = ()  # @NAME@ placeholders filled in the stub scripts
    env: tuple[str, ...] = ()
    workdir: str = ""
    cmd: tuple[str, ...] | None = ("/bin/sh",)
    entrypoint: tuple[str, ...] | None = None
    expose: tuple[str, ...] = ()
    users: tuple[User, ...] = (APP_USER,)
    user: str = ""  # the config's USER; "" runs as root
    extra_dirs: tuple[tuple[str, int], ...] = ()  # (path, mode) made on top of the usual layout


def golang(version: str) -> StubImage:
    return StubImage(
        ref=f"golang:{version}",
        distro="debian",
        tools=("go",),
        versions=(("GO_VERSION", version),),
        env=(
            "PATH=/go/bin:/usr/local/go/bin:" + DEFAULT_PATH,
            f"GOLANG_VERSION={version}",
            "GOPATH=/go",
        ),
        workdir="/go",
        cmd=("bash",),
        extra_dirs=(("/go", 0o777), ("/go/src", 0o777), ("/go/bin", 0o777)),
    )


def alpine(tag: str, release: str) -> StubImage:
    return StubImage(
        ref=f"alpine:{tag}",
        distro="alpine",
        versions=(("ALPINE_RELEASE", release),),
        env=(f"PATH={DEFAULT_PATH}",),
    )


def node(tag: str, version: str, *, on_alpine: bool) -> StubImage:
    return StubImage(
        ref=f"node:{tag}",
        distro="alpine" if on_alpine else "debian",
        tools=("node",),
        versions=(("NODE_VERSION", version), ("NPM_VERSION", "10.5.0"), ("ALPINE_RELEASE", "3.19.1")),
        env=(f"PATH={DEFAULT_PATH}", f"NODE_VERSION={version}", "YARN_VERSION=1.22.19"),
        cmd=("node",),
        entrypoint=("docker-entrypoint.sh",),
        users=(NODE_USER,),
    )


def nginx(tag: str, version: str) -> StubImage:
    return StubImage(
        ref=f"nginx:{tag}",
        distro="debian",
        tools=("nginx",),
        versions=(("NGINX_VERSION", version),),
        env=(f"PATH={DEFAULT_PATH}", f"NGINX_VERSION={version}"),
        cmd=("nginx", "-g", "daemon off;"),
        entrypoint=("/docker-entrypoint.sh",),
        expose=("80/tcp",),
        users=(APP_USER, NGINX_USER),
    )


def maven(tag: str, java_version: str) -> StubImage:
    return StubImage(
        ref=f"maven:{tag}",
        distro="debian",
        tools=("java", "maven"),
        versions=(("JAVA_VERSION", java_version),),
        env=(
            "JAVA_HOME=/opt/java/openjdk",
            "MAVEN_HOME=/usr/share/maven",
            "PATH=/opt/java/openjdk/bin:" + DEFAULT_PATH,
        ),
        cmd=("mvn",),
        entrypoint=("/usr/local/bin/mvn-entrypoint.sh",),
    )


def temurin(tag: str, java_version: str) -> StubImage:
    return StubImage(
        ref=f"eclipse-temurin:{tag}",
        distro="debian",
        tools=("java",),
        versions=(("JAVA_VERSION", java_version),),
        env=("JAVA_HOME=/opt/java/openjdk", "PATH=/opt/java/openjdk/bin:" + DEFAULT_PATH),
        cmd=None,
        entrypoint=("/__cacert_entrypoint.sh",),
    )


def gradle(tag: str, version: str, java_version: str, *, user: str) -> StubImage:
    """Gradle images ran as `gradle` (uid 1000) before mid-2019 and as root since."""
    return StubImage(
        ref=f"gradle:{tag}",
        distro="debian",
        tools=("java", "gradle"),
        versions=(("JAVA_VERSION", java_version), ("GRADLE_VERSION", version)),
        env=(
            "JAVA_HOME=/opt/java/openjdk",
            "GRADLE_HOME=/opt/gradle",
            "PATH=/opt/gradle/bin:/opt/java/openjdk/bin:" + DEFAULT_PATH,
        ),
        workdir="/home/gradle",
        cmd=("gradle",),
        users=(GRADLE_USER,),
        user=user,
    )


def gcc(tag: str, version: str) -> StubImage:
    return StubImage(
        ref=f"gcc:{tag}",
        distro="debian",
        tools=("gcc",),
        versions=(("GCC_VERSION", version),),
        env=(f"PATH={DEFAULT_PATH}", f"GCC_VERSION={version}"),
        cmd=("bash",),
    )


def debian(tag: str) -> StubImage:
    return StubImage(ref=f"debian:{tag}", distro="debian", env=(f"PATH={DEFAULT_PATH}",), cmd=("bash",))


def busybox(tag: str) -> StubImage:
    return StubImage(ref=f"busybox:{tag}", distro="busybox", env=(f"PATH={DEFAULT_PATH}",), cmd=("sh",))


STUB_IMAGES: tuple[StubImage, ...] = (
    golang("1.7.3"),
    golang("1.21"),
    golang("1.22"),
    alpine("latest", "3.19.1"),
    alpine("3.19", "3.19.1"),
    node("20", "20.11.1", on_alpine=False),
    node("20-alpine", "20.11.1", on_alpine=True),
    nginx("1.25", "1.25.4"),
    maven("3.9", "21.0.2"),
    temurin("21-jre", "21.0.2"),
    gcc("13", "13.2.0"),
    gradle("4.6-jdk8", "4.6", "1.8.0_162", user="1000"),
    debian("bookworm-slim"),
    busybox("latest"),
)


class StubImageError(Exception):
    """A stub image could not be made; the message says why."""


class Rootfs:
    """A root filesystem held in memory, written out as a deterministic tar."""

    def __init__(self) -> None:
        self._entries: dict[str, tarfile.TarInfo] = {}
        self._data: dict[str, bytes] = {}

    def directory(self, path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
        self._add(path, tarfile.DIRTYPE, mode, uid, gid)

    def file(self, path: str, data: bytes | str, mode: int = 0o644, uid: int = 0, gid: int = 0) -> None:
        payload = data.encode() if isinstance(data, str) else data
        info = self._add(path, tarfile.REGTYPE, mode, uid, gid)
        info.size = len(payload)
        self._data[path] = payload

    def symlink(self, path: str, target: str) -> None:
        info = self._add(path, tarfile.SYMTYPE, 0o777, 0, 0)
        info.linkname = target

    def has(self, path: str) -> bool:
        return path in self._entries

    def _add(self, path: str, kind: bytes, mode: int, uid: int, gid: int) -> tarfile.TarInfo:
        parent = os.path.dirname(path)
        if parent != "/" and parent not in self._entries:
            self.directory(parent)
        info = tarfile.TarInfo(path.lstrip("/"))
        info.type = kind
        info.mode = mode
        info.uid, info.gid = uid, gid
        info.mtime = EPOCH
        self._entries[path] = info
        return info

    def to_tar(self) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
            for path in sorted(self._entries):
                info = self._entries[path]
                payload = self._data.get(path)
                archive.addfile(info, io.BytesIO(payload) if payload is not None else None)
        return buffer.getvalue()


def rootfs_for(image: StubImage) -> Rootfs:
    """Lay out the whole root filesystem of ``image``."""
    versions = dict(image.versions)
    root = Rootfs()
    for path, mode in (
        ("/bin", 0o755), ("/sbin", 0o755), ("/etc", 0o755), ("/home", 0o755), ("/lib", 0o755),
        ("/mnt", 0o755), ("/opt", 0o755), ("/root", 0o700), ("/run", 0o755), ("/srv", 0o755),
        ("/tmp", 0o1777), ("/usr/bin", 0o755), ("/usr/sbin", 0o755), ("/usr/local/bin", 0o755),
        ("/usr/local/sbin", 0o755), ("/usr/share", 0o755), ("/var/cache", 0o755),
        ("/var/lib", 0o755), ("/var/log", 0o755), ("/var/tmp", 0o1777),
    ):  # fmt: skip
        root.directory(path, mode)
    root.file("/bin/busybox", _busybox_bytes(), 0o755)
    for applet in APPLETS:
        root.symlink(f"/bin/{applet}", "busybox")
    root.symlink("/usr/bin/env", "/bin/busybox")

    stub = _StubWriter(root, versions)
    for helper in ("digest", "install-package", "remove-package"):
        stub.script(f"{STUB_LIB}/{helper}", helper)
    stub.script(f"{STUB_LIB}/make.awk", "make.awk", mode=0o644)
    for tool in ("make", "gcc", "bash"):
        stub.script(f"{STUB_LIB}/tools/{tool}", tool)
    stub.script("/usr/bin/install", "install")
    for program in ("adduser", "addgroup", "useradd", "groupadd"):
        stub.script(f"/usr/sbin/{program}", "accounts")

    _accounts(root, image.users)
    _distro(root, image, stub)
    for tool in image.tools:
        TOOLSETS[tool](root, stub)
    for path, mode in image.extra_dirs:
        root.directory(path, mode)
    return root


class _StubWriter:
    def __init__(self, root: Rootfs, versions: dict[str, str]) -> None:
        self.root = root
        self.versions = versions

    def script(self, path: str, name: str, mode: int = 0o755) -> None:
        text = (STUBS / name).read_text()
        for key, value in self.versions.items():
            text = text.replace(f"@{key}@", value)
        self.root.file(path, text, mode)


def _accounts(root: Rootfs, users: Sequence[User]) -> None:
    passwd = ["root:x:0:0:root:/root:/bin/sh"]
    group = ["root:x:0:"]
    for user in users:
        passwd.append(f"{user.name}:x:{user.uid}:{user.uid}:{user.name}:{user.home_dir}:{user.shell}")
        group.append(f"{user.name}:x:{user.uid}:")
        if user.home_dir.startswith("/home/"):
            root.directory(user.home_dir, 0o755, user.uid, user.uid)
    passwd.append("nobody:x:65534:65534:nobody:/nonexistent:/bin/false")
    group.append("nogroup:x:65534:")
    root.file("/etc/passwd", "\n".join(passwd) + "\n")
    root.file("/etc/group", "\n".join(group) + "\n")


def _distro(root: Rootfs, image: StubImage, stub: _StubWriter) -> None:
    if image.distro == "alpine":
        release = dict(image.versions).get("ALPINE_RELEASE", "3.19.1")
        root.file("/etc/alpine-release", release + "\n")
        root.file("/etc/os-release", f'ID=alpine\nVERSION_ID={release}\nPRETTY_NAME="Alpine Linux (stub)"\n')
        stub.script("/sbin/apk", "apk")
        root.directory("/etc/apk")
    elif image.distro == "debian":
        root.file("/etc/debian_version", "12.5\n")
        root.file("/etc/os-release", 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (stub)"\n')
        stub.script("/usr/bin/apt-get", "apt-get")
        root.symlink("/usr/bin/apt", "apt-get")
        root.directory("/var/lib/apt/lists")
        stub.script("/bin/bash", "bash")
    elif image.distro != "busybox":
        raise StubImageError(f"{image.ref}: unknown distro {image.distro!r}")


def _go(root: Rootfs, stub: _StubWriter) -> None:
    stub.script("/usr/local/go/bin/go", "go")


def _node(root: Rootfs, stub: _StubWriter) -> None:
    stub.script("/usr/local/bin/node", "node")
    stub.script("/usr/local/bin/npm", "npm")
    stub.script("/usr/local/bin/docker-entrypoint.sh", "entrypoint")


def _java(root: Rootfs, stub: _StubWriter) -> None:
    stub.script("/opt/java/openjdk/bin/java", "java")
    stub.script("/__cacert_entrypoint.sh", "entrypoint")


def _maven(root: Rootfs, stub: _StubWriter) -> None:
    stub.script("/usr/share/maven/bin/mvn", "mvn")
    root.symlink("/usr/bin/mvn", "/usr/share/maven/bin/mvn")
    stub.script("/usr/local/bin/mvn-entrypoint.sh", "entrypoint")
    root.directory("/root/.m2", 0o755)


def _gradle(root: Rootfs, stub: _StubWriter) -> None:
    stub.script("/opt/gradle/bin/gradle", "gradle")


def _gcc(root: Rootfs, stub: _StubWriter) -> None:
    stub.script("/usr/local/bin/gcc", "gcc")
    root.symlink("/usr/local/bin/cc", "gcc")
    stub.script("/usr/bin/make", "make")


def _nginx(root: Rootfs, stub: _StubWriter) -> None:
    stub.script("/usr/sbin/nginx", "nginx")
    stub.script("/docker-entrypoint.sh", "entrypoint")
    root.file(
        "/etc/nginx/nginx.conf",
        "user nginx;\nworker_processes auto;\n"
        "events { worker_connections 1024; }\n"
        "http { include /etc/nginx/conf.d/*.conf; }\n",
    )
    root.file(
        "/etc/nginx/conf.d/default.conf",
        "server {\n    listen 80;\n    location / {\n        root /usr/share/nginx/html;\n"
        "        index index.html;\n    }\n}\n",
    )
    root.file("/usr/share/nginx/html/index.html", "<html><body><h1>Welcome to nginx (stub)</h1></body></html>\n")
    root.file("/usr/share/nginx/html/50x.html", "<html><body><h1>An error occurred (stub)</h1></body></html>\n")
    root.directory("/var/cache/nginx", 0o755, NGINX_USER.uid, NGINX_USER.uid)


TOOLSETS = {"gradle": _gradle, "go": _go, "node": _node, "java": _java, "maven": _maven, "gcc": _gcc, "nginx": _nginx}


@dataclass(frozen=True)
class BuiltRecipe:
    image: StubImage
    archive: bytes = field(repr=False)
    changes: tuple[str, ...]
    digest: str


def recipe(image: StubImage) -> BuiltRecipe:
    """The archive and config of ``image``, and the digest that names them."""
    archive = rootfs_for(image).to_tar()
    changes = _changes(image)
    digest = hashlib.sha256(archive + json.dumps(changes).encode()).hexdigest()
    return BuiltRecipe(image, archive, (*changes, f"LABEL {RECIPE_LABEL}={digest}"), digest)


def _changes(image: StubImage) -> tuple[str, ...]:
    changes = [f"ENV {item}" for item in image.env]
    if image.workdir:
        changes.append(f"WORKDIR {image.workdir}")
    if image.entrypoint is not None:
        changes.append(f"ENTRYPOINT {json.dumps(list(image.entrypoint))}")
    if image.cmd is not None:
        changes.append(f"CMD {json.dumps(list(image.cmd))}")
    changes.extend(f"EXPOSE {port}" for port in image.expose)
    if image.user:
        changes.append(f"USER {image.user}")
    return tuple(changes)


def ensure_stub_images(
    docker: str = "/usr/bin/docker", refs: Iterable[str] | None = None, *, timeout: float = 300.0
) -> tuple[str, ...]:
    """Make sure every stub image (or those named in ``refs``) exists with its current recipe.

    Returns the refs that had to be (re)built.
    """
    wanted = STUB_IMAGES if refs is None else tuple(_by_ref(ref) for ref in refs)
    built = []
    for image in wanted:
        made = recipe(image)
        if _current_label(docker, image.ref, timeout) == made.digest:
            continue
        command = [docker, "import"]
        for change in made.changes:
            command += ["--change", change]
        command += ["-", image.ref]
        done = subprocess.run(command, input=made.archive, capture_output=True, timeout=timeout)
        if done.returncode != 0:
            detail = done.stderr.decode(errors="replace").strip()
            raise StubImageError(f"docker import of stub image {image.ref} failed: {detail}")
        built.append(image.ref)
    return tuple(built)


def _by_ref(ref: str) -> StubImage:
    for image in STUB_IMAGES:
        if image.ref == ref:
            return image
    raise StubImageError(f"no stub image is named {ref}; add it to STUB_IMAGES")


def _current_label(docker: str, ref: str, timeout: float) -> str | None:
    done = subprocess.run(
        [docker, "image", "inspect", "--format", "{{json .Config.Labels}}", ref],
        capture_output=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        return None
    labels = json.loads(done.stdout or b"null") or {}
    return labels.get(RECIPE_LABEL)


_busybox_cache: bytes | None = None


def _busybox_bytes() -> bytes:
    global _busybox_cache
    if _busybox_cache is None:
        if not BUSYBOX.is_file():
            raise StubImageError(f"{BUSYBOX} is missing: install Debian's busybox-static")
        data = BUSYBOX.read_bytes()
        if not _is_static_elf(data):
            raise StubImageError(
                f"{BUSYBOX} is dynamically linked and would not run in an image without libc: "
                "install Debian's busybox-static"
            )
        _busybox_cache = data
    return _busybox_cache


def _is_static_elf(data: bytes) -> bool:
    """True for a 64-bit little-endian ELF without a program interpreter (PT_INTERP)."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return False
    program_headers, = struct.unpack_from("<Q", data, 0x20)
    entry_size, entry_count = struct.unpack_from("<HH", data, 0x36)
    for index in range(entry_count):
        kind, = struct.unpack_from("<I", data, program_headers + index * entry_size)
        if kind == 3:
            return False
    return True
