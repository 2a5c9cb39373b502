#!/bin/sh
# Usage: extract.sh IMAGE PATH — copies PATH out of IMAGE into the current directory.
set -e
image=$1
echo "extracting $2 from $image"
id=$(docker create "$image")
docker cp "$id:$2" .
docker rm "$id" >/dev/null
