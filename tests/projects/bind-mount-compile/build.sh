#!/bin/sh
# The build happens at `docker run` time: the project is bind-mounted at /src
# and make compiles there, leaving ./hello on the host.
set -e

docker build -f Dockerfile.build -t dmt-bind-mount-compile:build .
docker run --rm -v "$(pwd)":/src -w /src -e CFLAGS="-O2 -DNDEBUG" dmt-bind-mount-compile:build make hello
docker build -t dmt-bind-mount-compile:latest .
rm -f hello
