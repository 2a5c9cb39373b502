#!/bin/sh
# The report leaves the build image on standard output; the host writes it
# itself, so it gets the host's default mode (0644), not the image's 0600.
set -e

docker build -f Dockerfile.build -t dmt-stdout-cat:build .
docker run --rm dmt-stdout-cat:build cat /out/report.txt > report.txt
docker build -t dmt-stdout-cat:latest .
rm report.txt
