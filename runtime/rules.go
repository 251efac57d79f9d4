package rasp

import (
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
	"github.com/rasp-instrument/rasp-instrument/runtime/shell"
	"github.com/rasp-instrument/rasp-instrument/runtime/sqli"
)

// ssrfRules are package ssrf's rule names (the core runtime does not import
// it: it needs package net).
var ssrfRules = []string{"ssrf-internal", "ssrf-metadata", "ssrf-scheme"}

// basicRules are the rules of the fallback detectors.
var basicRules = []string{"cmdi-shell-metachar"}

// KnownRules returns the name of every rule a detector can report, sorted
// by family: SQL, commands, paths, network.
func KnownRules() []string {
	var out []string
	out = append(out, sqli.Rules()...)
	out = append(out, shell.Rules()...)
	out = append(out, basicRules...)
	out = append(out, pathguard.Rules()...)
	out = append(out, ssrfRules...)
	return out
}
