#!/bin/sh
# The list of artifacts comes from the build image itself: only running a
# container can tell it, so dmigrate refuses the loop.
set -e

docker build -f Dockerfile.build -t dmt-loop-over-output:build .
rm -rf bin
mkdir -p bin
docker create --name dmt-loop-over-output-extract dmt-loop-over-output:build
for artifact in $(docker run --rm dmt-loop-over-output:build ls /out); do
    docker cp "dmt-loop-over-output-extract:/out/$artifact" bin/
done
docker rm dmt-loop-over-output-extract
docker build -t dmt-loop-over-output:latest .
rm -rf bin
