#!/bin/sh
# The host writes both artifacts itself, from the output of docker run, under
# the umask the driver sets: 0640, and `chmod +x` adds only what that umask
# lets through (0750).
set -e
umask 027

docker build -f Dockerfile.build -t dmt-stdout-umask:build .
docker run --rm dmt-stdout-umask:build cat /out/report.txt > report.txt
docker run --rm dmt-stdout-umask:build cat /out/report > report
chmod +x report
docker build -t dmt-stdout-umask:latest .
rm report.txt report
