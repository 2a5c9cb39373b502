// app is one of two artifacts from two builders.
package main

import "fmt"

func main() {
	fmt.Println("app")
}
