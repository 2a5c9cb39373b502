#!/bin/sh
# The build copies its whole context, and the runtime image takes the whole
# directory it copied it to; .dockerignore keeps out the files the migration
# rewrites or deletes, so the artifact is the same after it.
set -e

docker build -f Dockerfile.build -t dmt-context-in-artifact:build .
rm -rf web
docker create --name dmt-context-in-artifact-extract dmt-context-in-artifact:build
docker cp dmt-context-in-artifact-extract:/web ./web
docker rm dmt-context-in-artifact-extract
docker build -t dmt-context-in-artifact:latest .
rm -rf web
