#!/bin/sh
# The driver builds with the classic builder, which has no COPY --chmod; the
# file the host writes from stdout would need one.
set -e
export DOCKER_BUILDKIT=0

docker build -f Dockerfile.build -t dmt-classic-builder:build .
docker run --rm dmt-classic-builder:build cat /out/app > app
docker build -t dmt-classic-builder:latest .
rm -f app
