#!/bin/bash
# Builds the counter image; the copying out of the build image lives in scripts/extract.sh.
set -euo pipefail
DIR="$(cd "$(dirname "$0")" && pwd)"
cd "$DIR"

docker build --build-arg VERSION=1.4.2 -f Dockerfile.build -t dmt-script-runs-script:build .
"$DIR/scripts/extract.sh" dmt-script-runs-script:build /out/counter
docker build -t dmt-script-runs-script:latest .
rm -f counter
