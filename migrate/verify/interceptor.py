"""The ``docker`` that ``dmigrate --verify`` puts first on PATH while a flow runs.

It decides from the command's words alone whether the command publishes,
logs in, or talks to a registry:

* such a command is **intercepted**: it is not run, it is logged, and it
  exits 0 as if it had worked (``push``, ``login``, ``pull``, ``manifest``,
  ``buildx imagetools``, ``compose push``, ``trust`` ...);
* a build that would also publish is **changed**: it runs without what
  publishes (``--push`` and a registry ``--output`` load the image into the
  engine instead; a registry ``--cache-to`` or ``--cache-from`` is dropped;
  ``--pull`` is dropped, so both flows build from the images the engine
  has, as a registry's newer base image would make the two flows differ
  for a reason that is not the migration);
* a command that would reach another engine than the one ``--verify``
  guards, or change the user's docker configuration, is **refused**: not
  run, and it exits 125 (``-H``, ``--context``, ``context use``, ``buildx
  create`` ...);
* everything else is **passed** to the real client unchanged.

Each decision but a plain pass is written to the flow's log as one JSON
line.  This file runs as a script with the interpreter's ``-I -S``, so it
imports only the standard library.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

PASSED = "passed"
CHANGED = "changed"
INTERCEPTED = "intercepted"
REFUSED = "refused"

REFUSED_EXIT = 125

# docker's own options, before the subcommand.
_GLOBAL_VALUE_FLAGS = {"-l", "--log-level", "--tlscacert", "--tlscert", "--tlskey"}
_OTHER_ENGINE_FLAGS = {"-H", "--host", "-c", "--context", "--config"}

_BUILD_VALUE_FLAGS = {
    "-t", "--tag", "-f", "--file", "--build-arg", "--label", "--target", "--platform", "--network", "--secret",
    "--ssh", "--cache-from", "--cache-to", "-o", "--output", "--progress", "--iidfile", "--metadata-file",
    "--add-host", "--shm-size", "--ulimit", "--cgroup-parent", "--isolation", "-m", "--memory", "--memory-swap",
    "--cpu-shares", "-c", "--cpu-period", "--cpu-quota", "--cpuset-cpus", "--cpuset-mems", "--builder",
    "--build-context", "--attest", "--sbom", "--provenance", "--allow", "--annotation", "--security-opt", "--call",
}  # fmt: skip
_BAKE_VALUE_FLAGS = {"-f", "--file", "--set", "--metadata-file", "--progress", "--builder", "--provenance", "--sbom", "--call", "--list", "--allow"}
_COMPOSE_VALUE_FLAGS = {"-f", "--file", "-p", "--project-name", "--profile", "--env-file", "--project-directory", "--parallel", "--progress", "--ansi"}
_COMPOSE_RUN_VALUE_FLAGS = {
    "--pull", "--scale", "-t", "--timeout", "--exit-code-from", "--wait-timeout", "--attach", "--no-attach", "-e", "--env",
    "-l", "--label", "-p", "--publish", "-v", "--volume", "-w", "--workdir", "-u", "--user", "--name", "--entrypoint",
}  # fmt: skip
_CONTAINER_BOOLEAN_FLAGS = {
    "-d", "--detach", "-i", "--interactive", "-t", "--tty", "--rm", "--privileged", "--init", "-P", "--publish-all",
    "--read-only", "--no-healthcheck", "--oom-kill-disable", "-q", "--quiet", "--sig-proxy", "--disable-content-trust", "--help",
}  # fmt: skip
_CONTAINER_SHORT_BOOLEANS = set("ditPq")

# Cache and output backends that live in a registry or a cloud service, not on this machine.
_REMOTE_BACKENDS = {"registry", "gha", "s3", "azblob"}

PULL_REASON = "--pull asks a registry for newer base images; both flows build from the images the engine has"


@dataclass(frozen=True)
class Decision:
    action: str
    reason: str = ""
    run: tuple[str, ...] | None = None
    """The words after ``docker`` that are run; None when nothing runs."""
    bake: bool = False
    """A ``buildx bake``, whose file may publish what its command line does not say: checked with ``--print`` first."""


def passed(args: Sequence[str]) -> Decision:
    return Decision(PASSED, "", tuple(args))


def intercepted(reason: str) -> Decision:
    return Decision(INTERCEPTED, reason)


def refused(reason: str) -> Decision:
    return Decision(REFUSED, reason)


def decide(args: Sequence[str]) -> Decision:
    """What to do with ``docker ARGS``."""
    args = list(args)
    position = 0
    while position < len(args) and args[position].startswith("-"):
        flag, _, inline = args[position].partition("=")
        if flag in _OTHER_ENGINE_FLAGS:
            return refused(f"`{flag}` points docker at another engine or client configuration than the one --verify guards")
        position += 1
        if flag in _GLOBAL_VALUE_FLAGS and not inline:
            position += 1
    globals_, rest = args[:position], args[position:]
    if not rest:
        return passed(args)
    command, words = rest[0], rest[1:]
    if command in ("image", "container", "buildx", "builder", "manifest", "trust", "plugin", "compose", "context", "scout", "service", "stack"):
        return _group(command, words, globals_)
    return _command(command, words, globals_, command)


def _command(command: str, words: list[str], globals_: list[str], shown: str) -> Decision:
    prefix = [*globals_, *shown.split()]
    if command in ("login", "logout"):
        return intercepted(f"`docker {shown}` {'logs in to' if command == 'login' else 'logs out of'} a registry")
    if command == "push":
        return intercepted(f"`docker {shown}` publishes an image")
    if command == "pull":
        return intercepted(f"`docker {shown}` pulls from a registry; both flows use the images the engine has")
    if command == "search":
        return intercepted(f"`docker {shown}` queries a registry")
    if command == "build":
        return _build(prefix, words, adds_load=False)
    if command in ("run", "create"):
        return _container(prefix, words)
    return passed([*prefix, *words])


def _group(group: str, words: list[str], globals_: list[str]) -> Decision:
    if group == "buildx":
        return _buildx(words, globals_)
    if group == "compose":
        return _compose(words, globals_)
    subcommand = words[0] if words else ""
    shown = f"{group} {subcommand}".strip()
    if group == "manifest":
        return intercepted(f"`docker {shown}` reads or writes manifest lists in a registry")
    if group == "trust":
        return intercepted(f"`docker {shown}` signs or inspects signatures in a registry")
    if group == "scout":
        return intercepted(f"`docker {shown}` sends image data to Docker Scout")
    if group == "plugin" and subcommand in ("install", "push", "upgrade"):
        return intercepted(f"`docker {shown}` {'publishes a plugin' if subcommand == 'push' else 'fetches a plugin from a registry'}")
    if group == "service" and subcommand in ("create", "update", "rollback", "scale") or group == "stack" and subcommand == "deploy":
        return intercepted(f"`docker {shown}` deploys to a swarm, whose nodes pull from a registry")
    if group == "context" and subcommand in ("use", "create", "update", "rm", "remove", "import"):
        return refused(f"`docker {shown}` changes your docker contexts, which decide the engine every docker command talks to")
    if group in ("image", "container") and subcommand in ("push", "pull", "build", "run", "create"):
        return _command(subcommand, words[1:], globals_, shown)
    if group == "builder" and subcommand == "build":
        return _build([*globals_, group, subcommand], words[1:], adds_load=False)
    return passed([*globals_, group, *words])


def _buildx(words: list[str], globals_: list[str]) -> Decision:
    position = 0
    while position < len(words) and words[position].startswith("-"):
        flag, _, inline = words[position].partition("=")
        position += 2 if flag == "--builder" and not inline else 1
    prefix, rest = [*globals_, "buildx", *words[:position]], words[position:]
    subcommand = rest[0] if rest else ""
    shown = f"buildx {subcommand}".strip()
    if subcommand in ("build", "b"):
        return _build([*prefix, subcommand], rest[1:], adds_load=True)
    if subcommand in ("bake", "f"):
        return _bake([*prefix, subcommand], rest[1:])
    if subcommand == "imagetools":
        shown += f" {rest[1]}" if len(rest) > 1 else ""
        return intercepted(f"`docker {shown}` reads or writes images in a registry")
    if subcommand in ("create", "use", "rm", "install", "uninstall"):
        return refused(f"`docker {shown}` changes your buildx builders, which are kept in your docker configuration")
    return passed([*prefix, *rest])


def _compose(words: list[str], globals_: list[str]) -> Decision:
    position = 0
    while position < len(words) and words[position].startswith("-"):
        flag, _, inline = words[position].partition("=")
        position += 2 if flag in _COMPOSE_VALUE_FLAGS and not inline else 1
    prefix, rest = [*globals_, "compose", *words[:position]], words[position:]
    subcommand = rest[0] if rest else ""
    if subcommand == "push":
        return intercepted("`docker compose push` publishes the services' images")
    if subcommand == "pull":
        return intercepted("`docker compose pull` pulls from a registry; both flows use the images the engine has")
    if subcommand == "build":
        dropped = {"--pull": PULL_REASON, "--push": "--push publishes the services' images"}
        kept, reasons = _without_flags(rest[1:], dropped, {"--build-arg", "--builder", "-m", "--memory", "--ssh", "--progress"})
        return _changed_or_passed([*prefix, "build", *kept], reasons)
    if subcommand in ("up", "run", "create"):
        kept, reasons = _without_pull_always(rest[1:], value_flags=_COMPOSE_RUN_VALUE_FLAGS)
        return _changed_or_passed([*prefix, subcommand, *kept], reasons)
    return passed([*prefix, *rest])


# --- builds ------------------------------------------------------------------------------------


def _build(prefix: list[str], words: list[str], *, adds_load: bool) -> Decision:
    """A build runs without what would publish it or reach a registry for it.

    ``adds_load``: buildx keeps an image in its builder unless told to load
    it; a build that pushed now loads, so that the flow still finds it.
    """
    kept: list[str] = []
    reasons: list[str] = []
    published = loads = False
    index = 0
    while index < len(words):
        word = words[index]
        flag, equals, inline = word.partition("=")
        takes_value = flag in _BUILD_VALUE_FLAGS and not equals
        value = inline if equals else (words[index + 1] if takes_value and index + 1 < len(words) else None)
        if word.startswith("-o") and not word.startswith("--") and len(flag) > 2:
            flag, value, takes_value = "-o", word[2:].removeprefix("="), False
        step = 2 if takes_value else 1
        index += step
        if flag == "--push" and _true(value if equals else None):
            reasons.append("--push publishes the image")
            published = True
            continue
        if flag == "--pull" and _true(value if equals else None):
            reasons.append(PULL_REASON)
            continue
        if flag == "--load" and _true(value if equals else None):
            loads = True
        if flag in ("-o", "--output") and value is not None:
            kind = _output_type(value)
            if kind in ("docker", "image"):
                loads = True
            if _output_publishes(value):
                reasons.append(f"--output {value} publishes the image")
                published = True
                if adds_load:
                    name = _csv(value).get("name")
                    kept.extend(["--output", "type=docker" + (f",name={name}" if name else "")])
                    loads = True
                continue
        if flag == "--cache-to" and value is not None and _backend(value) in _REMOTE_BACKENDS:
            reasons.append(f"--cache-to {value} writes the build cache to a registry or service")
            continue
        if flag == "--cache-from" and value is not None and _backend(value) in _REMOTE_BACKENDS:
            reasons.append(f"--cache-from {value} reads a registry or service; both flows build without it")
            continue
        kept.extend(words[index - step : index])
    if published and adds_load and not loads:
        kept.insert(0, "--load")
    return _changed_or_passed([*prefix, *kept], reasons)


def _bake(prefix: list[str], words: list[str]) -> Decision:
    kept: list[str] = []
    reasons: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        flag, equals, inline = word.partition("=")
        takes_value = flag in _BAKE_VALUE_FLAGS and not equals
        value = inline if equals else (words[index + 1] if takes_value and index + 1 < len(words) else None)
        step = 2 if takes_value else 1
        index += step
        if flag == "--push" and _true(inline if equals else None):
            reasons.append("--push publishes every target's image")
            kept.append("--load")
            continue
        if flag == "--pull" and _true(inline if equals else None):
            reasons.append(PULL_REASON)
            continue
        if flag == "--set" and value is not None:
            target_key, _, setting = value.partition("=")
            key = target_key.rsplit(".", 1)[-1]
            if key == "output" and _output_publishes(setting):
                name = _csv(setting).get("name")
                reasons.append(f"--set {value} publishes the image")
                kept.extend(["--set", f"{target_key}=type=docker" + (f",name={name}" if name else "")])
                continue
            if key in ("cache-to", "cache-from") and _backend(setting) in _REMOTE_BACKENDS:
                reasons.append(f"--set {value} reaches a registry or service for the build cache")
                continue
            if key == "pull" and _true(setting or None):
                reasons.append(PULL_REASON)
                continue
        kept.extend(words[index - step : index])
    return replace(_changed_or_passed([*prefix, *kept], reasons), bake=True)


def bake_file_publishes(printed: str) -> str | None:
    """Why the targets ``buildx bake --print`` shows would publish or reach a registry, or None."""
    try:
        definition = json.loads(printed)
    except ValueError:
        return "`buildx bake --print` did not show its targets"
    targets = definition.get("target") if isinstance(definition, dict) else None
    if not isinstance(targets, dict):
        return "`buildx bake --print` did not show its targets"
    for name, target in sorted(targets.items()):
        if not isinstance(target, dict):
            continue
        for output in _entries(target.get("output")):
            if _output_publishes(output):
                return f"its bake file's target {name} publishes (output {output})"
        for key in ("cache-to", "cache-from"):
            for entry in _entries(target.get(key)):
                if _backend(entry) in _REMOTE_BACKENDS:
                    return f"its bake file's target {name} reaches a registry or service for the build cache ({key} {entry})"
        if target.get("pull") is True:
            return f"its bake file's target {name} pulls (pull = true)"
    return None


def _entries(value) -> list[str]:
    """A bake attribute's entries as ``key=value,...`` text: older buildx prints strings, newer prints objects."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if isinstance(item, dict):
            found.append(",".join(f"{key}={item[key]}" for key in item))
        else:
            found.append(str(item))
    return found


