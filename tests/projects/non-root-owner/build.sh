#!/bin/sh
set -e

docker build -f Dockerfile.build -t dmt-non-root-owner:build .
docker create --name dmt-non-root-owner-extract dmt-non-root-owner:build
docker cp dmt-non-root-owner-extract:/home/app/out/tool ./tool
docker rm -f dmt-non-root-owner-extract
docker build -t dmt-non-root-owner:latest .
rm ./tool
