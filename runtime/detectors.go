package rasp

import (
	"path/filepath"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
	"github.com/rasp-instrument/rasp-instrument/runtime/shell"
	"github.com/rasp-instrument/rasp-instrument/runtime/sqli"
)

// The detectors receive the call site, which carries the build's templates
// (Site.Tmpls), and the index among the sink's parameters of the value they
// judge, so they can tell the bytes the programmer wrote from the bytes that
// came from variables.

// SQLDetector judges a SQL query about to be sent to a database. dialect is
// the SQL dialect of the driver in use, when the hook can tell it.
type SQLDetector interface {
	CheckSQL(site *Site, arg int, query string, dialect sqli.Dialect) (Finding, bool)
}

// CommandDetector judges the argv of a command about to be built or
// started; argv[i] is the sink's parameter argOffset+i, when it came as one.
type CommandDetector interface {
	CheckCommand(site *Site, argOffset int, argv []string) (Finding, bool)
}

// PathDetector judges a file path about to be opened, created or changed.
type PathDetector interface {
	CheckPath(site *Site, arg int, path string) (Finding, bool)
}

// Detectors holds the detector in force for each family.
type Detectors struct {
	SQL  SQLDetector
	Exec CommandDetector
	File PathDetector
}

var detectors = Detectors{
	SQL:  structuralSQL{},
	Exec: templateExec{},
	File: templatePath{},
}

// SetDetectors replaces the detectors; nil fields keep the current ones. It
// is meant for tests and start-up, before sinks are called concurrently.
func SetDetectors(d Detectors) {
	if d.SQL != nil {
		detectors.SQL = d.SQL
	}
	if d.Exec != nil {
		detectors.Exec = d.Exec
	}
	if d.File != nil {
		detectors.File = d.File
	}
}

// structuralSQL judges a query by its structure with the context-free rules
// of package sqli: tautologies, UNION SELECT after a complete statement,
// stacked statements, truncating comments, time probes, file access and
// error-based extractors. Parameterised queries take sqli's fast path.
type structuralSQL struct{}

func (structuralSQL) CheckSQL(site *Site, arg int, q string, d sqli.Dialect) (Finding, bool) {
	var dyn []sqli.Span // nil: origin unknown, the context-free rules run
	var buf [maxSpans]Span
	var sbuf [maxSpans]sqli.Span
	if t := site.template(arg); t != nil && !t.Join {
		if n, ok := t.spans(q, &buf); ok {
			for i := 0; i < n; i++ {
				sbuf[i] = sqli.Span(buf[i])
			}
			dyn = sbuf[:n] // the dynamic-part check; none: all static
		}
	}
	f, ok := sqli.Check(q, dyn, d)
	if !ok {
		return Finding{}, false
	}
	return Finding{Rule: f.Rule, Detail: "offending token: " + sqli.Redact(q[f.Start:f.End], d), Value: sqli.Redact(q, d),
		Start: f.Start, End: f.End}, true
}

// basicExec flags a shell script (sh -c) that chains or substitutes commands.
type basicExec struct{}

var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "ash": true}

func (basicExec) CheckCommand(_ *Site, _ int, argv []string) (Finding, bool) {
	if len(argv) < 3 || !shells[filepath.Base(argv[0])] {
		return Finding{}, false
	}
	for i := 1; i < len(argv)-1; i++ {
		if argv[i] == "-c" {
			if strings.ContainsAny(argv[i+1], ";|&`\n") || strings.Contains(argv[i+1], "$(") {
				return Finding{Rule: "cmdi-shell-metachar", Detail: "a shell script chains or substitutes commands"}, true
			}
			return Finding{}, false
		}
	}
	return Finding{}, false
}

// basicPath flags .. segments, NUL bytes and well-known sensitive files.
type basicPath struct{}

var sensitiveFiles = map[string]bool{"/etc/shadow": true, "/etc/passwd": true, "/proc/self/environ": true}

func (basicPath) CheckPath(_ *Site, _ int, p string) (Finding, bool) {
	if strings.IndexByte(p, 0) >= 0 {
		return Finding{Rule: "path-nul-byte", Detail: "NUL byte in path"}, true
	}
	for _, seg := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return Finding{Rule: "path-traversal", Detail: ".. segment in path", Value: p}, true
		}
	}
	if sensitiveFiles[filepath.Clean(p)] {
		return Finding{Rule: "path-sensitive-file", Detail: "sensitive file", Value: p}, true
	}
	return Finding{}, false
}

