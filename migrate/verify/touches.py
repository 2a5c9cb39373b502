"""What a driver touches, read before it runs: how to run it, the image tags and container names its flows use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from migrate.errors import Location
from migrate.verify.result import ERROR, VerifyStop


def driver_command(driver: Path, kind: str, target_rule: str | None = None) -> tuple[str, ...]:
    """How the driver is run from its own directory: by its kind, and a script by its shebang."""
    if kind == "make":
        return ("make", "-f", driver.name, *((target_rule,) if target_rule else ()))
    if kind == "python":
        return ("python3", driver.name)
    return (*shebang(driver), driver.name)


def shebang(script: Path) -> tuple[str, ...]:
    """The interpreter words of a script's ``#!`` line; ``sh`` without one."""
    try:
        with open(script, "rb") as handle:
            first = handle.readline(512)
    except OSError:
        first = b""
    if not first.startswith(b"#!"):
        return ("sh",)
    line = first[2:].decode("utf-8", "replace").strip()
    # The kernel passes everything after the interpreter as one argument.
    interpreter, _, argument = line.partition(" ")
    if not interpreter:
        return ("sh",)
    argument = argument.strip()
    return (interpreter, argument) if argument else (interpreter,)


def normalize_ref(ref: str) -> str:
    """``app`` and ``app:latest`` name one image; spell it the second way."""
    if "@" in ref:
        return ref
    last = ref.rsplit("/", 1)[-1]
    return ref if ":" in last else f"{ref}:latest"


@dataclass(frozen=True)
class DriverTouches:
    """The images and containers a driver names, read before it is run."""

    tags: tuple[str, ...]
    container_names: tuple[str, ...]
    final_image: str


def driver_touches(plan, migrated_reading, final_image: str | None) -> DriverTouches:
    """Image tags and container names the two flows use, and the final image's tag.

    Raises :class:`VerifyStop` for what ``--verify`` cannot do safely: a tag
    only known when the driver runs.  (What publishes is not refused here:
    the interceptor keeps it from running.)
    """
    from migrate.read.ops import Build, Container, OtherDocker, Remove, RemoveImage, build_paths

    tags: list[str] = []
    names: list[str] = []
    operations = list(plan.driver.operations) + (list(migrated_reading.operations) if migrated_reading else [])

    def image_word(word, site, what: str) -> None:
        if not word.known:
            raise VerifyStop(
                ERROR,
                f"{what} {word.text} is only known when the driver runs, so --verify cannot hold an image "
                "you may have under that name; set the variable, or verify a copy yourself",
                Location(site.file, site.line),
            )
        tags.append(normalize_ref(word.key))

    for operation in operations:
        site = operation.site
        if isinstance(operation, Build):
            for tag in operation.tags:
                image_word(tag, site, "the tag")
        elif isinstance(operation, RemoveImage):
            for image in operation.images:
                image_word(image, site, "the image")
        elif isinstance(operation, OtherDocker):
            if operation.subcommand in ("tag", "image tag"):
                for word in operation.arguments:
                    if not word.text.startswith("-"):
                        image_word(word, site, "the image")
        elif isinstance(operation, Container):
            if operation.name is not None and operation.name.known:
                names.append(operation.name.key)
        elif isinstance(operation, Remove):
            names.extend(word.key for word in operation.containers if word.known)

    if final_image is None:
        merged = os.path.normpath(str(plan.merged_dockerfile))
        finals = [
            op for op in plan.driver.operations
            if isinstance(op, Build) and build_paths(op)[1] is not None and os.path.normpath(build_paths(op)[1]) == merged
        ]  # fmt: skip
        if not finals:
            raise VerifyStop(ERROR, f"no build of {plan.merged_dockerfile.name} found in the driver; cannot tell which image is final")
        final = finals[-1]
        if not final.tags:
            raise VerifyStop(
                ERROR, "the build of the final image has no tag, so --verify cannot find the image it makes", Location(final.site.file, final.site.line)
            )
        final_image = normalize_ref(final.tags[0].key)
    final_image = normalize_ref(final_image)
    tags.append(final_image)
    return DriverTouches(tuple(dict.fromkeys(tags)), tuple(dict.fromkeys(names)), final_image)
