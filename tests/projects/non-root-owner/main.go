// tool is built by an unprivileged user in the build image.
package main

import "fmt"

func main() {
	fmt.Println("tool")
}
