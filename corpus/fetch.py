#!/usr/bin/env python3
"""Materialise the corpus of real builder-pattern repositories into a local folder.

For each entry of corpus/manifest.toml, take the repository's files at the
manifest's commit from its local mirror (a bare git directory that the
session's `fetch` brought under /work/.mirror/OWNER+NAME/) and write them into
FOLDER/OWNER+NAME/ as a fresh git repository with one commit, because dmigrate
wants a git work tree.

The files are other people's code: FOLDER must lie outside this repository,
and nothing this script writes is ever committed. CI never needs it.

    python3 corpus/fetch.py /work/corpus-local            # every entry
    python3 corpus/fetch.py /work/corpus-local --only welcome,alfred
    python3 corpus/fetch.py /work/corpus-local --mirrors /other/mirror/root
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_MIRRORS = Path(os.environ.get("CORPUS_MIRRORS", "/work/.mirror"))
COMMITTER = {
    "GIT_AUTHOR_NAME": "corpus",
    "GIT_AUTHOR_EMAIL": "corpus@localhost",
    "GIT_COMMITTER_NAME": "corpus",
    "GIT_COMMITTER_EMAIL": "corpus@localhost",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z",
}


def load_manifest(path: Path) -> list[dict]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    entries = data.get("project", [])
    commits: dict[str, str] = {}
    for entry in entries:
        for key in ("repo", "commit"):
            if key not in entry:
                raise SystemExit(f"{path}: an entry lacks {key!r}: {entry}")
        if commits.setdefault(entry["repo"], entry["commit"]) != entry["commit"]:
            raise SystemExit(f"{path}: the entries of {entry['repo']} name different commits; one folder holds one commit")
    return entries


def folder_name(repo: str) -> str:
    return repo.replace("/", "+")


def mirror_git_dir(mirrors: Path, repo: str) -> Path | None:
    base = mirrors / folder_name(repo) / "repo"
    for candidate in (base / ".git", base):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    return None


def git(*args: str, cwd: Path | None = None, env: dict | None = None, data: bytes | None = None) -> bytes:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        input=data,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:3])}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def extract(git_dir: Path, commit: str, paths: list[str], into: Path) -> tuple[int, list[str]]:
    """Write the tree of COMMIT (or only PATHS of it) into INTO.

    Returns the number of files written and the paths whose content the mirror
    lacks (snapshots leave out files of 4 MiB and more): those are written empty.
    """
    listing = git(f"--git-dir={git_dir}", "ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths)
    items = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, name = record.split(b"\t", 1)
        mode, kind, sha = meta.decode().split()
        relative = name.decode("utf-8", errors="surrogateescape")
        if kind != "blob" or relative.startswith("/") or ".." in Path(relative).parts:
            continue  # submodules (commits) are not in the mirror
        items.append((mode, sha, relative))
    request = "".join(f"{sha}\n" for _, sha, _ in items).encode()
    batch = subprocess.run(["git", f"--git-dir={git_dir}", "cat-file", "--batch"], input=request,
                           capture_output=True, check=False).stdout
    written, missing, offset = 0, [], 0
    root = into.resolve()
    for mode, sha, relative in items:
        newline = batch.index(b"\n", offset)
        header = batch[offset:newline].decode()
        offset = newline + 1
        if header.endswith(" missing"):
            missing.append(relative)  # an empty file keeps the tree's shape, which is what dmigrate reads
            (into / relative).parent.mkdir(parents=True, exist_ok=True)
            (into / relative).write_bytes(b"")
            continue
        size = int(header.split()[2])
        content = batch[offset:offset + size]
        offset += size + 1
        target = into / relative
        if root not in target.resolve().parents:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            os.symlink(os.fsdecode(content), target)
        else:
            target.write_bytes(content)
            target.chmod(0o755 if mode == "100755" else 0o644)
        written += 1
    return written, missing


def materialise(entry: dict, mirrors: Path, folder: Path, force: bool) -> str:
    repo, commit = entry["repo"], entry["commit"]
    into = folder / folder_name(repo)
    stamp = into / ".git" / "corpus-commit"
    if not force and stamp.is_file() and stamp.read_text().strip() == commit:
        return "up to date"
    git_dir = mirror_git_dir(mirrors, repo)
    if git_dir is None:
        return f"no mirror at {mirrors / folder_name(repo)} (fetch github:{repo} first)"
    try:
        git(f"--git-dir={git_dir}", "cat-file", "-e", f"{commit}^{{commit}}")
    except RuntimeError:
        return f"the mirror lacks commit {commit}"
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    count, missing = extract(git_dir, commit, list(entry.get("materialise", [])), into)
    git("init", "-q", "-b", "main", cwd=into)
    git("add", "-A", "-f", ".", cwd=into)
    git("commit", "-q", "--no-verify", "--no-gpg-sign", "-m", f"{repo} at {commit}", cwd=into, env=COMMITTER)
    stamp.write_text(commit + "\n")
    if missing:
        (into / ".git" / "corpus-missing").write_text("".join(f"{name}\n" for name in missing))
        return f"{count} files; {len(missing)} too large for the mirror, left empty: {', '.join(missing[:3])}"
    return f"{count} files"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="where to write OWNER+NAME/ (outside this repository)")
    parser.add_argument("--manifest", type=Path, default=HERE / "manifest.toml")
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS, help="root of the local mirrors")
    parser.add_argument("--only", default="", help="comma-separated substrings of repo names")
    parser.add_argument("--force", action="store_true", help="rewrite entries that are already there")
    args = parser.parse_args(argv)

    folder = args.folder.resolve()
    own_root = HERE.parent
    if folder == own_root or own_root in folder.parents:
        parser.error(f"{folder} lies inside {own_root}: keep third-party files out of this repository")
    folder.mkdir(parents=True, exist_ok=True)
    wanted = [word for word in args.only.split(",") if word]
    failures = 0
    seen: set[str] = set()
    for entry in load_manifest(args.manifest):
        repo = entry["repo"]
        if repo in seen or (wanted and not any(word in repo for word in wanted)):
            continue
        seen.add(repo)
        try:
            outcome = materialise(entry, args.mirrors, folder, args.force)
        except (RuntimeError, OSError, ValueError) as error:
            outcome = f"failed: {error}"
        if outcome.startswith(("no mirror", "the mirror", "failed")):
            failures += 1
        print(f"{repo:55} {outcome}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
