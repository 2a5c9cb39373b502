#!/bin/sh
# The build runs in the container's command: created first, started attached,
# then docker cp takes the result from the stopped container.
set -e

docker build -f Dockerfile.build -t dmt-create-start:build .
docker create --name dmt-create-start-builder -e GOFLAGS=-trimpath -w /src/job dmt-create-start:build go build -o /out/job .
docker start -a dmt-create-start-builder
docker cp dmt-create-start-builder:/out/job ./job
docker rm dmt-create-start-builder
docker build -t dmt-create-start:latest .
rm ./job
