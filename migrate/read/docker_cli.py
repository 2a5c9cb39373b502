"""Turn the words of one ``docker ...`` command into an operation.

Shared by every driver reader: a shell line, a Makefile recipe and a Python
``subprocess`` call all end up as a list of words handed to
:func:`parse_docker_command`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from migrate.read.front_ends import BUILDX_HARMLESS, compose_is_harmless, only_talks_to_registry
from migrate.read.ops import (
    Build,
    BuildArg,
    Container,
    Copy,
    HostCommand,
    OtherDocker,
    Operation,
    Opaque,
    Remove,
    RemoveImage,
    Site,
    Volume,
    UNKNOWN_MARK,
    Word,
)

# docker's own options that come before the subcommand and take a value.
_GLOBAL_VALUE_FLAGS = {"-H", "--host", "--context", "-c", "--config", "-l", "--log-level", "--tlscacert", "--tlscert", "--tlskey"}

_BUILD_BOOLEAN_FLAGS = {
    "--no-cache", "--pull", "-q", "--quiet", "--rm", "--force-rm", "--compress", "--squash",
    "--disable-content-trust", "--load", "--push", "--stream",
}  # fmt: skip

_CONTAINER_BOOLEAN_FLAGS = {
    "-d", "--detach", "-i", "--interactive", "-t", "--tty", "--rm", "--privileged", "--init",
    "-P", "--publish-all", "--read-only", "--no-healthcheck", "--oom-kill-disable", "-q", "--quiet",
    "--sig-proxy", "--disable-content-trust",
}  # fmt: skip
_CONTAINER_SHORT_BOOLEANS = set("ditPq")

_CONTAINER_GROUPS = {"container", "image", "buildx", "builder"}


def parse_docker_command(
    argv: Sequence[Word],
    site: Site,
    cwd: Word,
    *,
    captured_as: str | None = None,
    stdout: Word | None = None,
    stdout_pipe: tuple[Word, ...] | None = None,
    stdout_appends: bool = False,
    stdin: str | None = None,
) -> Operation:
    """``argv`` holds the words after ``docker``; ``stdout_appends`` for ``>> FILE``; ``stdin`` says what the driver feeds it (``a here-document``), if anything."""
    operation = _parse(argv, site, cwd, captured_as, stdout, stdout_pipe, stdout_appends)
    if stdin is not None and _attaches_stdin(operation):
        # The container reads it (a script for `sh`, a tar stream); a build step would read nothing.
        return Opaque(site, f"the container reads {stdin} on its standard input (`-i`), which a build stage cannot", True)
    return operation


def parse_gcloud_docker(arguments: Sequence[Word], site: Site, cwd: Word) -> Operation:
    """``gcloud docker -- ARGS``: a docker command that only talks to a registry is read; any other is not followed."""
    if not arguments:
        return OtherDocker(site, "", ())  # ``gcloud docker --authorize-only`` only sets up credentials
    operation = _parse(arguments, site, cwd, None, None, None, False)
    if isinstance(operation, OtherDocker) and only_talks_to_registry(operation.subcommand):
        return operation
    return Opaque(site, f"`gcloud docker` runs `docker {arguments[0].text}`, which dmigrate reads only when the driver runs docker itself; call docker directly", True)


def _attaches_stdin(operation: Operation) -> bool:
    """``docker run -i`` or ``docker start -i``: the container's standard input is the driver's."""
    if isinstance(operation, Container) and operation.runs:
        flags = operation.other_flags
    elif isinstance(operation, OtherDocker) and operation.subcommand in ("start", "container start", "exec", "container exec"):
        flags = tuple(_split_flag(word) for word in operation.arguments if word.key.startswith("-"))
    else:
        return False
    for name, inline in flags:
        if name in ("-i", "--interactive") and (inline is None or inline.key not in ("false", "0")):
            return True
        if len(name) > 2 and name[0] == "-" and name[1] != "-" and inline is None and "i" in name[1:]:
            return True
    return False


def _parse(
    argv: Sequence[Word],
    site: Site,
    cwd: Word,
    captured_as: str | None,
    stdout: Word | None,
    stdout_pipe: tuple[Word, ...] | None,
    stdout_appends: bool,
) -> Operation:
    words = list(argv)
    while words and words[0].key.startswith("-"):
        flag = words.pop(0).key
        if flag in _GLOBAL_VALUE_FLAGS and words:
            words.pop(0)
    if not words:
        return OtherDocker(site, "", ())
    if not words[0].known:
        return Opaque(site, f"the docker subcommand {words[0].text} cannot be known without running the driver", True)
    command = (Word.literal("docker"), *words)
    subcommand = words.pop(0).key
    if subcommand in _CONTAINER_GROUPS and words and words[0].known:
        subcommand = f"{subcommand} {words.pop(0).key}"
    if subcommand == "compose" and not compose_is_harmless(words) or subcommand == "buildx" and words or (
        subcommand.startswith("buildx ") and subcommand != "buildx build" and subcommand[len("buildx ") :] not in BUILDX_HARMLESS
    ):
        # A front end dmigrate does not read: what it does to files is unknown, as a host program's is.
        return HostCommand(site, command, cwd)
    subcommand = {
        "image build": "build",
        "buildx build": "build",
        "builder build": "build",
        "container create": "create",
        "container run": "run",
        "container cp": "cp",
        "container rm": "rm",
        "image rm": "rmi",
        "image remove": "rmi",
        "container remove": "rm",
    }.get(subcommand, subcommand)
    try:
        if subcommand == "build":
            build = _build(words, site, cwd)
            if build.dockerfile is not None and build.dockerfile.key == "-":
                reason = "the Dockerfile comes from standard input (`-f -`), which dmigrate cannot read; keep it in a file and name that with -f"
                return Opaque(site, reason, True)
            return build
        if subcommand in ("create", "run"):
            container = _container(words, site, cwd, subcommand == "run", captured_as, stdout, stdout_pipe)
            return replace(container, stdout_appends=True) if stdout_appends and stdout is not None else container
        if subcommand == "cp":
            return _copy(words, site, cwd, stdout_pipe)
        if subcommand == "rm":
            return Remove(site, tuple(word for word in words if not word.key.startswith("-")))
        if subcommand == "rmi":
            return RemoveImage(site, tuple(word for word in words if not word.key.startswith("-")))
    except _Malformed as problem:
        return Opaque(site, f"cannot read `docker {subcommand}`: {problem}", True)
    return OtherDocker(site, subcommand, tuple(words))


def partition_known(key: str, separator: str) -> tuple[str, str, str]:
    """``str.partition`` that skips separators inside unknown parts (``\0${X:-y}\0``)."""
    inside = False
    for index, char in enumerate(key):
        if char == UNKNOWN_MARK:
            inside = not inside
        elif char == separator and not inside:
            return key[:index], separator, key[index + 1 :]
    return key, "", ""


class _Malformed(Exception):
    pass


def _split_flag(word: Word) -> tuple[str, Word | None]:
    """``--name=value`` into its name and value; ``--name`` alone gives None."""
    if word.key.startswith("--") and "=" in word.key:
        name, _, value = word.key.partition("=")
        text_value = word.text.split("=", 1)[1] if "=" in word.text else value
        return name, Word(text_value, value)
    if len(word.key) > 2 and word.key[0] == "-" and word.key[1] != "-" and word.key[2] == "=":
        return word.key[:2], Word(word.text[3:], word.key[3:])
    return word.key, None


def _take_value(name: str, inline: Word | None, words: list[Word]) -> Word:
    if inline is not None:
        return inline
    if not words:
        raise _Malformed(f"{name} needs a value")
    return words.pop(0)


def _build(words: list[Word], site: Site, cwd: Word) -> Build:
    tags: list[Word] = []
    build_args: list[BuildArg] = []
    dockerfile = target = context = None
    others: list[tuple[str, Word | None]] = []
    while words:
        word = words.pop(0)
        if not word.key.startswith("-") or word.key == "-":
            if context is not None:
                raise _Malformed(f"two build contexts: {context.text} and {word.text}")
            context = word
            continue
        name, inline = _split_flag(word)
        if inline is None and len(name) > 2 and name[1] in "tf":
            # A short option with its value joined on: ``-f-``, ``-tapp:build``.
            name, inline = name[:2], Word(word.text[2:] if word.text.startswith(name[:2]) else name[2:], name[2:])
        if name in ("-t", "--tag"):
            tags.append(_take_value(name, inline, words))
        elif name in ("-f", "--file"):
            dockerfile = _take_value(name, inline, words)
        elif name == "--target":
            target = _take_value(name, inline, words)
        elif name == "--build-arg":
            value_word = _take_value(name, inline, words)
            text = f"{word.text} {value_word.text}" if inline is None else word.text
            build_args.append(_build_arg(value_word, text))
        elif name in _BUILD_BOOLEAN_FLAGS:
            others.append((name, inline))
        else:
            others.append((name, _take_value(name, inline, words)))
    if context is None:
        raise _Malformed("no build context")
    return Build(site, context, dockerfile, tuple(tags), tuple(build_args), target, cwd, tuple(others))


def _build_arg(word: Word, text: str) -> BuildArg:
    if not word.known and "=" not in word.key.split("\x00")[0]:
        # ``--build-arg "$X"``: the name itself is unknown.
        raise _Malformed(f"the build arg {word.text} has a name that cannot be known")
    name, sep, value = word.key.partition("=")
    if not sep:
        return BuildArg(name, None, text)
    value_text = word.text.split("=", 1)[1] if "=" in word.text else word.text
    return BuildArg(name, Word(value_text, value), text)


def _container(
    words: list[Word],
    site: Site,
    cwd: Word,
    runs: bool,
    captured_as: str | None,
    stdout: Word | None,
    stdout_pipe: tuple[Word, ...] | None,
) -> Container:
    name = entrypoint = workdir = user = None
    remove = False
    env: list[Word] = []
    volumes: list[Volume] = []
    others: list[tuple[str, Word | None]] = []
    while words and (words[0].key.startswith("-") and words[0].key != "-" or words[0].splits and len(words) > 1):
        word = words.pop(0)
        if word.splits:
            # Unquoted and unknown: options and the image, or only the image? (Last, it must hold the image.)
            raise _Malformed(f"{word.text} may stand for options as well as the image, or for nothing")
        if word.key == "--":
            break
        flag, inline = _split_flag(word)
        if flag in _CONTAINER_BOOLEAN_FLAGS:
            if flag == "--rm":
                remove = inline is None or inline.key != "false"
            others.append((flag, inline))
            continue
        if flag.startswith("-") and not flag.startswith("--") and len(flag) > 2 and inline is None:
            # Bundled short options such as ``-it`` or ``-dit``.
            if set(flag[1:]) <= _CONTAINER_SHORT_BOOLEANS:
                others.append((flag, None))
                continue
            raise _Malformed(f"cannot read the option {word.text}")
        value = _take_value(flag, inline, words)
        if flag == "--name":
            name = value
        elif flag == "--entrypoint":
            entrypoint = value
        elif flag in ("-w", "--workdir"):
            workdir = value
        elif flag in ("-u", "--user"):
            user = value
        elif flag in ("-e", "--env"):
            env.append(value)
        elif flag in ("-v", "--volume"):
            volumes.append(replace(_volume(value), written=value))
        elif flag == "--mount":
            volumes.append(replace(_mount(value), written=value))
        else:
            others.append((flag, value))
    if not words:
        raise _Malformed("no image")
    image = words.pop(0)
    return Container(
        site=site,
        image=image,
        name=name,
        captured_as=captured_as,
        runs=runs,
        remove=remove,
        command=tuple(words),
        entrypoint=entrypoint,
        workdir=workdir,
        user=user,
        env=tuple(env),
        volumes=tuple(volumes),
        stdout=stdout,
        stdout_pipe=stdout_pipe,
        cwd=cwd,
        other_flags=tuple(others),
    )


def _volume(value: Word) -> Volume:
    """``HOST:CONTAINER[:OPTIONS]``; a bare ``/path`` is an anonymous volume."""
    parts = _split_known(value.key, ":")
    options = ""
    if len(parts) > 2 and not parts[-1].startswith("/"):
        options = parts.pop()
    if len(parts) < 2:
        return Volume(Word("", ""), parts[0], "volume")
    host = ":".join(parts[:-1])
    return Volume(Word(host, host), parts[-1], options)


def _split_known(key: str, separator: str) -> list[str]:
    """``str.split`` that leaves separators inside unknown parts (``\0${X:?}\0``) alone."""
    parts = []
    rest = key
    while True:
        head, found, rest = partition_known(rest, separator)
        parts.append(head)
        if not found:
            return parts


def _mount(value: Word) -> Volume:
    fields = dict(part.partition("=")[::2] for part in value.key.split(","))
    source = fields.get("source", fields.get("src", ""))
    target = fields.get("target", fields.get("dst", fields.get("destination", "")))
    if fields.get("type", "volume") != "bind":
        return Volume(Word("", ""), target, "volume")
    # `readonly`, `ro`, `readonly=true|1`; `readonly=false` is writable.
    readonly = fields.get("readonly", fields.get("ro"))
    return Volume(Word(source, source), target, "ro" if readonly is not None and readonly.lower() in ("", "1", "t", "true") else "")


def _copy(words: list[Word], site: Site, cwd: Word, stdout_pipe: tuple[Word, ...] | None) -> Copy:
    follow = False
    positional: list[Word] = []
    for word in words:
        if word.key in ("-L", "--follow-link"):
            follow = True
        elif word.key.startswith("-") and word.key != "-" and not positional:
            if not set(word.key[1:]) <= set("aLq") and word.key not in ("--archive", "--quiet"):
                raise _Malformed(f"unknown option {word.text}")
            follow = follow or "L" in word.key[1:]
        else:
            positional.append(word)
    if len(positional) != 2:
        raise _Malformed("docker cp needs a source and a destination")
    source, destination = positional
    container, sep, path = partition_known(source.key, ":")
    if not sep or not container:
        raise _Malformed(f"copies from the host into a container ({source.text}), which the migration does not need")
    return Copy(
        site=site,
        container=Word(source.text, container),
        source=Word(source.text, path),
        destination=destination,
        follow_links=follow,
        cwd=cwd,
        stream_into=stdout_pipe if destination.key == "-" else None,
    )
