// greet prints a greeting; the test only needs its build to be traceable.
package main

import "fmt"

func main() {
	fmt.Println("hello from workdir-file")
}
