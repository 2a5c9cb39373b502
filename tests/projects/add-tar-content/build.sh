#!/bin/sh
# The build packs its output into /out/bundle, a gzip tar archive whose name
# does not say so; ADD looks at the content and unpacks it. A COPY --from
# would copy the archive itself.
set -e

docker build -f Dockerfile.build -t dmt-add-tar-content:build .
rm -f bundle
docker create --name dmt-add-tar-content-extract dmt-add-tar-content:build
docker cp dmt-add-tar-content-extract:/out/bundle ./bundle
docker rm dmt-add-tar-content-extract
docker build -t dmt-add-tar-content:latest .
rm -f bundle
