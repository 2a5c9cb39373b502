// tool is built for whatever GOOS and GOARCH reach the build container.
package main

func main() {}
