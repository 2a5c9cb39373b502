#!/bin/sh
# The runtime file gives UNUSED a value, so the build image's UNUSED is renamed;
# nothing ever set it there, and it must stay unset (not become ENV UNUSED=).
set -e

docker build -f Dockerfile.build -t dmt-arg-unset-renamed:build .
docker create --name dmt-arg-unset-renamed-extract dmt-arg-unset-renamed:build
docker cp dmt-arg-unset-renamed-extract:/out/app app
docker rm dmt-arg-unset-renamed-extract
docker build --build-arg FLAVOR=x -t dmt-arg-unset-renamed:latest .
rm -f app
