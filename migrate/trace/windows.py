"""Windows images and builds: dmigrate migrates Linux builds only.

A Windows image is told by its name (``mcr.microsoft.com/windows/…``,
``microsoft/nanoserver``) or by its tag (``golang:1.22-windowsservercore-ltsc2022``,
``node:20-nanoserver-1809``): official images publish their Windows variants
under the same name as the Linux ones.
"""

from __future__ import annotations

import re

from migrate.read.dockerfile import Dockerfile
from migrate.read.ops import Build
from migrate.trace.image_ref import ImageRef

_WINDOWS_NAMES = re.compile(
    r"(^|/)(windows|nanoserver|windowsservercore|servercore)(/|$)|^mcr\.microsoft\.com/windows\b|dotnet/framework"
)
_WINDOWS_TAGS = re.compile(r"(^|[-_.])(nanoserver|windowsservercore|servercore|ltsc20\d\d)($|[-_.])")


def windows_image(reference: str) -> bool:
    """Whether an image reference names a Windows image, by its name or its tag."""
    ref = ImageRef.parse(reference.lower())
    return bool(_WINDOWS_NAMES.search(ref.repository) or _WINDOWS_TAGS.search(ref.tag or ""))


def windows_build_reason(op: Build, dockerfile: Dockerfile) -> str | None:
    """Why a build makes a Windows image, or None."""
    for name, value in op.other_flags:
        if name == "--platform" and value is not None and value.key.lower().startswith("windows"):
            return f"the build is for the platform {value.key}"
        if name == "--isolation":
            return "the build asks for Windows isolation"
    for stage in dockerfile.stages:
        if (stage.platform or "").lower().startswith("windows") or windows_image(stage.base):
            return f"{dockerfile.path.name} builds a Windows container image ({stage.base})"
    return None
