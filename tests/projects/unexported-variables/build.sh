#!/bin/sh
# GOARCH and CGO_ENABLED are shell variables the driver never exports, so
# `docker run -e GOARCH` and `docker build --build-arg CGO_ENABLED` find
# nothing in docker's environment: the build keeps its own defaults (amd64,
# cgo on). GOOS is exported, so `-e GOOS` passes it.
set -e

GOARCH=arm64
CGO_ENABLED=0
export GOOS=plan9

docker build --build-arg CGO_ENABLED -f Dockerfile.build -t dmt-unexported-variables:build .
docker run --rm -e GOARCH -e GOOS -v "$(pwd)":/src -w /src dmt-unexported-variables:build go build -o tool .
docker build -t dmt-unexported-variables:latest .
rm -f tool
