#!/bin/sh
# Modes set in the build image (setuid 4755, 0640) must survive extraction.
set -e

docker build -f Dockerfile.build -t dmt-setuid-mode:build .
docker create --name dmt-setuid-mode-extract dmt-setuid-mode:build
docker cp dmt-setuid-mode-extract:/out/elevate ./elevate
docker cp dmt-setuid-mode-extract:/out/policy.conf ./policy.conf
docker rm -f dmt-setuid-mode-extract
docker build -t dmt-setuid-mode:latest .
rm ./elevate ./policy.conf
