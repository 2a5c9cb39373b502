"""A ``docker run`` becomes a stage: the same command, environment, user and working directory, in a RUN.

``docker run [-w D] [-u U] [-e K=V] [-v HOST:/M] IMG CMD…`` (or ``docker create``
and ``docker start -a``) runs ENTRYPOINT + CMD in a container of IMG; the
stage ``FROM <IMG's stage> AS <name>`` runs that argv in exec form, with the
same WORKDIR, USER and ENV.  A bind mount's target becomes a directory of
the stage, holding what the host directory held before the run.  Whatever
the container leaves behind (in its file system or in the mount) is then
read with ``COPY --from=<name>``.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from migrate.plan import BuildArgValue, CopySpec
from migrate.read.docker_cli import partition_known
from migrate.read.ops import Word
from migrate.trace.config import RunDefaults
from migrate.trace.graph import ContainerState
from migrate.trace.paths import STANDARD_DIRECTORIES, is_under
from migrate.trace.stage_state import OWNERSHIP_CHANGERS, is_root_user

# Options of `docker run`/`docker create` that change nothing a build step could see.
_NEUTRAL_FLAGS = frozenset(
    {
        "--rm", "-i", "--interactive", "-t", "--tty", "--init", "--network", "--net", "--pull", "-a", "--attach",
        "--sig-proxy", "--log-driver", "--log-opt", "-l", "--label", "--label-file", "--stop-timeout", "-q", "--quiet",
        "-d", "--detach", "--disable-content-trust",
    }
)  # fmt: skip


@dataclass(frozen=True)
class RunStage:
    state: ContainerState
    name: str
    base: str
    """What the stage is FROM: the build image's stage, or the image reference."""
    lines: tuple[str | CopySpec, ...]
    """The stage's instructions after its FROM."""
    build_args: tuple[BuildArgValue, ...]
    """Build args the one ``docker build`` must now pass."""
    root_owned: bool
    """Every file the RUN makes is provably owned by root."""
    decisions: tuple[str, ...] = ()


class RunRefused(Exception):
    pass


