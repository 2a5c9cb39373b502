// server is built from a sub-package, so its default name would be "server" anyway;
// the flow still renames the artifact on the host.
package main

import "fmt"

func main() {
	fmt.Println("serving")
}
