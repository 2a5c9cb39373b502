#!/bin/sh
# The artifacts are copied out inside a directory the driver makes and enters,
# by a loop in a group whose output goes to /dev/null: the migration keeps the
# mkdir that the cd still needs, and the loop and the group go.
set -eu
NAMES="tool"

docker build -f Dockerfile.build -t dmt-cd-loop-group:build .
rm -rf dist
mkdir -p dist
cd dist
{
  docker create --name dmt-cd-loop-group-extract dmt-cd-loop-group:build
  for artifact in $NAMES helper; do
    docker cp "dmt-cd-loop-group-extract:/out/$artifact" "$artifact"
  done
  docker rm dmt-cd-loop-group-extract
} >/dev/null
cd ..
docker build -t dmt-cd-loop-group:latest .
rm -rf dist
