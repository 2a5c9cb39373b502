#!/bin/sh
# The artifact lands in a directory the script makes, is renamed there with
# mv, and the runtime build copies the whole directory.
set -e

docker build -f Dockerfile.build -t dmt-host-rename:build .
rm -rf dist
mkdir -p dist/bin
docker create --name dmt-host-rename-extract dmt-host-rename:build
docker cp dmt-host-rename-extract:/out/server dist/bin/
docker rm dmt-host-rename-extract
mv dist/bin/server dist/bin/app-server
docker build -t dmt-host-rename:latest .
rm -rf dist
