// app is built under its platform's name and renamed on the host.
package main

import "fmt"

func main() {
	fmt.Println("app")
}
