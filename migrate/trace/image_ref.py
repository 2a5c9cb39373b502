"""An image reference as docker reads it: ``[registry/]path[:tag][@digest]``.

One parse serves every question the tracer asks of an image name: which
earlier ``docker build -t`` a FROM or ``docker run`` names (:attr:`ImageRef.key`),
which official image it is (:attr:`ImageRef.name`), which version its tag says
(:attr:`ImageRef.tag_version`), and whether it is a Windows image.  Texts
that only the driver's run knows (``$IMAGE``, a Word key with ``\\0`` marks)
parse too: they simply match nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

DOCKER_HUB = frozenset({"docker.io", "index.docker.io"})
"""Registry names docker resolves to Docker Hub, where ``library/`` holds the official images."""


@dataclass(frozen=True)
class ImageRef:
    text: str
    """As written."""
    registry: str | None
    """The first part of the path when docker takes it for a registry (it has a ``.`` or ``:``, or is ``localhost``)."""
    path: str
    """The repository path after the registry: ``library/golang``, ``myorg/app``, ``golang``."""
    tag: str | None
    """After the last ``:`` of the last path part; None when there is none (``""`` for ``app:``)."""
    digest: str | None
    """After ``@``; None when there is none."""
    name: str = field(init=False, compare=False)
    """The short name official images are known by: ``docker.io/library/golang:1.21@sha256:…`` → ``golang``."""
    key: str = field(init=False, compare=False)
    """The reference as docker resolves a tag: ``docker.io/library/`` and a missing ``:latest`` do not matter."""

    def __post_init__(self) -> None:
        # Asked for again and again while tracing: worked out once.
        if self.registry is not None and self.registry not in DOCKER_HUB:
            name = self.repository
        else:
            name = self.path[len("library/") :] if self.path.startswith("library/") else self.path
        key = name
        if self.tag is not None:
            key += ":" + self.tag
        if self.digest is not None:
            key += "@" + self.digest
        if self.tag is None and self.digest is None:
            key += ":latest"
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "key", key)

    @staticmethod
    def parse(text: str) -> ImageRef:
        return _parse(text)

    @property
    def repository(self) -> str:
        """Registry and path as written, without tag or digest."""
        return f"{self.registry}/{self.path}" if self.registry is not None else self.path

    @property
    def tag_version(self) -> tuple[int, ...] | None:
        """``gradle:4.6-jdk8`` → (4, 6); None for a tag without a version (``jdk8``, ``latest``) or no tag at all."""
        match = re.match(r"(\d+(?:\.\d+)*)(?:$|-)", self.tag or "")
        return tuple(int(part) for part in match.group(1).split(".")) if match else None

    @property
    def has_variable(self) -> bool:
        """A build argument or variable decides it (``$BASE``, ``golang:${VERSION}``)."""
        return "$" in self.text

    @property
    def known(self) -> bool:
        """Neither a variable nor a part only the driver's run knows."""
        return "$" not in self.text and "\x00" not in self.text


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> ImageRef:
    named, at, digest = text.partition("@")
    first, slash, rest = named.partition("/")
    registry = None
    path = named
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    head, _, last = path.rpartition("/")
    tag = None
    if ":" in last:
        last, tag = last.rsplit(":", 1)
        path = f"{head}/{last}" if head else last
    return ImageRef(text, registry, path, tag, digest if at else None)


def image_key(reference: str) -> str:
    """:attr:`ImageRef.key` of a reference text."""
    return _parse(reference).key
