module example.com/bindout

go 1.22
