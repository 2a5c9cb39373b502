#!/bin/sh
# The runtime Dockerfile takes the artifact with COPY . ., and nothing keeps
# the driver and the Dockerfiles out: the legacy image holds them. The
# migration rewrites build.sh, Dockerfile and .dockerignore and deletes
# Dockerfile.build, so the image would differ: dmigrate refuses at the COPY.
set -e

docker build -f Dockerfile.build -t dmt-copy-dot-carries-driver:build .
mkdir -p bin
docker create --name dmt-copy-dot-carries-driver-extract dmt-copy-dot-carries-driver:build
docker cp dmt-copy-dot-carries-driver-extract:/out/app bin/app
docker rm dmt-copy-dot-carries-driver-extract
docker build -t dmt-copy-dot-carries-driver:latest .
rm -rf bin
