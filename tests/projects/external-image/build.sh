#!/bin/sh
# Besides the app from the build image, a file is taken from an image nobody
# here built: nginx's default configuration.
set -e

docker build -f Dockerfile.build -t dmt-external-image:build .
docker create --name dmt-external-image-app dmt-external-image:build
docker cp dmt-external-image-app:/out/app ./app
docker rm dmt-external-image-app
docker create --name dmt-external-image-nginx nginx:1.25
docker cp dmt-external-image-nginx:/etc/nginx/conf.d/default.conf ./default.conf
docker cp dmt-external-image-nginx:/var/cache/nginx/. ./cache
docker rm dmt-external-image-nginx
docker build -t dmt-external-image:latest .
rm -rf app default.conf cache
