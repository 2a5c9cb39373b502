#!/bin/sh
# The artifact is /out/app in the build image and "server" on the host.
set -e

rm -f ./server
docker build -f Dockerfile.build -t dmt-rename:build .
docker create --name dmt-rename-extract dmt-rename:build
docker cp dmt-rename-extract:/out/app ./server
docker rm dmt-rename-extract
docker build -t dmt-rename:latest .
rm -f ./server
