"""The change step: patches git accepts, writes that are all-or-nothing, and the git safety check."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest

from migrate.change import check_clean, unified_diff, write_changes
from migrate.errors import InputError, Refusal
from migrate.plan import FileChange
from support import make_project


def git_apply(patch: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "apply", "-"], input=patch, cwd=cwd, text=True, capture_output=True)


@pytest.mark.parametrize(
    "before, after",
    [
        ("a\nb\n", "a\nc\n"),
        ("a\nb", "a\nc"),
        ("a\nb", "a\nb\n"),
        ("a\nb\n", "a\nb"),
        ("x\n", None),
        ("no newline", None),
        (None, "new\nfile\n"),
        (None, "new without newline"),
        ("\ufeffFROM a\r\nRUN b\r\n", "\ufeffFROM a\r\nRUN c\r\n"),
        ("RUN a\x0cb\nRUN c\n", "RUN a\x0cb\nRUN d\n"),
        ("RUN a\rb\nRUN c\n", "RUN a\rb\nRUN d\n"),
        ("LABEL d=\"x\u2028y\x1c\x85\"\nRUN c\n", "LABEL d=\"x\u2028y\x1c\x85\"\nRUN d\n"),
    ],
    ids=[
        "edit", "edit without final newline", "newline added", "newline removed", "delete", "delete without newline",
        "create", "create without newline", "bom and crlf", "form feed in a line", "lone carriage return", "unicode line separators",
    ],
)
def test_patch_applies_exactly(tmp_path, before, after):
    target = tmp_path / "dir" / "file.txt"
    target.parent.mkdir()
    if before is not None:
        target.write_bytes(before.encode())
    patch = unified_diff([FileChange(target, before, after)], tmp_path)
    result = git_apply(patch, tmp_path)
    assert result.returncode == 0, result.stderr + patch
    if after is None:
        assert not target.exists()
    else:
        assert target.read_bytes() == after.encode()


@pytest.mark.parametrize("name", ["with space/Dockerfile", 'a "quoted" name', "back\\slash", "tab\tand\nnewline", "ünïcode", "caf\udce9"])
@pytest.mark.parametrize("tool", [["git", "apply", "-"], ["patch", "-p1", "--quiet", "--force"]])
def test_patch_applies_whatever_the_file_is_named(tmp_path, name, tool):
    changes = [
        FileChange(tmp_path / name / "edited", "a\nb\n", "a\nc\n"),
        FileChange(tmp_path / name / "deleted", "x\n", None),
        FileChange(tmp_path / name / "created", None, "new\n"),
    ]
    for change in changes:
        change.path.parent.mkdir(parents=True, exist_ok=True)
        if change.before is not None:
            change.path.write_text(change.before)
    patch = unified_diff(changes, tmp_path)
    result = subprocess.run(tool, input=os.fsencode(patch), cwd=tmp_path, capture_output=True)
    assert result.returncode == 0, result.stdout + result.stderr + os.fsencode(patch)
    for change in changes:
        assert (change.path.read_text() if change.path.exists() else None) == change.after


def test_deleted_executable_keeps_its_mode_in_the_header(tmp_path):
    script = tmp_path / "run.sh"
    script.write_text("echo\n")
    script.chmod(0o755)
    patch = unified_diff([FileChange(script, "echo\n", None)], tmp_path)
    assert "deleted file mode 100755\n" in patch
    assert git_apply(patch, tmp_path).returncode == 0


def test_unchanged_files_give_no_patch(tmp_path):
    assert unified_diff([FileChange(tmp_path / "same", "x\n", "x\n")], tmp_path) == ""


def test_write_changes_replaces_deletes_creates_and_keeps_modes(tmp_path):
    kept = tmp_path / "build.sh"
    kept.write_text("old\n")
    kept.chmod(0o750)
    gone = tmp_path / "Dockerfile.build"
    gone.write_text("FROM x\n")
    created = tmp_path / ".dockerignore"
    write_changes(
        [
            FileChange(kept, "old\n", "new\n"),
            FileChange(gone, "FROM x\n", None),
            FileChange(created, None, "/app\n"),
        ]
    )
    assert kept.read_text() == "new\n"
    assert oct(kept.stat().st_mode & 0o777) == oct(0o750)
    assert not gone.exists()
    assert created.read_text() == "/app\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".dmigrate")]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_write_changes_keeps_the_owner_when_run_as_root(tmp_path):
    kept = tmp_path / "Dockerfile"
    kept.write_text("old\n")
    os.chown(kept, 1234, 5678)
    write_changes([FileChange(kept, "old\n", "new\n")])
    assert (kept.stat().st_uid, kept.stat().st_gid) == (1234, 5678)


def test_write_changes_is_all_or_nothing(tmp_path):
    good = tmp_path / "good"
    good.write_text("before\n")
    unwritable = tmp_path / "missing-dir" / "file"
    with pytest.raises(InputError):
        write_changes([FileChange(good, "before\n", "after\n"), FileChange(unwritable, None, "x\n")])
    assert good.read_text() == "before\n"
    assert [p.name for p in tmp_path.iterdir()] == ["good"]


@pytest.mark.parametrize(
    "on_disk, change",
    [
        ("edited meanwhile\n", FileChange(Path("f"), "read\n", "new\n")),
        ("edited meanwhile\n", FileChange(Path("f"), "read\n", None)),
        ("appeared meanwhile\n", FileChange(Path("f"), None, "new\n")),
        (None, FileChange(Path("f"), "read\n", "new\n")),
    ],
    ids=["edited", "edited, to delete", "appeared", "deleted"],
)
def test_a_file_that_changed_since_it_was_read_is_not_written(tmp_path, on_disk, change):
    kept = tmp_path / "kept"
    kept.write_text("before\n")
    target = tmp_path / change.path
    if on_disk is not None:
        target.write_text(on_disk)
    with pytest.raises(Refusal, match="changed since dmigrate read it"):
        write_changes([FileChange(kept, "before\n", "after\n"), FileChange(target, change.before, change.after)])
    assert kept.read_text() == "before\n"
    assert (target.read_text() if target.exists() else None) == on_disk
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["kept"] + (["f"] if on_disk is not None else []))


def test_a_file_that_cannot_be_deleted_leaves_every_file_as_it_was(tmp_path, monkeypatch):
    files = {name: tmp_path / name for name in ("build.sh", "Dockerfile.build", "Dockerfile.other")}
    for path in files.values():
        path.write_text(f"{path.name}\n")
    real_unlink = os.unlink

    def failing(path, *args, **kwargs):
        if Path(path).name == "Dockerfile.other":
            raise PermissionError(13, "Permission denied", str(path))
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", failing)
    with pytest.raises(InputError, match="cannot write: Permission denied"):
        write_changes(
            [
                FileChange(files["build.sh"], "build.sh\n", "new\n"),
                FileChange(files["Dockerfile.build"], "Dockerfile.build\n", None),
                FileChange(files["Dockerfile.other"], "Dockerfile.other\n", None),
            ]
        )
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {name: f"{name}\n" for name in files}


def test_check_clean(tmp_path):
    root = make_project(tmp_path / "repo", {"tracked": "a\n", "Dockerfile": "FROM x\n"})
    check_clean([FileChange(root / "tracked", "a\n", "b\n"), FileChange(root / "new-file", None, "x\n")])
    (root / "tracked").write_text("edited\n")
    with pytest.raises(Refusal) as raised:
        check_clean([FileChange(root / "tracked", "edited\n", "b\n")])
    assert "uncommitted changes" in raised.value.reason
    (root / "untracked").write_text("u\n")
    with pytest.raises(Refusal) as raised:
        check_clean([FileChange(root / "untracked", "u\n", None)])
    assert "is not committed" in raised.value.reason


def test_check_clean_takes_names_as_they_are_not_as_patterns(tmp_path):
    root = make_project(tmp_path / "repo", {"Docker[f]ile": "FROM x\n", "*.sh": "echo\n"})
    (root / "Dockerfile").write_text("untracked, and matched by the pattern Docker[f]ile\n")
    (root / "build.sh").write_text("untracked, and matched by the pattern *.sh\n")
    check_clean([FileChange(root / "Docker[f]ile", "FROM x\n", "FROM y\n"), FileChange(root / "*.sh", "echo\n", None)])


def test_check_clean_outside_git(tmp_path):
    (tmp_path / "f").write_text("x\n")
    env_home = os.environ.get("GIT_CEILING_DIRECTORIES")
    os.environ["GIT_CEILING_DIRECTORIES"] = str(tmp_path.parent)
    try:
        with pytest.raises(Refusal) as raised:
            check_clean([FileChange(tmp_path / "f", "x\n", "y\n")])
    finally:
        if env_home is None:
            del os.environ["GIT_CEILING_DIRECTORIES"]
        else:
            os.environ["GIT_CEILING_DIRECTORIES"] = env_home
    assert "not inside a git work tree" in raised.value.reason


def test_a_file_that_cannot_be_replaced_puts_back_the_ones_already_replaced(tmp_path, monkeypatch):
    first, second = tmp_path / "build.sh", tmp_path / "Dockerfile"
    first.write_text("old driver\n")
    first.chmod(0o755)
    second.write_text("old dockerfile\n")
    inode = first.stat().st_ino
    real_replace = os.replace

    def failing(source, destination):
        if Path(destination) == second:
            raise PermissionError(13, "Permission denied", str(destination))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(InputError, match="Permission denied; nothing was changed"):
        write_changes([FileChange(first, "old driver\n", "new driver\n"), FileChange(second, "old dockerfile\n", "new\n")])
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"build.sh": "old driver\n", "Dockerfile": "old dockerfile\n"}
    assert (first.stat().st_ino, stat.S_IMODE(first.stat().st_mode)) == (inode, 0o755)


def test_ctrl_c_while_files_are_replaced_waits_until_all_are(tmp_path, monkeypatch):
    files = [tmp_path / name for name in ("build.sh", "Dockerfile", "Dockerfile.build")]
    for path in files:
        path.write_text("old\n")
    real_replace = os.replace
    calls = []

    def interrupted(source, destination):
        if not calls:
            os.kill(os.getpid(), signal.SIGINT)
        calls.append(destination)
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_changes([FileChange(files[0], "old\n", "new\n"), FileChange(files[1], "old\n", "new\n"), FileChange(files[2], "old\n", None)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile", "build.sh"]
    assert [p.read_text() for p in files[:2]] == ["new\n", "new\n"]
