#!/bin/sh
# The artifact is /out/app-linux-amd64 in the build image and "app" on the host.
# Each COPY shows where it lands: a directory the stage makes, a target named
# after the file, and a directory written with its trailing slash.
set -e

docker build -f Dockerfile.build -t dmt-rename-file-target:build .
docker create --name dmt-rename-file-target-x dmt-rename-file-target:build
docker cp dmt-rename-file-target-x:/out/app-linux-amd64 app
docker rm dmt-rename-file-target-x
docker build -t dmt-rename-file-target:latest .
rm -f app
