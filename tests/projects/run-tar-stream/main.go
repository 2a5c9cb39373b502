// server and cli leave the build image as a tar stream.
package main

import "fmt"

func main() {
	fmt.Println("stream")
}
