// app ships with nginx's default configuration.
package main

import "fmt"

func main() {
	fmt.Println("app")
}
