#!/bin/sh
# docker cp to standard output, unpacked by the host's tar.
set -e

docker build -f Dockerfile.build -t dmt-cp-tar-stream:build .
rm -rf public
mkdir -p public
docker create --name dmt-cp-tar-stream-extract dmt-cp-tar-stream:build
docker cp dmt-cp-tar-stream-extract:/app/dist - | tar -x -C public
docker rm dmt-cp-tar-stream-extract
docker build -t dmt-cp-tar-stream:latest .
rm -rf public
