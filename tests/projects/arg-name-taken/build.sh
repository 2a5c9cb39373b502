#!/bin/sh
# Both builds pass VERSION, with different values, so the build image's VERSION is
# renamed; the runtime file already has an ARG BUILDER_VERSION of its own, so the
# new name must be another one, or the runtime image's label would change.
set -e

docker build --build-arg VERSION=1.0 -f Dockerfile.build -t dmt-arg-name-taken:build .
docker create --name dmt-arg-name-taken-extract dmt-arg-name-taken:build
docker cp dmt-arg-name-taken-extract:/out/app app
docker rm dmt-arg-name-taken-extract
docker build --build-arg VERSION=2.0 -t dmt-arg-name-taken:latest .
rm -f app
