module example.com/benchsvc

go 1.26.0
