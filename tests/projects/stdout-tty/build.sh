#!/bin/sh
# The report leaves the build image on standard output through a terminal
# (-t): every LF becomes CR LF on the way, so the host file is not the file
# in the image, and no COPY --from can make it. dmigrate refuses at the run.
set -e

docker build -f Dockerfile.build -t dmt-stdout-tty:build .
docker run -t --rm dmt-stdout-tty:build cat /out/report.txt > report.txt
docker build -t dmt-stdout-tty:latest .
rm report.txt
