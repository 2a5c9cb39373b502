#!/usr/bin/env python3
"""Build the stamp image with the docker SDK: a build image compiles it, the runtime image ships it."""
import io
import tarfile

import docker

IMAGE = "dmt-python-sdk"
BUILDER = f"{IMAGE}:build"


def extract(container, source, destination):
    """Copy SOURCE out of the container into DESTINATION, as `docker cp` would."""
    stream, _ = container.get_archive(source)
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        archive.extractall(destination)


def main():
    client = docker.from_env()
    client.images.build(path=".", dockerfile="Dockerfile.build", tag=BUILDER, buildargs={"GOFLAGS": "-trimpath"}, network_mode="none", nocache=True, rm=True)
    container = client.containers.create(BUILDER, network_disabled=True)
    try:
        extract(container, "/out/stamp", ".")
    finally:
        container.remove(force=True)
    image, _ = client.images.build(path=".", tag=f"{IMAGE}:latest", network_mode="none", nocache=True, rm=True)
    print("built", ", ".join(image.tags))


if __name__ == "__main__":
    main()
