#!/bin/sh
# A tar stream from `docker run`, unpacked by the host's tar.
set -e

docker build -f Dockerfile.build -t dmt-run-tar-stream:build .
rm -rf bin
mkdir -p bin
docker run --rm dmt-run-tar-stream:build tar -cf - -C /out . | tar -xf - -C bin
docker build -t dmt-run-tar-stream:latest .
rm -rf bin
