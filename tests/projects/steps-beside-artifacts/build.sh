#!/bin/sh
# Steps dmigrate cannot read (eval, sh -c) before the first extraction and after
# the runtime build, and a glob that cannot name the artifact while it is on the
# host: none of them can change it, so they stay.
set -e

eval "echo building"
docker build -f Dockerfile.build -t dmt-steps-beside-artifacts:build .
rm -rf out
mkdir -p out
docker create --name dmt-steps-beside-artifacts-extract dmt-steps-beside-artifacts:build
docker cp dmt-steps-beside-artifacts-extract:/out/app out/app
docker rm dmt-steps-beside-artifacts-extract
chmod 644 ./*.md
docker build -t dmt-steps-beside-artifacts:latest .
sh -c 'echo built'
rm -rf out
