#!/bin/sh
# The binary is built into the build image; a `docker run` with the host's
# out/ bind-mounted copies it (and its config) out.
set -e

docker build -f Dockerfile.build -t dmt-bind-mount-out:build .
rm -rf out
mkdir -p out
docker run --rm -v "$PWD/out:/out" dmt-bind-mount-out:build sh -c 'cp /build/app /out/ && cp /src/app.conf /out/'
docker build -t dmt-bind-mount-out:latest .
rm -rf out
