module myapp

go 1.22

require helpers v0.0.0

replace helpers => ../helpers
