// app is copied out through a bind mount.
package main

import "fmt"

func main() {
	fmt.Println("app")
}
