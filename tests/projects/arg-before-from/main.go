// tool is built with whichever Go toolchain GO_VERSION names.
package main

import "fmt"

var toolchain = ""

func main() {
	fmt.Println("tool built with Go", toolchain)
}
