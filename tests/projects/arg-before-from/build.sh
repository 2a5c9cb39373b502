#!/bin/sh
set -e

docker build --build-arg GO_VERSION=1.22 -f Dockerfile.build -t dmt-arg-before-from:build .
docker create --name dmt-arg-before-from-extract dmt-arg-before-from:build
docker cp dmt-arg-before-from-extract:/out/tool ./tool
docker rm -f dmt-arg-before-from-extract
docker build -t dmt-arg-before-from:latest .
rm ./tool
