// server and cli are copied out one by one, in a loop over `ls /out`.
package main

import "fmt"

func main() {
	fmt.Println("loop")
}
