#!/bin/sh
# dist is removed first, so docker cp creates it: ./dist holds what /web/dist held.
set -e

docker build -f Dockerfile.build -t dmt-dir-no-dot:build .
rm -rf dist
docker create --name dmt-dir-no-dot-extract dmt-dir-no-dot:build
docker cp dmt-dir-no-dot-extract:/web/dist ./dist
docker rm -f dmt-dir-no-dot-extract
docker build -t dmt-dir-no-dot:latest .
rm -rf dist
