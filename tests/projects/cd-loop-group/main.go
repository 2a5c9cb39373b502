// tool and helper are copied out inside a directory the driver makes.
package main

import "fmt"

func main() {
	fmt.Println("tool")
}
