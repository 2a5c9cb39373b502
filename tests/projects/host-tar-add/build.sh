#!/bin/sh
# The extracted site is packed on the host and the runtime build unpacks the
# archive with ADD.
set -e

docker build -f Dockerfile.build -t dmt-host-tar-add:build .
rm -rf site site.tar.gz
docker create --name dmt-host-tar-add-extract dmt-host-tar-add:build
docker cp dmt-host-tar-add-extract:/app/dist ./site
docker rm dmt-host-tar-add-extract
tar -czf site.tar.gz -C site .
rm -rf site
docker build -t dmt-host-tar-add:latest .
rm -f site.tar.gz
