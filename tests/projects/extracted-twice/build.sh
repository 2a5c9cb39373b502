#!/bin/sh
# The same host path is extracted twice (the later copy wins), and dist/
# already exists because git tracks it, so the site copy nests inside it.
set -e

docker build -f Dockerfile.build -t dmt-extracted-twice:build .
docker create --name dmt-extracted-twice-extract dmt-extracted-twice:build
docker cp dmt-extracted-twice-extract:/out/app ./app
docker cp dmt-extracted-twice-extract:/out/app-static ./app
docker cp dmt-extracted-twice-extract:/out/site dist
docker rm dmt-extracted-twice-extract
docker build -t dmt-extracted-twice:latest .
rm -rf app dist/site
