module example.com/shellcli

go 1.22

require example.com/shellhelper v0.0.0

replace example.com/shellhelper => ../shellhelper
