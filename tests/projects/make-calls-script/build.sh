#!/bin/sh
# Usage: build.sh VERSION
set -e
version=${1:?usage: build.sh VERSION}

docker build --build-arg "VERSION=$version" -f Dockerfile.build -t dmt-make-calls-script:build .
id=$(docker create dmt-make-calls-script:build)
docker cp "$id":/out/counter ./counter
docker rm "$id" >/dev/null
docker build -t dmt-make-calls-script:latest .
rm -f counter
