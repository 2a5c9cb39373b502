"""dmigrate over many repositories: isolation of failures, one combined patch, idempotency, symlinks, ignores."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import GIT_IDENTITY, make_project

BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"


def driver(tag: str) -> str:
    return (
        "#!/bin/sh\n"
        f"docker build -t {tag}:build -f Dockerfile.build .\n"
        f"docker create --name {tag}-x {tag}:build\n"
        f"docker cp {tag}-x:/out/app app\n"
        f"docker rm {tag}-x\n"
        f"docker build -t {tag} .\n"
    )


def project_files(tag: str) -> dict[str, str]:
    return {"build.sh": driver(tag), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME}


def dmigrate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env=env)


def report(result: subprocess.CompletedProcess) -> dict[str, dict]:
    return {entry["driver"]: entry for entry in json.loads(result.stdout)["projects"]}


@pytest.fixture
def org(tmp_path) -> Path:
    """An organisation directory (not itself in git) of separate repositories, one a monorepo."""
    root = tmp_path / "org"
    make_project(root / "alpha", project_files("alpha"))
    make_project(root / "beta", {**project_files("beta"), "README.md": "beta\n"})
    make_project(
        root / "mono",
        {
            **{f"services/api/{name}": text for name, text in project_files("api").items()},
            **{f"services/web/{name}": text for name, text in project_files("web").items()},
            "docs/index.md": "docs\n",
        },
    )
    make_project(root / "plain", {"main.go": "package main\n"})
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def test_finds_every_project_of_every_repository_and_of_a_monorepo(org):
    result = dmigrate("--dry-run", "--format", "json", ".", cwd=org)
    assert result.returncode == 0, result.stderr
    entries = report(result)
    assert sorted(entries) == ["alpha/build.sh", "beta/build.sh", "mono/services/api/build.sh", "mono/services/web/build.sh"]
    assert {entry["status"] for entry in entries.values()} == {"pending"}


def test_combined_patch_applies_with_git_apply_and_patch_p1(org, tmp_path):
    before = tree(org)
    result = dmigrate("--dry-run", "alpha", "beta", "mono", cwd=org)
    assert result.returncode == 0, result.stderr
    assert tree(org) == before, "a dry run writes nothing"
    patch = result.stdout
    assert patch.count("diff --git ") == 12  # Dockerfile, driver, deleted Dockerfile.build per project

    copy = tmp_path / "copy"
    shutil.copytree(org, copy, symlinks=True)
    applied = subprocess.run(["patch", "-p1", "--quiet"], input=patch, cwd=copy, text=True, capture_output=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr

    applied = subprocess.run(["git", "apply", "-"], input=patch, cwd=org, text=True, capture_output=True)
    assert applied.returncode == 0, applied.stderr
    assert tree(org) == {name: data for name, data in tree(copy).items() if not name.endswith((".orig", ".rej"))}
    assert not (org / "alpha" / "Dockerfile.build").exists()
    assert "COPY --from=" in (org / "mono" / "services" / "web" / "Dockerfile").read_text()
    again = dmigrate("--check", ".", cwd=org)
    assert again.returncode == 0, again.stderr


def test_check_exits_1_when_any_project_is_pending(org):
    result = dmigrate("--check", ".", cwd=org)
    assert result.returncode == 1
    assert dmigrate("--check", "plain", cwd=org).returncode == 0


def test_one_failure_is_reported_and_the_others_go_on(org):
    (org / "beta" / "build.sh").write_text(driver("beta").replace("docker cp", "eval docker cp"))
    (org / "alpha" / "build.sh").write_text("#!/bin/sh\ndocker build -t a -f Dockerfile.build .\nif then fi\n")
    result = dmigrate("--dry-run", "--format", "json", "--jobs", "2", ".", cwd=org)
    assert result.returncode == 2
    entries = report(result)
    assert entries["alpha/build.sh"]["status"] == "error"
    assert entries["beta/build.sh"]["status"] == "refused"
    assert entries["beta/build.sh"]["refusals"] == [{"location": "beta/build.sh:4", "reason": entries["beta/build.sh"]["message"]}]
    assert entries["mono/services/api/build.sh"]["status"] == "pending"
    assert entries["mono/services/web/build.sh"]["diff"].startswith("diff --git a/mono/services/web/Dockerfile")


def test_summary_table_has_one_row_per_project(org):
    (org / "beta" / "build.sh").write_text(driver("beta").replace("docker cp", "eval docker cp"))
    result = dmigrate("--check", ".", cwd=org)
    lines = result.stderr.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("project "))
    rows = lines[header + 1 : header + 5]
    assert [row.split()[0] for row in rows] == ["alpha/build.sh", "beta/build.sh", "mono/services/api/build.sh", "mono/services/web/build.sh"]
    assert rows[0].split()[1] == "pending" and "alpha/Dockerfile" in rows[0]
    assert rows[1].split()[1] == "refused" and "beta/build.sh:4:" in rows[1]
    assert lines[header + 5] == "4 projects: 3 pending, 1 refused"


def _crash_in_web(original):
    def migrate_driver(path, options, **passed):
        if path.parent.name == "web":
            os._exit(3)
        return original(path, options, **passed)

    return migrate_driver


def test_a_crashing_worker_takes_down_only_its_project(org, monkeypatch):
    import migrate.migration
    from migrate import batch

    monkeypatch.setattr(migrate.migration, "migrate_driver", _crash_in_web(migrate.migration.migrate_driver))
    monkeypatch.setattr(batch, "_SERIAL_LIMIT", 1)
    monkeypatch.setattr(batch, "_CHUNK", 2)
    monkeypatch.chdir(org)
    result = batch.run([Path(".")], jobs=2)
    statuses = {entry["driver"]: (entry["status"], entry["message"]) for entry in result.entries}
    assert statuses["mono/services/web/build.sh"] == ("error", "dmigrate crashed on this project (the worker process died)")
    assert {driver: status for driver, (status, _) in statuses.items() if driver != "mono/services/web/build.sh"} == {
        "alpha/build.sh": "pending",
        "beta/build.sh": "pending",
        "mono/services/api/build.sh": "pending",
    }


def test_pool_and_serial_runs_agree(org, monkeypatch):
    from migrate import batch

    monkeypatch.chdir(org)
    serial = batch.run([Path(".")], jobs=1).entries
    monkeypatch.setattr(batch, "_SERIAL_LIMIT", 1)
    monkeypatch.setattr(batch, "_CHUNK", 3)
    assert batch.run([Path(".")], jobs=2).entries == serial


def test_second_run_over_migrated_repositories_changes_nothing(org):
    first = dmigrate(".", cwd=org)
    assert first.returncode == 0, first.stderr
    assert sum(line.startswith("migrated ") for line in first.stderr.splitlines()) == 4
    for repository in ("alpha", "beta", "mono"):
        subprocess.run(["git", "-C", str(org / repository), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(org / repository), *GIT_IDENTITY, "commit", "-qm", "migrated"], check=True)
    migrated = tree(org)
    second = dmigrate(".", cwd=org)
    assert second.returncode == 0, second.stderr
    assert "4 projects: 4 nothing to do" in second.stderr
    assert tree(org) == migrated
    assert dmigrate("--check", ".", cwd=org).returncode == 0
    assert dmigrate("--dry-run", ".", cwd=org).stdout == ""


def test_two_projects_that_change_one_file_are_not_both_migrated(tmp_path):
    files = {"build.sh": driver("one"), "other.sh": driver("one"), "Dockerfile.build": BUILD, "Dockerfile": RUNTIME}
    root = make_project(tmp_path / "twice", files)
    result = dmigrate("--dry-run", "--format", "json", ".", cwd=root)
    entries = report(result)
    for name, other in (("build.sh", "other.sh"), ("other.sh", "build.sh")):
        assert entries[name]["status"] == "refused"
        # Each driver builds the runtime Dockerfile the other's migration rewrites (and names the build Dockerfile it deletes).
        assert entries[name]["location"] == f"{other}:6" and f"which migrating {name} rewrites" in entries[name]["message"]
    # Kept, the build Dockerfile breaks neither; the runtime Dockerfile is still one file for two migrations: neither is planned.
    result = dmigrate("--dry-run", "--format", "json", "--keep-legacy", ".", cwd=root)
    entries = report(result)
    assert entries["build.sh"]["status"] == "refused"
    assert entries["other.sh"]["status"] == "refused"
    assert result.returncode == 2


def test_never_follows_a_symlink_out_of_the_root(tmp_path):
    outside = make_project(tmp_path / "outside", project_files("outside"))
    shared = make_project(tmp_path / "shared", {"Dockerfile": RUNTIME})
    root = tmp_path / "root"
    make_project(root / "good", project_files("good"))
    (root / "linked-repo").symlink_to(outside)
    (root / "scripts").mkdir()
    (root / "scripts" / "build.sh").symlink_to(outside / "build.sh")
    escaping = make_project(root / "escaping", {"build.sh": driver("esc"), "Dockerfile.build": BUILD})
    (escaping / "Dockerfile").symlink_to(shared / "Dockerfile")
    before_outside, before_shared = tree(outside), tree(shared)

    result = dmigrate("--format", "json", "--allow-dirty", ".", cwd=root)
    entries = report(result)
    assert sorted(entries) == ["escaping/build.sh", "good/build.sh"]
    assert entries["good/build.sh"]["status"] == "migrated"
    assert entries["escaping/build.sh"]["status"] == "refused"
    assert "outside" in entries["escaping/build.sh"]["message"]
    assert tree(outside) == before_outside
    assert tree(shared) == before_shared
    assert (escaping / "Dockerfile.build").exists()


def test_gitignored_and_vendored_directories_are_skipped(tmp_path):
    root = make_project(
        tmp_path / "repo",
        {
            ".gitignore": "/build/\n*.generated/\n!keep.generated/\n",
            "app/build.sh": driver("app"),
            "app/Dockerfile.build": BUILD,
            "app/Dockerfile": RUNTIME,
            "keep.generated/build.sh": driver("keep"),
            "keep.generated/Dockerfile.build": BUILD,
            "keep.generated/Dockerfile": RUNTIME,
        },
    )
    for skipped in ("build/out", "x.generated", "node_modules/pkg", "vendor/lib", "app/node_modules/tool"):
        (root / skipped).mkdir(parents=True)
        for name, text in project_files("skipped").items():
            (root / skipped / name).write_text(text)
    (root / "app" / "local.sh").write_text(driver("local"))
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("local.sh\n")
    result = dmigrate("--check", "--format", "json", ".", cwd=root)
    assert sorted(report(result)) == ["app/build.sh", "keep.generated/build.sh"]


def test_a_named_driver_and_a_missing_path(org):
    result = dmigrate("--dry-run", "--format", "json", "alpha/build.sh", "missing", cwd=org)
    assert result.returncode == 2
    entries = report(result)
    assert entries["alpha/build.sh"]["status"] == "pending"
    assert entries["missing"]["status"] == "error"
    assert entries["missing"]["message"] == "no such file or directory"


def test_a_root_without_drivers_has_nothing_to_do(org):
    result = dmigrate("--format", "json", "plain", cwd=org)
    assert result.returncode == 0
    assert report(result)["plain"]["message"] == "no driver that calls docker here"


def test_jobs_must_be_positive(org):
    result = dmigrate("--jobs", "0", ".", cwd=org)
    assert result.returncode == 2
    assert "--jobs" in result.stderr


@pytest.mark.parametrize(
    "link, target, argument, message",
    [
        ("Dockerfile", "real/Dockerfile", ".", "it is a symlink to real/Dockerfile: the migration would replace the link"),
        ("Dockerfile", "real/Dockerfile", "build.sh", "it is a symlink to real/Dockerfile: the migration would replace the link"),
        ("Dockerfile.build", "real/Dockerfile.build", "build.sh", "it is a symlink to real/Dockerfile.build"),
        # Outside the root, the Dockerfile is refused unread, at the build that names it, whichever way the driver is reached.
        ("Dockerfile", "../shared/Dockerfile", "build.sh", "the Dockerfile Dockerfile lies outside the project root"),
        ("Dockerfile", "../shared/Dockerfile", ".", "the Dockerfile Dockerfile lies outside the project root"),
    ],
    ids=["inside the root", "named driver", "deleted file", "named driver, outside", "outside the root"],
)
def test_a_file_to_change_that_is_a_symlink_is_refused_and_named(tmp_path, link, target, argument, message):
    root = tmp_path / "repo"
    make_project(tmp_path / "shared", {"Dockerfile": RUNTIME}, commit=False)
    files = {**project_files("link"), f"real/{link}": project_files("link")[link]}
    del files[link]
    make_project(root, files, commit=False)
    (root / link).symlink_to(target)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), *GIT_IDENTITY, "commit", "-qm", "linked"], check=True)
    before = tree(tmp_path)
    for mode in ("--check", ""):
        result = dmigrate(*filter(None, [mode, argument]), cwd=root)
        assert result.returncode == 2, result.stderr
        where = "build.sh:6" if "outside" in message else link
        assert result.stderr.startswith(f"{where}: refused: "), result.stderr
        assert message in result.stderr
    assert tree(tmp_path) == before
    assert (root / link).is_symlink()


def test_a_candidate_that_cannot_be_read_is_a_driver_whose_migration_says_why(tmp_path, monkeypatch):
    from migrate.discover import drivers_among

    root = make_project(tmp_path / "repo", {**project_files("x"), "tool.py": "print('hello')\n"})
    real_open = Path.open

    def unreadable(self, *args, **kwargs):
        if self.name == "build.sh":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", unreadable)
    assert drivers_among(root, ["build.sh", "tool.py"]) == [root / "build.sh"], "--check must not say there is nothing to do"


IGNORE_PATTERNS = [
    "*.sh", "/build", "build/", "a/**/b", "**/c", "d/**", "!keep.sh", "\\!bang", "\\#hash", "trail\\ ", "trail  ", "x?y",
    "[ab]z", "[!ab]w", "[^ab]w", "dir/sub", "*/mid", "e*/f", "**", "name with space", "g\\*h", "[]]k", "l[", "m/", "/n/o",
]
IGNORE_PATHS = [
    "x.sh", "build", "sub/build", "a/b", "a/x/b", "a/x/y/b", "c", "q/c", "d/x", "keep.sh", "!bang", "#hash", "trail ",
    "trail", "xzy", "x/y", "az", "cz", "cw", "aw", "dir/sub", "z/dir/sub", "q/mid", "q/r/mid", "ex/f", "name with space",
    "g*h", "gXh", "]k", "l[", "m", "n/o", "z/n/o",
]


@pytest.mark.parametrize("pattern", IGNORE_PATTERNS)
def test_ignore_rules_match_as_git_check_ignore_does(tmp_path, pattern):
    from migrate.gitignore import IgnoreFile, is_ignored

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text(pattern + "\n")
    rules = (IgnoreFile(str(tmp_path), pattern + "\n"),)
    asked = [path + end for path in IGNORE_PATHS for end in ("", "/")]
    listed = subprocess.run(["git", "check-ignore", "--no-index", "--stdin", "-z"], cwd=tmp_path, input="\0".join(asked), capture_output=True, text=True)
    ignored_by_git = set(listed.stdout.split("\0"))
    for path in asked:
        assert is_ignored(rules, f"{tmp_path}/{path.rstrip('/')}", path.endswith("/")) == (path in ignored_by_git), (pattern, path)