// templateExec judges commands with package shell where the call site's
// template tells the dynamic parts of the argv, and with basicExec where it
// does not.
type templateExec struct{}

func (templateExec) CheckCommand(site *Site, off int, argv []string) (Finding, bool) {
	var buf [maxSpans]Span
	if idx, isShell := shell.ShellScript(argv); isShell {
		if a := CurrentPolicy().shell; a != nil && !a.Allowed(argv[idx]) {
			return Finding{Rule: shell.RuleShellNotAllowlisted, Detail: "the shell script is not in the policy's shell_commands", Start: 0, End: len(argv[idx])}, true
		}
		t := site.template(off + idx)
		if t == nil || t.Join {
			return basicExec{}.CheckCommand(site, off, argv)
		}
		n, ok := t.spans(argv[idx], &buf)
		if !ok {
			return basicExec{}.CheckCommand(site, off, argv) // the script does not fit its template
		}
		if n == 0 {
			return Finding{}, false // the programmer wrote the whole script
		}
		var sbuf [maxSpans]shell.Span
		for i := 0; i < n; i++ {
			sbuf[i] = shell.Span(buf[i])
		}
		if f, ok := shell.CheckScript(argv[idx], sbuf[:n]); ok {
			return Finding{Rule: f.Rule, Detail: "a dynamic part of the shell script is not confined to one word", Start: f.Start, End: f.End}, true
		}
		return Finding{}, false
	}
	// Without a shell, only what the templates say is dynamic is judged.
	var dyn [][]shell.Span
	for i, a := range argv {
		t := site.template(off + i)
		if t == nil || t.Join {
			continue
		}
		n, ok := t.spans(a, &buf)
		if !ok {
			continue
		}
		if dyn == nil {
			dyn = make([][]shell.Span, len(argv))
		}
		for j := 0; j < n; j++ {
			dyn[i] = append(dyn[i], shell.Span(buf[j]))
		}
	}
	if dyn == nil {
		return Finding{}, false
	}
	if f, ok := shell.CheckArgv(argv, dyn); ok {
		return Finding{Rule: f.Rule, Detail: "a dynamic part chose the program or an option", Start: f.Start, End: f.End}, true
	}
	return Finding{}, false
}

// templatePath judges paths with package pathguard where the call site's
// template tells the dynamic parts, and with basicPath where it does not.
type templatePath struct{}

func (templatePath) CheckPath(site *Site, arg int, p string) (Finding, bool) {
	t := site.template(arg)
	if t == nil {
		return basicPath{}.CheckPath(site, arg, p)
	}
	bases := CurrentPolicy().pathBases
	var buf [maxSpans]Span
	var pbuf [maxSpans]pathguard.Span
	n, ok := t.spans(p, &buf)
	for i := 0; i < n; i++ {
		pbuf[i] = pathguard.Span(buf[i])
	}
	var f pathguard.Finding
	var found bool
	switch {
	case t.Join && len(t.Segs) > 1:
		// Join cleaned the result, so a dynamic ".." is gone from it: a
		// result outside the prefix written at the call site is the proof.
		prefix := strings.TrimSuffix(t.Segs[0], "/")
		switch {
		case prefix == "" || prefix == ".":
			f, found = pathguard.Check(p, []pathguard.Span{{Start: 0, End: len(p)}}, bases)
		case p == prefix:
			return Finding{}, false
		case strings.HasPrefix(p, prefix+"/"):
			f, found = pathguard.Check(p, []pathguard.Span{{Start: len(prefix) + 1, End: len(p)}}, bases)
		default:
			return Finding{Rule: pathguard.RuleTraversal, Detail: "a dynamic part took the joined path out of " + prefix, Value: p}, true
		}
	case ok:
		f, found = pathguard.Check(p, pbuf[:n], bases)
	default:
		return basicPath{}.CheckPath(site, arg, p)
	}
	if !found {
		return Finding{}, false
	}
	return Finding{Rule: f.Rule, Detail: "a dynamic part of the path", Value: p, Start: f.Start, End: f.End}, true
}
