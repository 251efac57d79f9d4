// Command rasp-instrument builds Go programs with runtime application
// self-protection:
//
//	go build -toolexec=rasp-instrument ./...
//
// Called by the go command with a tool's path as its first argument, it acts
// as the -toolexec wrapper (see package rewrite). Called by a person, it is a
// command line tool: version, diff, sinks, help.
package main

import (
	"os"

	"github.com/rasp-instrument/rasp-instrument/rewrite"
)

func main() {
	os.Exit(Main())
}

// Main runs the tool with os.Args and returns the exit status.
func Main() int {
	if opts, tool, args, ok := rewrite.ParseToolexecArgs(os.Args[1:]); ok {
		return rewrite.NewToolexec(opts, tool, args).Run()
	}
	if err := newRootCmd().Execute(); err != nil {
		return 1
	}
	return 0
}
