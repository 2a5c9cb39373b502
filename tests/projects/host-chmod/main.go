// tool and helper get their modes on the host.
package main

import "fmt"

func main() {
	fmt.Println("tool")
}
