"""The git index read directly must list what ``git ls-files`` lists, or step aside for git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from migrate.read import gitindex
from migrate.read.project import _git_files
from support import make_project

FILES = {
    "build.sh": "#!/bin/sh\n",
    "Dockerfile": "FROM alpine\n",
    "src/main.go": "package main\n",
    "src/deep/er/still/file.txt": "x\n",
    "naïve/ünïcode name.txt": "x\n",
    "a" * 120 + "/" + "b" * 200 + ".txt": "long\n",
    "dir with spaces/file": "x\n",
}


def ls_files(root: Path, *args: str) -> frozenset[str]:
    listing = subprocess.run(["git", "-C", str(root), "ls-files", "-z", *args], capture_output=True, check=True).stdout
    return frozenset(name for name in listing.decode("utf-8", "surrogateescape").split("\0") if name)


@pytest.fixture
def repository(tmp_path) -> Path:
    return make_project(tmp_path / "repo", FILES)


@pytest.mark.parametrize("version", ["2", "3", "4"])
def test_every_index_version_reads_as_git_lists_it(repository, version):
    subprocess.run(["git", "-C", str(repository), "update-index", "--index-version", version], check=True)
    (repository / "new.txt").write_text("new\n")
    # Intent-to-add sets the extended flags that version 3 introduced.
    subprocess.run(["git", "-C", str(repository), "add", "-N", "new.txt"], check=True)
    gitindex._cache.clear()
    top, tracked = gitindex.tracked_files(str(repository / "src"))
    assert top == os.path.realpath(repository)
    assert tracked == ls_files(repository)
    assert "new.txt" in tracked and "naïve/ünïcode name.txt" in tracked


def test_a_subdirectory_sees_the_paths_below_it(repository):
    (below,) = gitindex.tracked_below(str(repository / "src"))
    assert below == ls_files(repository / "src", "--", ".")


def test_outside_git_there_is_no_tracked_set(tmp_path):
    (tmp_path / "plain").mkdir()
    assert gitindex.tracked_files(str(tmp_path / "plain")) == (str(tmp_path / "plain"), None)


def test_an_empty_repository_tracks_nothing(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path / "empty")], check=True)
    assert gitindex.tracked_files(str(tmp_path / "empty")) == (os.path.realpath(tmp_path / "empty"), frozenset())


def test_a_linked_work_tree_is_read_through_its_git_file(repository, tmp_path):
    subprocess.run(["git", "-C", str(repository), "worktree", "add", "-q", str(tmp_path / "linked")], check=True)
    top, tracked = gitindex.tracked_files(str(tmp_path / "linked"))
    assert top == os.path.realpath(tmp_path / "linked")
    assert tracked == ls_files(tmp_path / "linked")


def test_a_split_index_is_left_to_git(repository):
    subprocess.run(["git", "-C", str(repository), "update-index", "--split-index"], check=True)
    gitindex._cache.clear()
    assert gitindex.tracked_files(str(repository)) is None
    assert _git_files(os.path.realpath(repository)) == ls_files(repository)


def test_git_variables_leave_it_to_git(repository, monkeypatch):
    monkeypatch.setenv("GIT_DIR", str(repository / ".git"))
    assert gitindex.tracked_files(str(repository)) is None


def test_a_changed_index_is_read_again(repository):
    gitindex.tracked_files(str(repository))
    (repository / "later.txt").write_text("x\n")
    subprocess.run(["git", "-C", str(repository), "add", "later.txt"], check=True)
    assert "later.txt" in gitindex.tracked_files(str(repository))[1]


def test_garbage_is_not_an_index():
    with pytest.raises(gitindex.Unsupported):
        gitindex.parse_index(b"DIRC\x00\x00\x00\x09" + bytes(40))
    with pytest.raises(gitindex.Unsupported):
        gitindex.parse_index(b"DIRC\x00\x00\x00\x02\x00\x00\x00\x05" + bytes(30))


def test_a_damaged_index_is_left_to_git(repository):
    index = repository / ".git" / "index"
    data = bytearray(index.read_bytes())
    # The first entry's path is long (its length field full) and never ends in a NUL.
    data[12 + 60 : 12 + 62] = b"\x0f\xff"
    data[12 + 62 :] = b"x" * (len(data) - 12 - 62)
    index.write_bytes(bytes(data))
    assert gitindex.tracked_files(str(repository)) is None
