#!/bin/sh
set -e
VERSION=1.2.3

docker build --build-arg VERSION=$VERSION -f Dockerfile.build -t dmt-build-arg:build .
docker create --name dmt-build-arg-extract dmt-build-arg:build
docker cp dmt-build-arg-extract:/out/version ./version
docker rm -f dmt-build-arg-extract
docker build -t dmt-build-arg:latest .
rm ./version
