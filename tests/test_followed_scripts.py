"""A shell driver that runs another script of the project: the flow goes on in that script (issue 5's "follow the call")."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support import d, make_project, migrate, texts_after

BUILD = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"
MERGED = d(
    """
    FROM golang:1.21 AS builder
    WORKDIR /src
    COPY . .
    RUN go build -o /out/app .

    FROM alpine:3.19
    COPY --from=builder /out/app /usr/local/bin/app
    """
)
EXTRACT = d(
    """
    #!/bin/sh
    # Usage: extract.sh IMAGE PATH
    set -e
    echo "extracting $2"
    docker create --name extract "$1"
    docker cp "extract:$2" .
    docker rm extract
    """
)


def project(tmp_path, files: dict[str, str]):
    return make_project(tmp_path / "project", {"Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **files})


CASES = {
    "a script beside the driver, with arguments": (
        {
            "build.sh": d(
                """
                #!/bin/sh
                set -e
                docker build -t app:build -f Dockerfile.build .
                ./extract.sh app:build /out/app
                docker build -t app:latest .
                rm -f app
                """
            ),
            "extract.sh": EXTRACT,
        },
        {
            "build.sh": "#!/bin/sh\nset -e\n./extract.sh app:build /out/app\ndocker build -t app:latest .\n",
            "extract.sh": '#!/bin/sh\n# Usage: extract.sh IMAGE PATH\nset -e\necho "extracting $2"\n',
        },
    ),
    "a script in a subdirectory, run through bash from the driver's own directory": (
        {
            "build.sh": d(
                """
                #!/bin/bash
                DIR="$(cd "$(dirname "$0")" && pwd)"
                cd "$DIR"
                docker build -t app:build -f Dockerfile.build .
                bash -e "$DIR/ci/extract.sh" app:build /out/app
                docker build -t app:latest .
                """
            ),
            "ci/extract.sh": EXTRACT,
        },
        {
            "build.sh": d(
                """
                #!/bin/bash
                DIR="$(cd "$(dirname "$0")" && pwd)"
                cd "$DIR"
                bash -e "$DIR/ci/extract.sh" app:build /out/app
                docker build -t app:latest .
                """
            ),
            "ci/extract.sh": '#!/bin/sh\n# Usage: extract.sh IMAGE PATH\nset -e\necho "extracting $2"\n',
        },
    ),
    "a variable given in the command's own environment": (
        {
            "build.sh": "#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\nOUT=/out/app ./extract.sh\ndocker build -t app .\n",
            "extract.sh": "#!/bin/sh\nid=$(docker create app:build)\ndocker cp $id:$OUT ./app\ndocker rm $id\n",
        },
        {
            "build.sh": "#!/bin/sh\nOUT=/out/app ./extract.sh\ndocker build -t app .\n",
            "extract.sh": "#!/bin/sh\n",
        },
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_followed(tmp_path, name):
    files, expected = CASES[name]
    root = project(tmp_path, files)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    after = texts_after(outcome, root)
    assert after.pop("Dockerfile") == MERGED
    assert after.pop("Dockerfile.build") is None
    assert after == expected


REFUSED = {
    "the script runs only sometimes": (
        '#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\nif [ -n "$FRESH" ]; then ./extract.sh app:build /out/app; fi\ndocker build -t app .\n',
        EXTRACT,
        ("extract.sh", 6),
        "if",
    ),
    "the script reads a variable the driver exports": (
        "#!/bin/sh\nexport OUT=/out/app\ndocker build -t app:build -f Dockerfile.build .\n./extract.sh\ndocker build -t app .\n",
        "#!/bin/sh\ndocker create --name c app:build\ndocker cp c:${OUT:-/out/app} ./app\ndocker rm c\n",
        ("extract.sh", 3),
        "cannot be known without running the driver",
    ),
    "the scripts run each other": (
        "#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\n./extract.sh\n",
        "#!/bin/sh\n./build.sh\ndocker create --name c app:build\n",
        ("build.sh", 3),
        "too deeply to follow",
    ),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused(tmp_path, name):
    driver, script, (file, line), fragment = REFUSED[name]
    root = project(tmp_path, {"build.sh": driver, "extract.sh": script})
    outcome = migrate(root / "build.sh")
    assert outcome.status in ("refused", "error")
    assert (outcome.location.file.name, outcome.location.line) == (file, line)
    assert fragment in outcome.message


def test_a_script_without_docker_is_followed_too_and_left_as_it_is(tmp_path):
    driver = "#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\ndocker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c\n./lint.sh\ndocker build -t app .\n"
    root = project(tmp_path, {"build.sh": driver, "lint.sh": "#!/bin/sh\nshellcheck ./*.sh\n"})
    outcome = migrate(root / "build.sh")
    assert [part.path.name for part in outcome.plan.driver.parts] == ["lint.sh"]
    assert "lint.sh" not in texts_after(outcome, root)


def test_a_script_without_docker_that_changes_the_artifacts_is_judged_like_the_driver(tmp_path):
    driver = "#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\ndocker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c\nsh scripts/post.sh\ndocker build -t app .\n"
    post = "#!/bin/sh\necho stripping\nstrip app\n"
    root = project(tmp_path, {"build.sh": driver, "scripts/post.sh": post})
    outcome = migrate(root / "build.sh")
    assert outcome.status == "refused"
    assert (outcome.location.file.name, outcome.location.line) == ("post.sh", 3)


def test_a_script_without_docker_that_cannot_be_read_stays_one_command(tmp_path):
    driver = "#!/bin/sh\n./notes.sh\ndocker build -t app:build -f Dockerfile.build .\ndocker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c\ndocker build -t app .\n"
    root = project(tmp_path, {"build.sh": driver, "notes.sh": "#!/bin/sh\nif then fi (\n"})
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    assert outcome.plan.driver.parts == ()
    assert "./notes.sh\n" in texts_after(outcome, root)["build.sh"]


def test_a_script_that_cannot_be_read_is_refused_while_the_artifact_is_on_the_host(tmp_path):
    driver = "#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\ndocker create --name c app:build\ndocker cp c:/out/app app\ndocker rm c\n./notes.sh\ndocker build -t app .\n"
    root = project(tmp_path, {"build.sh": driver, "notes.sh": "#!/bin/sh\nif then fi (\n"})
    outcome = migrate(root / "build.sh")
    assert outcome.status == "refused"
    assert (outcome.location.file.name, outcome.location.line) == ("build.sh", 6)
    assert "`./notes.sh` runs a program whose effect on files dmigrate cannot read" in outcome.message


def _report(root, *paths):
    result = subprocess.run(
        [sys.executable, "-m", "migrate", "--dry-run", "--format", "json", *paths], cwd=root, capture_output=True, text=True, check=False
    )
    return result.returncode, [entry["driver"] for entry in json.loads(result.stdout)["projects"]]


@pytest.mark.parametrize("script", ["extract.sh", "ci/extract.sh"])
def test_a_followed_script_is_no_project_of_its_own(tmp_path, script):
    driver = f"#!/bin/sh\ndocker build -t app:build -f Dockerfile.build .\n./{script} app:build /out/app\ndocker build -t app .\n"
    root = project(tmp_path, {"build.sh": driver, script: EXTRACT})
    assert _report(root, ".") == (0, ["build.sh"])
    # Named on its own, it is still read on its own.
    code, drivers = _report(root, script)
    assert drivers == [script]
