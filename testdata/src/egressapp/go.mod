module example.com/egressapp

go 1.22
