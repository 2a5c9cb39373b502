#!/bin/sh
# The project is built in place through a bind mount, and the runtime image
# copies the whole context: build.sh and Dockerfile land in /srv. The
# migration rewrites both, so the image would hold their new text: dmigrate
# refuses at the COPY.
set -e

docker run --rm -v "$PWD":/src -w /src golang:1.22 go build -o report .
docker build -t dmt-copy-dot-built-in-place:latest .
