module helpers

go 1.22
