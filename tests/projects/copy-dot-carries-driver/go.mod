module example.com/copydot

go 1.22