def _container(prefix: list[str], words: list[str]) -> Decision:
    kept, reasons = _without_pull_always(words, value_flags=None)
    return _changed_or_passed([*prefix, *kept], reasons)


def _without_pull_always(words: list[str], *, value_flags: set[str] | None) -> tuple[list[str], list[str]]:
    """``--pull always`` before the image (or the service) is dropped: the default pulls only what is missing.

    ``value_flags`` None: docker run's rule, where every flag but the known
    booleans takes a value.
    """
    kept: list[str] = []
    reasons: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--" or not word.startswith("-") or word == "-":
            kept.extend(words[index:])
            break
        flag, equals, inline = word.partition("=")
        takes_value = not equals and (flag in value_flags if value_flags is not None else _container_flag_takes_value(flag))
        value = inline if equals else (words[index + 1] if takes_value and index + 1 < len(words) else None)
        step = 2 if takes_value else 1
        if flag == "--pull" and value == "always":
            reasons.append("--pull always asks a registry for a newer image; both flows use the images the engine has")
        else:
            kept.extend(words[index : index + step])
        index += step
    return kept, reasons


def _container_flag_takes_value(flag: str) -> bool:
    if flag.startswith("--"):
        return flag not in _CONTAINER_BOOLEAN_FLAGS
    letters = flag[1:]
    if len(letters) == 1:
        return flag not in _CONTAINER_BOOLEAN_FLAGS
    return all(letter in _CONTAINER_SHORT_BOOLEANS for letter in letters[:-1]) and letters[-1] not in _CONTAINER_SHORT_BOOLEANS