def plan_run_stage(
    state: ContainerState,
    *,
    name: str,
    base: str,
    argv: tuple[str, ...],
    defaults: RunDefaults,
    base_root: bool,
    context: str,
    arg_name: Callable[[str], str],
    base_creates: Callable[[str], bool],
    syntax: str = "shell",
) -> RunStage:
    """The stage for one container's run; :class:`RunRefused` when it would not do what the run did.

    ``context`` is the merged build's context directory, which the mounted
    host directories are copied from; ``arg_name`` gives a fresh build arg
    name for a value only the driver knows; ``base_creates(path)`` tells
    whether the build image's Dockerfile puts anything at a path; ``syntax`` is
    the kind of driver text (``shell``, ``make``, ``python``) the run is written in.
    """
    op = state.op
    for flag, _value in op.other_flags:
        bundle = flag.startswith("-") and not flag.startswith("--") and len(flag) > 2
        if flag not in _NEUTRAL_FLAGS and not (bundle and set(flag[1:]) <= set("itd")):
            raise RunRefused(f"`docker {'run' if op.runs else 'create'} {flag}` has no equivalent in a build step")
    lines: list[str | CopySpec] = []
    build_args: list[BuildArgValue] = []
    decisions: list[str] = []
    user = _known(op.user) if op.user is not None else defaults.user
    user_line = None
    if op.user is not None:
        if user is not None:
            user_line = f"USER {_plain(user, 'user')}"
        else:
            variable = arg_name("USER")
            lines.append(f"ARG {variable}")
            build_args.append(BuildArgValue(variable, op.site, syntax, value=Word(_value_text(op.user.text), op.user.key)))
            user_line = f"USER ${{{variable}}}"
    run_user_root = user is not None and is_root_user(user)
    if run_user_root:
        chown: tuple[str, ...] = ()
    elif user is not None:
        chown = (f"--chown={user}",)
    elif op.user is not None:
        chown = (f"--chown={user_line[len('USER '):]}",)
    else:
        raise RunRefused(f"the user {state.reference} runs as cannot be known ({defaults.unknown})")
    workdir_now = defaults.workdir
    for mount in state.mounts:
        if any(is_under(d, mount.target) for d in STANDARD_DIRECTORIES):
            raise RunRefused(f"the bind mount at {mount.target} hides what the image has there, which a stage cannot")
        if base_creates(mount.target):
            raise RunRefused(f"the build image already has files in {mount.target}, which the bind mount hid from the command")
        if mount.seeded:
            if not is_under(mount.host_path, context):
                raise RunRefused(
                    f"it mounts {mount.host_path}, outside the build context, and the files there before the run cannot be known"
                )
            source = posixpath.relpath(mount.host_path, context)
            lines.append(CopySpec(chown, (source,), mount.target))
            if chown:
                decisions.append(
                    f"the files mounted at {mount.target} belonged to the host user; in the stage they belong to "
                    f"{chown[0][len('--chown='):]}, the user the command runs as"
                )
        else:
            lines.append(f"WORKDIR {_path(mount.target)}")
            workdir_now = mount.target
    if op.workdir is not None:
        wanted = _known(op.workdir)
        if wanted is None or not wanted.startswith("/") and defaults.workdir is None:
            raise RunRefused(f"the working directory {op.workdir.text} cannot be known without running the driver")
        wanted = posixpath.normpath(posixpath.join(defaults.workdir or "/", wanted))
    else:
        wanted = defaults.workdir
    if wanted != workdir_now:
        if wanted is None:
            raise RunRefused(f"the working directory of {state.reference} cannot be known ({defaults.unknown})")
        lines.append(f"WORKDIR {_path(wanted)}")
    if user_line is not None:
        lines.append(user_line)
    for word in op.env:
        key, separator, value = partition_known(word.key, "=")
        if "\x00" in key or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise RunRefused(f"the environment variable {word.text} has a name that cannot be known")
        if separator and "\x00" not in value:
            lines.append(f"ENV {key}={_quoted(value)}")
            continue
        variable = arg_name(key)
        lines.append(f"ARG {variable}")
        lines.append(f"ENV {key}=${{{variable}}}")
        if separator:
            build_args.append(BuildArgValue(variable, op.site, syntax, value=Word(_value_text(_after_equals(word.text)), value)))
        else:
            build_args.append(BuildArgValue(variable, op.site, syntax, environment=key))
            decisions.append(f"assumed {key} is set in the environment, as `-e {key}` passes it only then")
    lines.append("RUN " + json.dumps(list(argv), ensure_ascii=False))
    root_owned = base_root and run_user_root and not OWNERSHIP_CHANGERS.search(" ".join(argv))
    return RunStage(state, name, base, tuple(lines), tuple(build_args), root_owned, tuple(decisions))


def _known(word: Word) -> str | None:
    return word.key if word.known else None


def _path(path: str) -> str:
    if any(char in path for char in "$\\\"'\n") or path != path.strip():
        raise RunRefused(f"the path {path!r} needs quoting that dmigrate does not write")
    return path


def _plain(value: str, what: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.:-]+", value):
        raise RunRefused(f"the {what} {value!r} needs quoting that dmigrate does not write")
    return value


def _quoted(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise RunRefused("an environment value spans lines")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def _after_equals(text: str) -> str:
    """``NAME=value`` as written, without ``NAME=``: ``"A=$B"`` gives ``"$B"``."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return '"' + text[1:-1].split("=", 1)[1] + '"'
    return text.split("=", 1)[1]


def _value_text(text: str) -> str:
    """A value as the driver wrote it, ready to stand after ``NAME=`` in a shell word."""
    if text.startswith(("'", '"')) or not any(char.isspace() for char in text):
        return text
    return f'"{text}"'
