// report describes how it was built.
package main

import "fmt"

func main() {
	fmt.Println("report")
}
