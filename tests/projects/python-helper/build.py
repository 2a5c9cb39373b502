#!/usr/bin/env python3
"""Build the reporter image: a build image compiles it, the runtime image ships it."""
import os
import subprocess

IMAGE = os.environ.get("IMAGE", "dmt-python-helper")
VERSION = "3.1.0"
BUILDER = f"{IMAGE}:build"
EXTRACT = IMAGE + "-extract"


def sh(*args):
    """Run one command, echoing it first."""
    print("+", " ".join(args), flush=True)
    subprocess.run(args, check=True)


def main():
    sh("docker", "build", "--build-arg", f"VERSION={VERSION}", "-f", "Dockerfile.build", "-t", BUILDER, ".")
    sh("docker", "create", "--name", EXTRACT, BUILDER)
    try:
        sh("docker", "cp", f"{EXTRACT}:/out/reporter", "./reporter")
    finally:
        # The container only held the binary.
        sh("docker", "rm", "-f", EXTRACT)
    sh("docker", "build", "-t", f"{IMAGE}:latest", ".")
    os.remove("reporter")
    print(f"built {IMAGE}:latest")


if __name__ == "__main__":
    main()
