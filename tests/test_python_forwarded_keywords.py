"""Python helpers that hand keywords on to subprocess: ``def run(cmd, **kw)``, ``def run(cmd, cwd=None)``.

The directory a command runs in decides which Dockerfiles it reads, so a
``cwd=`` the reader cannot follow leaves the directory unknown (and whatever
depends on it refused), never the driver's own.
"""

from __future__ import annotations

import pytest

from migrate.read.ops import Build, Container, Copy, Opaque
from migrate.read.python import read_python
from support import d, make_project, migrate, migrate_leaving_disk_unchanged, texts_after

BUILD = '["docker", "build", "-t", "b", "."]'

FORWARDED = [
    # (name, code after `import subprocess`, the build's directory relative to the driver's; None: unknown)
    ("**kw with cwd=", f'def run(cmd, **kw):\n    subprocess.run(cmd, check=True, **kw)\nrun({BUILD}, cwd="svc")', "svc"),
    ("**kw without cwd=", f"def run(cmd, **kw):\n    subprocess.run(cmd, check=True, **kw)\nrun({BUILD})", "."),
    (
        "**kw through two helpers",
        f'def ex(cmd, **kw):\n    subprocess.run(cmd, **kw)\ndef run(cmd, **kw):\n    ex(cmd, check=True, **kw)\nrun({BUILD}, cwd="svc")',
        "svc",
    ),
    ("a parameter by keyword", f'def run(cmd, cwd=None):\n    subprocess.run(cmd, cwd=cwd)\nrun({BUILD}, cwd="svc")', "svc"),
    ("a parameter by position", f'def run(cmd, cwd=None):\n    subprocess.run(cmd, cwd=cwd)\nrun({BUILD}, "svc")', "svc"),
    ("a parameter left at None", f"def run(cmd, cwd=None):\n    subprocess.run(cmd, cwd=cwd)\nrun({BUILD})", "."),
    ("a keyword-only parameter", f'def run(cmd, *, where=None):\n    subprocess.run(cmd, cwd=where)\nrun({BUILD}, where="svc")', "svc"),
    ("a literal dict unpacked", f'subprocess.run({BUILD}, **{{"cwd": "svc"}})', "svc"),
    ("an unknown dict unpacked", f"def run(cmd, **kw):\n    subprocess.run(cmd, **kw)\nrun({BUILD}, **options())", None),
    ("an unknown dict into a parameter", f"def run(cmd, cwd=None):\n    subprocess.run(cmd, cwd=cwd)\nrun({BUILD}, **options())", None),
    ("kw.setdefault", f'def run(cmd, **kw):\n    kw.setdefault("cwd", "svc")\n    subprocess.run(cmd, **kw)\nrun({BUILD})', None),
    ("kw[...] = ...", f'def run(cmd, **kw):\n    kw["cwd"] = "svc"\n    subprocess.run(cmd, **kw)\nrun({BUILD})', None),
    ("kw.update", f'def run(cmd, **kw):\n    kw.update(cwd="svc")\n    subprocess.run(cmd, **kw)\nrun({BUILD})', None),
]


@pytest.mark.parametrize("name, code, directory", FORWARDED, ids=[case[0] for case in FORWARDED])
def test_the_directory_a_helper_runs_the_build_in(tmp_path, name, code, directory):
    reading = read_python(tmp_path / "build.py", f"import subprocess\n{code}\n")
    [build] = [op for op in reading.operations if isinstance(op, Build)]
    if directory is None:
        assert not build.cwd.known
    else:
        assert build.cwd.key == str((tmp_path / directory).resolve())


