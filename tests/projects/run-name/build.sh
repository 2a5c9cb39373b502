#!/bin/sh
# The build happens in the build image's CMD: `docker run` makes the artifact,
# and docker cp takes it from the stopped container.
set -e

docker build -f Dockerfile.build -t dmt-run-name:build .
docker run --name dmt-run-name-builder dmt-run-name:build
docker cp dmt-run-name-builder:/out/job ./job
docker rm dmt-run-name-builder
docker build -t dmt-run-name:latest .
rm ./job
