// server is renamed on the host after extraction.
package main

import "fmt"

func main() {
	fmt.Println("serving")
}
