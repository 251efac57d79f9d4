package policy

import (
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
	"github.com/rasp-instrument/rasp-instrument/runtime/shell"
	"github.com/rasp-instrument/rasp-instrument/runtime/sqli"
	"github.com/rasp-instrument/rasp-instrument/runtime/ssrf"
)

// basicRules are the rules of the runtime's fallback detectors, which no
// detector package reports.
var basicRules = []string{RuleShellMetachar}

// RuleShellMetachar is the rule of the fallback command detector: a shell
// script (sh -c) that chains or substitutes commands, where the build
// could not tell the script's dynamic parts.
const RuleShellMetachar = "cmdi-shell-metachar"

// KnownRules returns the name of every rule a detector can report, sorted
// by family: SQL, commands, paths, network. Each detector package declares
// its own rules; this is their catalogue.
func KnownRules() []string {
	var out []string
	out = append(out, sqli.Rules()...)
	out = append(out, shell.Rules()...)
	out = append(out, basicRules...)
	out = append(out, pathguard.Rules()...)
	out = append(out, ssrf.Rules()...)
	return out
}
