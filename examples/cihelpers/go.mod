module example.com/cihelpers

go 1.19
