#!/bin/sh
# The build container is anonymous: its id is captured from docker create.
set -e

docker build -f Dockerfile.build -t dmt-create-id:build .
id=$(docker create dmt-create-id:build)
docker cp "$id":/build/target/app.jar ./app.jar
docker rm -v "$id"
docker build -t dmt-create-id:latest .
rm -f app.jar
