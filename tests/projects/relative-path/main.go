// report is the artifact of the relative-path test project.
package main

import "fmt"

var decoy = ""

func main() {
	fmt.Println("report", decoy)
}
