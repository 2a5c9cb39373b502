#!/bin/sh
set -e

docker build -f Dockerfile.build -t dmt-relative-path:build .
docker create --name dmt-relative-path-extract dmt-relative-path:build
# A relative container path is read from /, not from the WORKDIR.
docker cp dmt-relative-path-extract:app ./app
docker rm -f dmt-relative-path-extract
docker build -t dmt-relative-path:latest .
rm ./app
