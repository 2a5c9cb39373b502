// app is built FROM an image built earlier in the same script.
package main

import "fmt"

func main() {
	fmt.Println("app")
}
