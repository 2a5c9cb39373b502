#!/bin/sh
# The build image packs its output itself and the host saves the stream;
# ADD unpacks it with the owners the archive records.
set -e

docker build -f Dockerfile.build -t dmt-stdout-tar-add:build .
docker run --rm dmt-stdout-tar-add:build tar -czf - -C /out . > dist.tar.gz
docker build -t dmt-stdout-tar-add:latest .
rm -f dist.tar.gz
