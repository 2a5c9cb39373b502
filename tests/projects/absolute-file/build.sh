#!/bin/sh
set -e

docker build -t dmt-absolute-file:build -f Dockerfile.build .
docker container create --name dmt-absolute-file-extract dmt-absolute-file:build
docker container cp dmt-absolute-file-extract:/out/hello ./hello
docker container rm -f dmt-absolute-file-extract
docker build -t dmt-absolute-file:latest .
