#!/bin/sh
# docker cp of S/. copies the contents of /out/dist into a new ./dist.
set -e

docker build -f Dockerfile.build -t dmt-dir-dot:build .
rm -rf ./dist
docker create --name dmt-dir-dot-extract dmt-dir-dot:build
docker cp dmt-dir-dot-extract:/out/dist/. ./dist
docker rm -f dmt-dir-dot-extract
docker build -t dmt-dir-dot:latest .
rm -rf ./dist
