#!/bin/sh
# The whole output directory is extracted and the runtime build takes it with
# ADD. ADD of a directory unpacks nothing in it, not even dist/static, a gzip
# tar archive without an archive's name.
set -e

docker build -f Dockerfile.build -t dmt-add-extracted-dir:build .
rm -rf dist
docker create --name dmt-add-extracted-dir-extract dmt-add-extracted-dir:build
docker cp dmt-add-extracted-dir-extract:/out ./dist
docker rm dmt-add-extracted-dir-extract
docker build -t dmt-add-extracted-dir:latest .
rm -rf dist