@pytest.mark.parametrize(
    "code, fragment",
    [
        (
            'def run(cmd, **kw):\n    subprocess.run(cmd, **kw)\nrun(["docker", "build", "--build-arg", "V", "."], env={"V": "1"})',
            "`--build-arg V` takes its value from env=",
        ),
        (
            'def run(cmd, **kw):\n    subprocess.run(cmd, **kw)\nrun(["docker", "build", "--build-arg", "V", "."], **options())',
            "`--build-arg V` takes its value from **kw (which may hold env=)",
        ),
        ('subprocess.run(["docker", "run", "-e", "V", "img"], env={"V": "1"})', "`-e V` takes its value from env="),
        ('subprocess.run("docker build --build-arg V .", shell=True, env={"V": "1"})', "`--build-arg V` takes its value from env="),
        (
            'def run(cmd, **kw):\n    subprocess.run(cmd, **kw)\nrun(["docker", "run", "img", "cat", "/out/app"], **options())',
            "**kw may hold stdout=",
        ),
        (
            'def run(cmd, **kw):\n    subprocess.run(cmd, **kw)\nrun("docker build -t b .", **options())',
            "**kw may hold shell=True",
        ),
    ],
    ids=["env= through **kw", "env= maybe in **kw", "-e NAME with env=", "env= for a shell string", "stdout= maybe in **kw", "shell=True maybe in **kw"],
)
def test_keywords_that_cannot_be_known_are_opaque(tmp_path, code, fragment):
    reading = read_python(tmp_path / "build.py", f"import subprocess\n{code}\n")
    [opaque] = [op for op in reading.operations if isinstance(op, Opaque)]
    assert opaque.mentions_docker and fragment in opaque.reason


def test_a_copy_through_a_helper_lands_in_its_cwd(tmp_path):
    code = 'def run(cmd, **kw):\n    subprocess.check_call(cmd, **kw)\nrun(["docker", "cp", "x:/out/app", "app"], cwd="out")\n'
    [copy] = [op for op in read_python(tmp_path / "build.py", f"import subprocess\n{code}").operations if isinstance(op, Copy)]
    assert copy.cwd.key == str((tmp_path / "out").resolve())


SERVICE_BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
SERVICE = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"
DRIVER = d(
    """
    import subprocess


    def run(cmd, **kw):
        subprocess.run(cmd, check=True, **kw)


    run(["docker", "build", "-f", "Dockerfile.build", "-t", "app:build", "."], cwd="svc")
    run(["docker", "create", "--name", "x", "app:build"])
    run(["docker", "cp", "x:/out/app", "app"]{cwd})
    run(["docker", "rm", "x"])
    run(["docker", "build", "-t", "app", "."], cwd="svc")
    """
)


def test_the_dockerfiles_of_the_helpers_directory_are_migrated(tmp_path):
    files = {"build.py": DRIVER.format(cwd=', cwd="svc"'), "svc/Dockerfile.build": SERVICE_BUILD, "svc/Dockerfile": SERVICE}
    # Files of the same names where the driver stands, which no command reads.
    files |= {"Dockerfile.build": "FROM alpine:3.19\nRUN mkdir /out && echo other > /out/app\n", "Dockerfile": SERVICE + "LABEL root=1\n"}
    root = make_project(tmp_path / "project", files)
    outcome = migrate(root / "build.py")
    assert outcome.status == "pending", outcome.message
    after = texts_after(outcome, root)
    assert set(after) == {"build.py", "svc/Dockerfile", "svc/Dockerfile.build"}
    assert after["svc/Dockerfile.build"] is None
    assert after["svc/Dockerfile"] == (
        "FROM golang:1.21 AS builder\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n\n"
        "FROM alpine:3.19\nCOPY --from=builder /out/app /usr/local/bin/app\n"
    )


def test_a_copy_into_the_drivers_directory_is_not_what_the_build_reads(tmp_path):
    files = {"build.py": DRIVER.format(cwd=""), "svc/Dockerfile.build": SERVICE_BUILD, "svc/Dockerfile": SERVICE}
    root = make_project(tmp_path / "project", files)
    outcome = migrate_leaving_disk_unchanged(root / "build.py")
    assert outcome.status == "nothing to do"


@pytest.mark.parametrize(
    "old, new, line, fragment",
    [
        ('"app"])', '"app"], **options())', 11, 'the destination "app" cannot be known'),
        ('"."], cwd="svc")\nrun(["docker", "create"', '"."], **options())\nrun(["docker", "create"', 9, "the build context or Dockerfile cannot be known"),
    ],
    ids=["the copy's", "the build's"],
)
def test_a_cwd_that_cannot_be_known_is_refused(tmp_path, old, new, line, fragment):
    driver = DRIVER.format(cwd="").replace("import subprocess\n", "import subprocess\nfrom conf import options\n")
    assert driver.count(old) == 1
    files = {"build.py": driver.replace(old, new), "svc/Dockerfile.build": SERVICE_BUILD, "svc/Dockerfile": SERVICE}
    root = make_project(tmp_path / "project", files)
    outcome = migrate_leaving_disk_unchanged(root / "build.py")
    assert (outcome.status, outcome.location.line) == ("refused", line) and fragment in outcome.message
