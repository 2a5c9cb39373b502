#!/bin/sh
# The runtime Dockerfile takes the artifact with COPY . ., under a .dockerignore.
set -e

docker build -f Dockerfile.build -t dmt-copy-dot:build .
mkdir -p bin
docker create --name dmt-copy-dot-extract dmt-copy-dot:build
docker cp dmt-copy-dot-extract:/out/app bin/app
docker rm dmt-copy-dot-extract
docker build -t dmt-copy-dot:latest .
rm -rf bin
