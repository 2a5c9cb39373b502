#!/bin/sh
# Modes set on the host between extraction and the runtime build: the tool
# comes out on stdout (0644) and gets chmod +x; the helper is docker cp'd and
# chmod 0750.
set -e

docker build -f Dockerfile.build -t dmt-host-chmod:build .
docker run --rm dmt-host-chmod:build cat /out/tool > tool && chmod +x tool
docker create --name dmt-host-chmod-extract dmt-host-chmod:build
docker cp dmt-host-chmod-extract:/out/helper ./helper
docker rm dmt-host-chmod-extract
chmod 0750 helper
docker build -t dmt-host-chmod:latest .
rm -f tool helper