def _without_flags(words: list[str], dropped: dict[str, str], value_flags: set[str]) -> tuple[list[str], list[str]]:
    kept: list[str] = []
    reasons: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        flag, equals, inline = word.partition("=")
        step = 2 if flag in value_flags and not equals else 1
        if flag in dropped and _true(inline if equals else None):
            reasons.append(dropped[flag])
        else:
            kept.extend(words[index : index + step])
        index += step
    return kept, reasons


def _changed_or_passed(run: list[str], reasons: list[str]) -> Decision:
    if not reasons:
        return passed(run)
    return Decision(CHANGED, "; ".join(dict.fromkeys(reasons)), tuple(run))


def _true(inline: str | None) -> bool:
    """A boolean flag written bare or as ``--flag=VALUE``."""
    return inline is None or inline.strip().lower() in ("true", "1", "yes")


def _csv(value: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in value.split(","):
        key, equals, item = part.partition("=")
        if equals:
            found[key.strip().lower()] = item.strip()
    return found


def _output_type(value: str) -> str | None:
    fields = _csv(value)
    if not fields:
        return "local"  # ``-o DIR`` is a local export
    return fields.get("type", "local").lower()


def _output_publishes(value: str) -> bool:
    fields = _csv(value)
    if fields.get("type", "").lower() == "registry":
        return True
    return "push" in fields and _true(fields["push"])


def _backend(value: str) -> str:
    """A cache source or target's backend; a bare image reference means a registry."""
    fields = _csv(value)
    if not fields:
        return "registry"
    return fields.get("type", "registry").lower()


# --- as a program ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What dmigrate tells the interceptor of one flow, in a JSON file named on its command line."""

    log: str
    client: str
    gate: str
    """The ``DOCKER_HOST`` the flow is given: only clients that bypass this program use it."""
    docker_host: str | None
    docker_context: str | None
    docker_config: str | None
    own_directory: str

    @classmethod
    def load(cls, path: str) -> Settings:
        with open(path, encoding="utf-8") as handle:
            return cls(**json.load(handle))


def environment_problem(environ: dict[str, str], settings: Settings) -> str | None:
    """Why the driver's environment points docker elsewhere than the engine --verify guards, or None."""
    host = environ.get("DOCKER_HOST")
    if host and host != settings.gate and host != settings.docker_host:
        return f"the driver sets DOCKER_HOST={host}, another engine than the one --verify guards"
    context = environ.get("DOCKER_CONTEXT")
    if context and context != settings.docker_context:
        return f"the driver sets DOCKER_CONTEXT={context}, which may name another engine than the one --verify guards"
    engine_from_config = not settings.docker_host and not settings.docker_context
    if engine_from_config and environ.get("DOCKER_CONFIG") != settings.docker_config:
        return f"the driver sets DOCKER_CONFIG={environ.get('DOCKER_CONFIG', '')}, whose current context may name another engine than the one --verify guards"
    return None


def real_environment(environ: dict[str, str], settings: Settings) -> dict[str, str]:
    """The driver's environment with the engine --verify guards, and without this program on PATH."""
    env = dict(environ)
    for name, value in (("DOCKER_HOST", settings.docker_host), ("DOCKER_CONTEXT", settings.docker_context)):
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    own = os.path.realpath(settings.own_directory)
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep) if part and os.path.realpath(part) != own)
    return env


