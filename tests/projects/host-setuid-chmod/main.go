// tool stands for a small setuid helper.
package main

import "fmt"

func main() {
	fmt.Println("tool")
}
