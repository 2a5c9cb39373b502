// app is extracted twice; the static build wins.
package main

import "fmt"

func main() {
	fmt.Println("app")
}
