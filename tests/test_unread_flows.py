"""Flows dmigrate cannot read are refused, never migrated and never "nothing to do" (issue 11, items 3 to 7).

Every refusal here runs the real migration (not a dry run) and checks that no
file of the project changed, byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support import make_project
from migrate.migration import NOTHING, PENDING, Options, migrate_driver

BUILD = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /build/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\n"
EXTRACT = "docker build -t app:build -f Dockerfile.build .\ndocker create --name c app:build\ndocker cp c:/build/app app\ndocker rm c\n"


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file() and ".git" not in path.parts}


def refused(tmp_path: Path, files: dict[str, str], driver: str = "build.sh"):
    """Migrate for real; the outcome must be a refusal that changed no file."""
    root = make_project(tmp_path / "project", {"Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **files})
    before = snapshot(root)
    outcome = migrate_driver(root / driver, Options(write=True))
    assert outcome.status == "refused", f"{outcome.status}: {outcome.message}"
    assert snapshot(root) == before
    return outcome


def assert_refused(tmp_path, files, file: str, line: int, fragment: str, driver: str = "build.sh"):
    outcome = refused(tmp_path, files, driver)
    assert fragment in outcome.message, outcome.message
    assert (outcome.location.file.name, outcome.location.line) == (file, line), outcome.message
    return outcome


def dry_run(tmp_path: Path, files: dict[str, str], driver: str = "build.sh"):
    root = make_project(tmp_path / "project", {"Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **files})
    return migrate_driver(root / driver, Options(write=False))


# -- item 7: Windows drivers and images ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["build.cmd", "build.bat", "BUILD.CMD", "build.ps1"])
def test_a_windows_driver_is_refused_by_its_name(tmp_path, name):
    # This text parses as POSIX shell and would migrate if it were read as one.
    flow = f"{EXTRACT}docker build -t app .\n"
    outcome = assert_refused(tmp_path, {name: flow}, name, 1, "which dmigrate does not read", driver=name)
    assert "Windows" in outcome.message


@pytest.mark.parametrize(
    "base",
    [
        "golang:1.22-windowsservercore-ltsc2022",
        "golang:1.22-nanoserver-1809",
        "python:3.12-windowsservercore",
        "mcr.microsoft.com/dotnet/sdk:8.0-nanoserver-ltsc2022",
        "mcr.microsoft.com/windows/servercore:ltsc2022",
        "mcr.microsoft.com/windows:ltsc2019",
        "microsoft/nanoserver",
        "mcr.microsoft.com/dotnet/framework/sdk:4.8",
        "myorg/sdk:ltsc2022",
    ],
)
def test_a_windows_build_image_is_refused_by_its_tag(tmp_path, base):
    files = {"build.sh": f"#!/bin/sh\n{EXTRACT}docker build -t app .\n", "Dockerfile.build": BUILD.replace("golang:1.22", base)}
    assert_refused(tmp_path, files, "build.sh", 2, "builds a Windows container image")


def test_a_run_of_a_windows_image_is_refused(tmp_path):
    files = {
        "build.sh": '#!/bin/sh\nmkdir -p out\ndocker run --rm -v "$PWD/out":/out golang:1.22-nanoserver-ltsc2022 go build -o /out/app\ndocker build -t app .\n',
        "Dockerfile": "FROM alpine:3.19\nCOPY out/app /app\n",
    }
    assert_refused(tmp_path, files, "build.sh", 3, "golang:1.22-nanoserver-ltsc2022 is a Windows container image")


@pytest.mark.parametrize("base", ["mcr.microsoft.com/dotnet/sdk:8.0", "golang:1.22-bookworm", "myorg/servercorex:1"])
def test_a_linux_image_from_microsoft_still_migrates(tmp_path, base):
    files = {"build.sh": f"#!/bin/sh\n{EXTRACT}docker build -t app .\n", "Dockerfile.build": BUILD.replace("golang:1.22", base)}
    assert dry_run(tmp_path, files).status == PENDING
