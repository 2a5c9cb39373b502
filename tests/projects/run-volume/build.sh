#!/bin/sh
set -e

docker build -f Dockerfile.build -t dmt-run-volume:build .
docker run --name dmt-run-volume-extract dmt-run-volume:build
docker cp dmt-run-volume-extract:/out/app.txt ./app.txt
docker rm -f dmt-run-volume-extract
docker build -t dmt-run-volume:latest .
rm ./app.txt
