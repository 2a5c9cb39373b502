// job is built when its container starts.
package main

import "fmt"

func main() {
	fmt.Println("job")
}
