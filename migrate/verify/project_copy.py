"""The temporary copy of a project that a flow runs in: what git tracks, as it is in the working tree."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from migrate.verify.result import ERROR, VerifyStop

_GIT_IDENTITY = (
    "-c", "user.name=dmigrate verify", "-c", "user.email=verify@dmigrate.invalid",
    "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", "-c", "init.defaultBranch=main",
)  # fmt: skip

@dataclass(frozen=True)
class ProjectCopy:
    """A temporary copy of the project the driver belongs to."""

    original_root: Path
    root: Path
    in_git: bool

    def inside(self, original: Path) -> Path:
        return self.root / Path(os.path.realpath(original)).relative_to(self.original_root)

    def outside(self, path: Path) -> Path:
        """The user's path for a path in this copy (unchanged when it lies elsewhere)."""
        absolute = Path(os.path.abspath(path))
        try:
            return self.original_root / absolute.relative_to(self.root)
        except ValueError:
            return Path(path)


def project_root(driver: Path) -> tuple[Path, bool]:
    """The git work tree holding ``driver``, else its directory; and whether it is in git."""
    directory = Path(os.path.realpath(driver)).parent
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    except OSError:
        return directory, False
    if done.returncode != 0 or not done.stdout.strip():
        return directory, False
    return Path(os.path.realpath(done.stdout.strip())), True


def copy_project(driver: Path, destination: Path) -> ProjectCopy:
    """Copy what the driver's migration may read: what git tracks, as it is in the working tree.

    Untracked files are left out because dmigrate takes them as not there
    before the driver runs; outside git the driver's whole directory is copied.
    """
    root, in_git = project_root(driver)
    target = destination / root.name
    try:
        if not in_git:
            shutil.copytree(root, target, symlinks=True, ignore=shutil.ignore_patterns(".git"))
            return ProjectCopy(root, target, False)
        listing = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached"], capture_output=True, stdin=subprocess.DEVNULL)
        if listing.returncode != 0:
            raise VerifyStop(ERROR, f"git ls-files in {root} failed: {listing.stderr.decode(errors='replace').strip()}")
        target.mkdir(parents=True)
        for name in sorted({name for name in listing.stdout.decode("utf-8", "surrogateescape").split("\0") if name}):
            _copy_entry(root / name, target / name)
    except shutil.Error as error:
        # copytree goes on past what it cannot copy (a FIFO, an unreadable file) and names it all at the end.
        raise VerifyStop(ERROR, f"cannot make the temporary copy of {root}: {error.args[0][0][2]}") from None
    except OSError as error:
        detail = f"{error.filename}: {error.strerror}" if error.filename and error.strerror else str(error)
        raise VerifyStop(ERROR, f"cannot make the temporary copy of {root}: {detail}") from None
    _git(target, "init", "-q")
    # Forced: a tracked file may match .gitignore, and it must stay tracked in the copy.
    _git(target, "add", "--force", "--all", ".")
    _git(target, "commit", "-q", "--no-verify", "--allow-empty", "-m", "dmigrate --verify copy")
    return ProjectCopy(root, target, True)


def _copy_entry(source: Path, target: Path) -> None:
    if not os.path.lexists(source):
        return  # deleted in the working tree
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
    elif source.is_dir():  # a submodule
        shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".git"), dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)


def _git(repo: Path, *args: str) -> None:
    done = subprocess.run(["git", *_GIT_IDENTITY, *args], cwd=repo, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise VerifyStop(ERROR, f"git {' '.join(args)} in the temporary copy failed: {(done.stderr or done.stdout).strip()}")


def translate(text: str, copy: ProjectCopy) -> str:
    """Name the user's paths where a message names the temporary copy."""
    from migrate.display import display_path

    cwd = Path(os.getcwd())
    shown_copy = display_path(copy.root, cwd)
    shown_original = display_path(copy.original_root, cwd)
    if shown_copy != str(copy.root):
        text = text.replace(shown_copy + "/", "" if shown_original == "." else shown_original + "/")
    return text.replace(str(copy.root), str(copy.original_root))
