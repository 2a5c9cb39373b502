"""What dmigrate knows about images the driver does not build, looked up by :class:`~migrate.trace.image_ref.ImageRef`.

A build stage FROM ``golang:1.22`` or a ``docker run alpine …`` starts with
what that image sets: ENTRYPOINT, CMD, WORKDIR and USER (what a ``docker run``
of it executes), the user its files belong to, the VOLUMEs it declares.  The
facts are kept as data, one :class:`KnownImage` per image with the tags each
fact holds for, and answered by a chain of :class:`FactSource`s: the table
here is the first; a source that reads a data file per image, or asks the
engine, is one more source in :data:`BASE_IMAGES`, not a change to the callers.
Whatever no source knows is unknown, and unknown is never taken for root or
for "no VOLUME".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from migrate.trace.config import SCRATCH, RunDefaults
from migrate.trace.image_ref import ImageRef


@dataclass(frozen=True)
class Tags:
    """The tags of an image a fact holds for: every tag, or the tags from a version on and some floating ones."""

    from_version: tuple[int, ...] | None = None
    """The first version; None: every tag."""
    floating: frozenset[str] = frozenset()
    """Tags without a version that count too, by their part before the first ``-`` (``lts`` for ``lts-alpine``)."""

    def hold_for(self, ref: ImageRef) -> bool:
        if self.from_version is None:
            return True
        tag = ref.tag if ref.tag is not None else ("latest" if ref.digest is None else None)
        if tag is None:
            return False  # a digest alone: which version it is cannot be told
        version = ref.tag_version
        return (version is not None and version >= self.from_version) or tag.split("-")[0] in self.floating


EVERY_TAG = Tags()


@dataclass(frozen=True)
class KnownImage:
    """The facts about one image (by :attr:`ImageRef.name`), each for the tags it holds for."""

    name: str
    defaults: RunDefaults | None = None
    """ENTRYPOINT, CMD, WORKDIR and USER; only for images whose ENTRYPOINT and WORKDIR stayed the same across those tags."""
    defaults_tags: Tags = EVERY_TAG
    root: Tags | None = None
    """The tags whose default user is root; None: none known."""
    volumes: tuple[str, ...] | None = None
    """The VOLUMEs every tag declares; None: not known."""
    official: bool = False
    """An official image: its Dockerfiles are public and have no ONBUILD (but in the old ``-onbuild`` tags)."""


@dataclass(frozen=True)
class ImageFacts:
    """What an image from outside the driver starts a container or a stage with, as far as it is known."""

    defaults: RunDefaults
    runs_as_root: bool
    """Proven root for this tag; False when not known."""
    volumes: tuple[str, ...] | None
    """None when it cannot be known which VOLUMEs it declares."""
    without_triggers: bool
    """Known to run no ONBUILD step in a stage built FROM it."""


class FactSource(Protocol):
    """Where facts about images come from: this table; later a data file per image and tag range, or the engine."""

    def known(self, ref: ImageRef) -> KnownImage | None:
        """What the source knows of the image ``ref`` names (for its tag), or None when it knows nothing of it."""
        ...


def _every_tag(defaults: RunDefaults) -> dict:
    return {"defaults": defaults, "root": EVERY_TAG, "volumes": (), "official": True}


# CMD is given where a `docker run IMG` without a command would need it.
_TABLE = (
    KnownImage("golang", **_every_tag(RunDefaults((), None, "/go", ""))),
    KnownImage("alpine", **_every_tag(RunDefaults((), ("/bin/sh",), "/", ""))),
    KnownImage("busybox", **_every_tag(RunDefaults((), ("sh",), "/", ""))),
    KnownImage("debian", **_every_tag(RunDefaults((), ("bash",), "/", ""))),
    KnownImage("ubuntu", **_every_tag(RunDefaults((), ("/bin/bash",), "/", ""))),
    KnownImage("buildpack-deps", **_every_tag(RunDefaults((), ("bash",), "/", ""))),
    KnownImage("gcc", **_every_tag(RunDefaults((), ("bash",), "/", ""))),
    KnownImage("python", **_every_tag(RunDefaults((), ("python3",), "/", ""))),
    KnownImage("rust", **_every_tag(RunDefaults((), ("bash",), "/", ""))),
    KnownImage("fedora", **_every_tag(RunDefaults((), ("/bin/bash",), "/", ""))),
    # node set ENTRYPOINT ["docker-entrypoint.sh"] from its 8.x images on; counted from 10 and the floating tags.
    KnownImage(
        "node",
        RunDefaults(("docker-entrypoint.sh",), ("node",), "/", ""),
        Tags((10,), frozenset({"latest", "lts", "current", "alpine", "slim", "bookworm", "bullseye"})),
        root=EVERY_TAG,
        volumes=(),
        official=True,
    ),
    KnownImage("scratch", SCRATCH, volumes=()),
    # gradle ran as `gradle` (uid 1000) until docker-gradle#99 (May 2019); Gradle 5.5 (June 2019) and later were only
    # ever published running as root.  Older versions, and floating tags (`jdk8`, `latest`) a machine may hold from
    # before the change, are not proven.
    KnownImage("gradle", root=Tags((5, 5)), official=True),
    *(
        KnownImage(name, root=EVERY_TAG, official=True)
        for name in (
            "maven", "openjdk", "eclipse-temurin", "amazoncorretto", "centos", "rockylinux", "almalinux", "ruby", "php",
            "perl", "erlang", "elixir", "haskell", "swift", "clojure", "dart", "julia", "nginx", "httpd", "archlinux",
            "opensuse/leap", "oraclelinux", "amazonlinux",
        )
    ),
)  # fmt: skip


class KnownImages:
    """A table of :class:`KnownImage` by name."""

    def __init__(self, images: tuple[KnownImage, ...]) -> None:
        self.by_name = {image.name: image for image in images}

    def known(self, ref: ImageRef) -> KnownImage | None:
        return self.by_name.get(ref.name)


class BaseImages:
    """The facts about an outside image: the first source that knows it answers."""

    def __init__(self, *sources: FactSource) -> None:
        self.sources = sources
        self.answered: dict[str, ImageFacts] = {}

    def facts(self, reference: str | ImageRef) -> ImageFacts:
        ref = reference if isinstance(reference, ImageRef) else ImageRef.parse(reference)
        found = self.answered.get(ref.text)
        if found is None:
            if len(self.answered) > 4096:
                self.answered.clear()  # a long batch meets many references; the answers are cheap to make again
            found = self.answered[ref.text] = self._facts(ref)
        return found

    def _facts(self, ref: ImageRef) -> ImageFacts:
        known = next((found for source in self.sources if (found := source.known(ref)) is not None), None)
        if ref.has_variable:
            # What a container of it starts with is taken as unknown even where only the tag is a variable.
            defaults = RunDefaults(None, None, None, None, f"the image {ref.text} depends on a build argument")
        elif known is not None and known.defaults is not None and known.defaults_tags.hold_for(ref):
            defaults = known.defaults
        else:
            defaults = RunDefaults(None, None, None, None, f"dmigrate does not know the ENTRYPOINT, CMD and WORKDIR of {ref.text}")
        if known is None:
            return ImageFacts(defaults, False, None, False)
        # A fact for every tag holds for a tag a build argument gives (``golang:${GO_VERSION}``); one for some tags does not.
        root = known.root is not None and known.root.hold_for(ref)
        volumes = known.volumes if ref.known else None
        without_triggers = known.official and not ref.has_variable and "onbuild" not in (ref.tag or "").lower()
        return ImageFacts(defaults, root, volumes, without_triggers)


BASE_IMAGES = BaseImages(KnownImages(_TABLE))
"""The sources dmigrate asks, in order."""


def base_image_facts(reference: str | ImageRef) -> ImageFacts:
    return BASE_IMAGES.facts(reference)
