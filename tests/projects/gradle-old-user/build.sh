#!/bin/sh
set -e

docker build -f Dockerfile.build -t dmt-gradle-old-user:build .
docker create --name dmt-gradle-old-user-extract dmt-gradle-old-user:build
docker cp dmt-gradle-old-user-extract:/home/gradle/project/build/libs/app.jar ./app.jar
docker rm -f dmt-gradle-old-user-extract
docker build -t dmt-gradle-old-user:latest .
rm ./app.jar
