// svc is packed into a tar stream inside its build image.
package main

import "fmt"

func main() {
	fmt.Println("svc")
}
