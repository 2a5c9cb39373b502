// greeter prints a greeting and the version it was built as.
package main

import "fmt"

var version = "dev"

func main() {
	fmt.Println("hello from greeter", version)
}
