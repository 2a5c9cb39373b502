// job is built when its build container runs, not when its build image is built.
package main

import "fmt"

func main() {
	fmt.Println("job")
}
