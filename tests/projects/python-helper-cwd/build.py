#!/usr/bin/env python3
"""Build the service from src/: a helper hands its keywords on to subprocess.run, cwd= among them."""
import subprocess

IMAGE = "dmt-python-helper-cwd"


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


def docker(*args, cwd=None):
    run(["docker", *args], cwd=cwd)


def main():
    run(["docker", "build", "-f", "../Dockerfile.build", "-t", f"{IMAGE}:build", "."], cwd="src")
    docker("create", "--name", f"{IMAGE}-x", f"{IMAGE}:build")
    docker("cp", f"{IMAGE}-x:/out/app", "app", cwd="src")
    docker("rm", f"{IMAGE}-x")
    run(["docker", "build", "-f", "../Dockerfile", "-t", f"{IMAGE}:latest", "."], cwd="src")
    run(["rm", "-f", "src/app"])


if __name__ == "__main__":
    main()
