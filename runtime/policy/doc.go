// Package policy is the schema of the runtime's policy file (RASP_POLICY):
// the modes, the rules and allowlists an operator sets, how the file is
// parsed and checked (with every problem named by its field), and the
// catalogue of the rules the detectors report.
//
// The package is pure: it reads no environment and holds no state. The
// runtime of an instrumented program puts a compiled policy in force and
// applies the environment's overrides (RASP_MODE, RASP_RULE_*) to it; the
// tool's policy commands use the same parser and checker, so a policy the
// tool accepts is one the runtime accepts.
package policy
