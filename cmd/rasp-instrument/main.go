// Command rasp-instrument builds Go programs with runtime application
// self-protection:
//
//	go build -toolexec=rasp-instrument ./...
//
// Called by the go command with a tool's path as its first argument, it acts
// as the -toolexec wrapper (the packages under rewrite/). Called by a person,
// it is a command-line tool:
//
//	diff [packages]           show what the build would rewrite, without building
//	inspect BINARY            tell whether a binary was built with the tool, and how
//	sinks                     check and list the sink spec in force
//	policy check FILE...      validate runtime policy files
//	policy convert FILE.yaml  print a YAML policy as the JSON the runtime reads
//	triage EVENTS.jsonl...    group runtime findings, propose a policy for false positives
//	version                   print the tool's version
//	help, completion          cobra's help and shell completion scripts
//
// The README and docs/ describe them.
package main

import (
	"os"

	"github.com/rasp-instrument/rasp-instrument/cmd/rasp-instrument/cli"
)

func main() {
	os.Exit(cli.Main())
}
