// svc ships next to its static files, packed as one archive.
package main

import "fmt"

func main() {
	fmt.Println("svc")
}
