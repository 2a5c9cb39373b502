module example.com/elevate

go 1.22
