// app is built from src/, where every docker command of build.py runs.
package main

func main() {}
