"""Who owns the files a build stage writes: root only where the Dockerfile text, or a fact about the exact base image, proves it.

The legacy flow's runtime COPY makes every artifact 0:0; ``COPY --from`` keeps
the stage's owners.  So a COPY --from needs ``--chown=0:0`` unless root
provably wrote the artifact.  An unneeded ``--chown=0:0`` costs nothing and a
missing one gives a wrong image, so anything unproven counts as not root.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from migrate.read.dockerfile import Stage
from migrate.trace.stages import image_name

# Official images whose default user is root in every tag, old and new.
_ROOT_IMAGES = frozenset(
    {
        "golang", "alpine", "debian", "ubuntu", "node", "python", "rust", "gcc", "maven", "openjdk",
        "eclipse-temurin", "amazoncorretto", "busybox", "centos", "fedora", "rockylinux", "almalinux",
        "buildpack-deps", "ruby", "php", "perl", "erlang", "elixir", "haskell", "swift", "clojure", "dart",
        "julia", "nginx", "httpd", "archlinux", "opensuse/leap", "oraclelinux", "amazonlinux",
    }
)  # fmt: skip

# Official images whose default user changed between tags: the first version whose images all run as root.
# gradle ran as `gradle` (uid 1000) until docker-gradle#99 (May 2019); Gradle 5.5 (June 2019) and later were
# only ever published running as root.  Older versions, and floating tags (`jdk8`, `latest`) a machine may hold
# from before the change, are not proven.
_ROOT_FROM_VERSION: dict[str, tuple[int, ...]] = {"gradle": (5, 5)}

_OFFICIAL_NAMES = _ROOT_IMAGES | _ROOT_FROM_VERSION.keys()

# Commands that can leave files owned by someone other than the user running them.
OWNERSHIP_CHANGERS = re.compile(
    r"\b(chown|chgrp|tar|cpio|rsync|unzip|bsdtar|npm|yarn|pnpm|su|sudo|gosu|su-exec|runuser|setpriv|install\s+[^&;|]*-[og]\b)"
)


def official_runs_as_root(reference: str) -> bool:
    """Whether an image not built by the driver is known to run as root: by its name alone, or by its exact tag."""
    name = image_name(reference)
    if name in _ROOT_IMAGES:
        return True
    first = _ROOT_FROM_VERSION.get(name)
    version = _tag_version(reference)
    return first is not None and version is not None and version >= first


def stage_runs_as_root(stage: Stage, base_runs_as_root: bool | None = None) -> bool:
    """Whether every file the stage creates is provably owned by root.

    ``base_runs_as_root`` is the answer for the stage's base when it is
    another stage; otherwise the base is the image the FROM line names, root
    when :func:`official_runs_as_root` says so.  A base whose user is not
    known still gives root files when the stage says ``USER root`` before it
    runs anything; only for an official image, which has no ONBUILD steps
    that would run before that line.
    """
    if base_runs_as_root is None:
        root = official_runs_as_root(stage.base)
        may_switch = _official_without_triggers(stage.base)
    else:
        root = base_runs_as_root
        # Files the base stage wrote as another user stay in this one.
        may_switch = False
    for instruction in stage.instructions:
        keyword = instruction.keyword
        if keyword == "USER":
            if not is_root_user(instruction.arguments.strip()):
                return False
            root = root or may_switch
        elif keyword in ("RUN", "WORKDIR") and not root:
            # BuildKit makes a WORKDIR's directory with the current user as its owner.
            return False
        if keyword in ("COPY", "ADD") and (instruction.flag("chown") is not None or instruction.flag("from") is not None):
            return False
        if keyword == "ADD" and any(_keeps_archive_owners(word) for word in instruction.words()[:-1]):
            return False
        if keyword == "RUN" and (OWNERSHIP_CHANGERS.search(instruction.arguments) or instruction.heredocs):
            return False
    return root


def lineage_runs_as_root(lineage: Sequence[Stage]) -> bool:
    """Whether every file of the last of ``lineage`` (each stage FROM the one before) is provably owned by root.

    An ONBUILD step of a stage runs in the stage built FROM it, as whatever
    user that one has then, so a base with ONBUILD proves nothing.
    """
    if not lineage or any(instruction.keyword == "ONBUILD" for stage in lineage[:-1] for instruction in stage.instructions):
        return False
    first, *built_on = lineage
    return stage_runs_as_root(first) and all(stage_runs_as_root(stage, True) for stage in built_on)


def is_root_user(user: str) -> bool:
    """Whether a ``USER`` or ``-u`` value runs as uid 0 *and* gid 0 (``""`` is the default, root).

    ``root:staff`` or ``0:50`` is uid 0 with another group, whose files are not owned by 0:0.
    """
    name, _, group = user.partition(":")
    return name in ("", "root", "0") and group in ("", "root", "0")


def _official_without_triggers(reference: str) -> bool:
    """An official image, whose Dockerfile is public and has no ONBUILD (but for the old ``-onbuild`` tags)."""
    return "$" not in reference and image_name(reference) in _OFFICIAL_NAMES and "onbuild" not in _tag(reference).lower()


def _tag(reference: str) -> str:
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else ""


def _tag_version(reference: str) -> tuple[int, ...] | None:
    """``gradle:4.6-jdk8`` → (4, 6); None for a tag without a version (``jdk8``, ``latest``) or a digest alone."""
    match = re.match(r"(\d+(?:\.\d+)*)(?:$|-)", _tag(reference))
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def _keeps_archive_owners(source: str) -> bool:
    """ADD unpacks a local archive with the owners it records; a URL or a variable may be one."""
    return "://" in source or "$" in source or bool(re.search(r"\.(tar|tgz|tbz2?|txz|tzst|gz|bz2|xz|zst)$", source))
