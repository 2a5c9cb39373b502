// app reaches the image through COPY . . of the whole context.
package main

import "fmt"

func main() {
	fmt.Println("app")
}
