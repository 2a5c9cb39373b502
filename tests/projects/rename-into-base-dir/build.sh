#!/bin/sh
# The artifact is renamed on the host and copied to /etc/nginx, a directory of
# nginx: it lands as /etc/nginx/app, and dmigrate cannot see that directory.
set -e

docker build -f Dockerfile.build -t dmt-rename-into-base-dir:build .
docker create --name dmt-rename-into-base-dir-x dmt-rename-into-base-dir:build
docker cp dmt-rename-into-base-dir-x:/out/app-linux-amd64 app
docker rm dmt-rename-into-base-dir-x
docker build -t dmt-rename-into-base-dir:latest .
rm -f app
