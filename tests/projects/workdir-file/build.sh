#!/bin/sh
set -e

docker build -f Dockerfile.build -t dmt-workdir-file:build .

docker create --name dmt-workdir-file-extract dmt-workdir-file:build
docker cp dmt-workdir-file-extract:/src/greet/app ./app
docker rm -f dmt-workdir-file-extract

docker build -t dmt-workdir-file:latest .
rm ./app
