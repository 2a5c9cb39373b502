// version prints the version it was built with.
package main

import "fmt"

var version = "dev"

func main() {
	fmt.Println(version)
}
