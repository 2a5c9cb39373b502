module example.com/stamp

go 1.21
