#!/bin/sh
# Two builders: the app from the project root, the tools from tools/, which is
# a build context of its own with its own .dockerignore. One docker rm removes
# both extraction containers.
set -e

docker build -f Dockerfile.build -t dmt-several-builders:build .
docker build -t dmt-several-builders:tools tools
docker create --name dmt-several-builders-app dmt-several-builders:build
docker create --name dmt-several-builders-tools dmt-several-builders:tools
docker cp dmt-several-builders-app:/out/app ./app
docker cp dmt-several-builders-tools:/out/. ./tools-out
docker rm dmt-several-builders-app dmt-several-builders-tools
docker build -t dmt-several-builders:latest .
rm -rf app tools-out