def without_secrets(args: Sequence[str]) -> list[str]:
    """``docker login``'s password, hidden: the log and the report are not the place for it."""
    if "login" not in args:
        return list(args)
    shown: list[str] = []
    hide_next = False
    for word in args:
        if hide_next:
            shown.append("***")
            hide_next = False
        elif word in ("-p", "--password"):
            shown.append(word)
            hide_next = True
        elif word.startswith("--password="):
            shown.append("--password=***")
        elif word.startswith("-p") and not word.startswith("--") and len(word) > 2:
            shown.append("-p***")
        else:
            shown.append(word)
    return shown


def log_decision(path: str, args: Sequence[str], decision: Decision) -> None:
    ran = None if decision.run is None else ["docker", *without_secrets(decision.run)]
    entry = {"argv": ["docker", *without_secrets(args)], "action": decision.action, "reason": decision.reason, "ran": ran}
    line = (json.dumps(entry) + "\n").encode("utf-8", "surrogateescape")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)


def read_log(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in lines:
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


def _check_bake_file(decision: Decision, client: str, env: dict[str, str], run: Callable[..., subprocess.CompletedProcess]) -> Decision:
    """A bake file may publish where its command line does not say so: ask ``bake --print``."""
    words = list(decision.run or ())
    printed = run([client, *_print_only(words)], env=env, capture_output=True, stdin=subprocess.DEVNULL, check=False)
    if printed.returncode != 0:
        return intercepted("`docker buildx bake` was not run: `buildx bake --print` could not show whether its file publishes")
    reason = bake_file_publishes(printed.stdout.decode("utf-8", "replace"))
    if reason is not None:
        return intercepted(f"`docker buildx bake` was not run: {reason}")
    return decision


def _print_only(words: Iterable[str]) -> list[str]:
    kept = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word in ("--progress", "--metadata-file"):
            skip = True
            continue
        if word.startswith(("--progress=", "--metadata-file=")) or word in ("--load",):
            continue
        kept.append(word)
    return [*kept, "--print"]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = Settings.load(argv[0])
    args = argv[1:]
    environ = dict(os.environ)
    problem = environment_problem(environ, settings)
    decision = refused(problem) if problem else decide(args)
    env = real_environment(environ, settings)
    if decision.bake:
        decision = _check_bake_file(decision, settings.client, env, subprocess.run)
    if decision.action != PASSED:
        log_decision(settings.log, args, decision)
        verb = {CHANGED: "changed", INTERCEPTED: "intercepted, not run", REFUSED: "refused"}[decision.action]
        sys.stderr.write(f"dmigrate --verify: {verb}: docker {' '.join(without_secrets(args))}: {decision.reason}\n")
        sys.stderr.flush()
    if decision.action == INTERCEPTED:
        return 0
    if decision.action == REFUSED:
        return REFUSED_EXIT
    os.execve(settings.client, [settings.client, *(decision.run or ())], env)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main())
