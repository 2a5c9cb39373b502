// counter prints the version it was built as.
package main

import "fmt"

var version = "dev"

func main() {
	fmt.Println("counter", version)
}
