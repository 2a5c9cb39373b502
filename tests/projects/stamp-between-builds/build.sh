#!/bin/sh
# A stamp file written after the build image is built and before the runtime
# build: the migrated stage, built where the runtime build is, copies it too,
# but it lands beside the sources, not in the artifact, so the image is the same.
set -e

docker build -f Dockerfile.build -t dmt-stamp-between-builds:build .
date > build.stamp
docker create --name dmt-stamp-between-builds-extract dmt-stamp-between-builds:build
docker cp dmt-stamp-between-builds-extract:/out/app ./app
docker rm dmt-stamp-between-builds-extract
docker build -t dmt-stamp-between-builds:latest .
rm -f app
rm -f build.stamp
