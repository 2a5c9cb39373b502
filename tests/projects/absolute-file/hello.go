// hello is the artifact of the absolute-file test project.
package main

import "fmt"

func main() {
	fmt.Println("hello from absolute-file")
}
