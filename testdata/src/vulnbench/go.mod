module vulnbench

go 1.22
