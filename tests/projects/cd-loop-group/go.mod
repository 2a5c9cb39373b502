module example.com/chmod

go 1.22
