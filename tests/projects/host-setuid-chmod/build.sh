#!/bin/sh
# The host makes the extracted binary setuid. COPY --chmod=4755 would give 0755
# (BuildKit drops the setuid, setgid and sticky bits), so dmigrate refuses.
set -e

docker build -f Dockerfile.build -t dmt-host-setuid-chmod:build .
docker create --name dmt-host-setuid-chmod-x dmt-host-setuid-chmod:build
docker cp dmt-host-setuid-chmod-x:/out/bin/tool tool
docker rm dmt-host-setuid-chmod-x
chmod 4755 tool
docker build -t dmt-host-setuid-chmod:latest .
rm -f tool
