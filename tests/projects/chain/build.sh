#!/bin/sh
# The build image is FROM another image the script built just before.
set -e

docker build -f Dockerfile.base -t dmt-chain:base .
docker build -f Dockerfile.build -t dmt-chain:build .
docker create --name dmt-chain-extract dmt-chain:build
docker cp dmt-chain-extract:/out/app ./app
docker rm dmt-chain-extract
docker build -t dmt-chain:latest .
rm -f app
