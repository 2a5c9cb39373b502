// stamp prints a fixed line; the test only needs its build to be traceable.
package main

import "fmt"

func main() {
	fmt.Println("stamped")
}
