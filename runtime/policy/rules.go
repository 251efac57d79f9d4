package policy

import (
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
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

// FamilyRules are the rules that judge the sinks of one family.
type FamilyRules struct {
	Family event.Family
	Rules  []string
}

// RulesByFamily returns the rules of each family, in the order of
// event.SinkFamilies, then the request rules. Each detector package declares its own rules; this
// is their catalogue.
func RulesByFamily() []FamilyRules {
	return []FamilyRules{
		{event.FamilySQL, sqli.Rules()},
		{event.FamilyExec, append(shell.Rules(), basicRules...)},
		{event.FamilyFile, pathguard.Rules()},
		{event.FamilyNet, append(ssrf.Rules(), RuleEgressUnlisted)},
		{event.FamilyRequest, requestRules},
	}
}

// KnownRules returns the name of every rule a detector can report, sorted
// by family: SQL, commands, paths, network.
func KnownRules() []string {
	var out []string
	for _, f := range RulesByFamily() {
		out = append(out, f.Rules...)
	}
	return out
}
