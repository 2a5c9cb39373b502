#!/bin/sh
# dist/ holds relative symlinks (bin/hello -> hello-1.0, README -> share/README);
# they must stay links.
set -e

docker build -f Dockerfile.build -t dmt-symlink-in-dir:build .
rm -rf dist
docker create --name dmt-symlink-in-dir-extract dmt-symlink-in-dir:build
docker cp dmt-symlink-in-dir-extract:/usr/src/hello/dist ./dist
docker rm -f dmt-symlink-in-dir-extract
docker build -t dmt-symlink-in-dir:latest .
rm -rf dist
