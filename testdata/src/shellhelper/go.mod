module example.com/shellhelper

go 1.22
