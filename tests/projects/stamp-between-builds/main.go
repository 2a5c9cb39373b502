// app sits on the host next to steps dmigrate cannot read.
package main

import "fmt"

func main() {
	fmt.Println("app")
}
