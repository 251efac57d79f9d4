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
	CheckSQL(site *Site, arg int, query string, dialect sqli.Dialect, req *Request) (Finding, bool)
}

// CommandDetector judges the argv of a command about to be built or
// started; argv[i] is the sink's parameter argOffset+i, when it came as one.
type CommandDetector interface {
	CheckCommand(site *Site, argOffset int, argv []string, req *Request) (Finding, bool)
}

// PathDetector judges a file path about to be opened, created or changed.
type PathDetector interface {
	CheckPath(site *Site, arg int, path string, req *Request) (Finding, bool)
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

// DefaultDetectors returns the runtime's own detectors, to restore them
// after SetDetectors.
func DefaultDetectors() Detectors {
	return Detectors{SQL: structuralSQL{}, Exec: templateExec{}, File: templatePath{}}
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

func (structuralSQL) CheckSQL(site *Site, arg int, q string, d sqli.Dialect, req *Request) (Finding, bool) {
	var dyn []sqli.Span // nil: origin unknown, the context-free rules run
	var buf [maxSpans]Span
	var sbuf [maxSpans]sqli.Span
	if t := site.template(arg); t != nil && !t.Join {
		if n, ok := t.textSpans(q, &buf); ok { // a number cannot change a query
			for i := 0; i < n; i++ {
				sbuf[i] = sqli.Span(buf[i])
			}
			dyn = sbuf[:n] // the dynamic-part check; none: all static
		}
	}
	var which [maxSpans]int
	inputs := 0 // buf[:inputs] are the request's inputs, which are dyn
	if dyn == nil {
		// No template: the request's inputs found in the query are its
		// dynamic parts, wherever it was built.
		if n := inputSpans(req, q, &buf, &which); n > 0 {
			for i := 0; i < n; i++ {
				sbuf[i] = sqli.Span(buf[i])
			}
			dyn, inputs = sbuf[:n], n
		}
	}
	f, ok := sqli.Check(q, dyn, d)
	if !ok && inputs > 0 {
		f, ok = sqli.Check(q, nil, d) // as for any query of unknown origin
		inputs = 0
	}
	if !ok {
		return Finding{}, false
	}
	var input *Input
	if inputs > 0 {
		// Copies: handing buf and which to at would move them to the heap
		// on the clean path too.
		in := &Inputs{req, append([]Span(nil), buf[:inputs]...), append([]int(nil), which[:inputs]...)}
		input = in.at(f.Start, f.End)
	} else {
		// The template told the dynamic parts (or the context-free rules
		// found the query's fault).
		input = inputIn(req, q, f.Start, f.End)
	}
	return Finding{Rule: f.Rule, Detail: "offending token: " + sqli.Redact(q[f.Start:f.End], d), Value: sqli.Redact(q, d),
		Start: f.Start, End: f.End, Input: input, Dialect: d.String()}, true
}

// overlaps reports whether the span overlaps [start, end), or holds start
// when that range is empty.
func (sp Span) overlaps(start, end int) bool {
	return sp.Start < end && start < sp.End || end <= start && sp.Start <= start && start < sp.End
}

// inputIn returns the request input found in v over [start, end) (at start
// when the range is empty), or nil: the input an event names when the
// template, not the inputs, told the dynamic parts. It runs on the finding
// path only.
func inputIn(req *Request, v string, start, end int) *Input {
	var buf [maxSpans]Span
	var which [maxSpans]int
	n := inputSpans(req, v, &buf, &which)
	for i := 0; i < n; i++ {
		if buf[i].overlaps(start, end) {
			return &req.Inputs()[which[i]]
		}
	}
	return nil
}

// inputSpans finds req's significant inputs in v (see InputSpans); 0
// without a request.
func inputSpans(req *Request, v string, out *[maxSpans]Span, which *[maxSpans]int) int {
	if req == nil {
		return 0
	}
	inputs := req.Inputs()
	if len(inputs) == 0 {
		return 0
	}
	return InputSpans(v, inputs, out, which)
}

// Inputs are the spans of a value where a request's inputs were found.
type Inputs struct {
	req   *Request
	spans []Span
	which []int // which[i]: index in req.Inputs() of the input at spans[i]
}

// at returns the input whose span overlaps [start, end), or nil.
func (in *Inputs) at(start, end int) *Input {
	if in == nil {
		return nil
	}
	all := in.req.Inputs()
	for i, sp := range in.spans {
		if sp.overlaps(start, end) {
			return &all[in.which[i]]
		}
	}
	if len(in.spans) > 0 {
		return &all[in.which[0]]
	}
	return nil
}

// basicExec flags a shell script (sh -c) that chains or substitutes commands.
type basicExec struct{}

var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "ash": true}

func (basicExec) CheckCommand(_ *Site, _ int, argv []string, _ *Request) (Finding, bool) {
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

// basicPath judges a path whose origin is unknown (no template, no request
// input in it): only a NUL byte is a finding. A ".." or a sensitive file in
// a path held in a variable is as likely configuration as an attack, and
// the real-world suite showed libraries passing such paths (afero's tests).
type basicPath struct{}

func (basicPath) CheckPath(_ *Site, _ int, p string, _ *Request) (Finding, bool) {
	if strings.IndexByte(p, 0) >= 0 {
		return Finding{Rule: "path-nul-byte", Detail: "NUL byte in path"}, true
	}
	return Finding{}, false
}

// templateExec judges commands with package shell where the call site's
// template tells the dynamic parts of the argv, and with basicExec where it
// does not.
type templateExec struct{}

func (templateExec) CheckCommand(site *Site, off int, argv []string, req *Request) (Finding, bool) {
	var buf [maxSpans]Span
	if idx, isShell := shell.ShellScript(argv); isShell {
		if a := CurrentPolicy().ShellAllowlist(); a != nil && !a.Allowed(argv[idx]) {
			return Finding{Rule: shell.RuleShellNotAllowlisted, Detail: "the shell script is not in the policy's shell_commands", Start: 0, End: len(argv[idx])}, true
		}
		t := site.template(off + idx)
		n, ok := 0, false
		if t != nil && !t.Join {
			n, ok = t.textSpans(argv[idx], &buf) // !ok: the script does not fit its template
		}
		var in *Inputs
		if !ok {
			if f, ok := scriptInputFinding(req, argv[idx]); ok {
				return f, true
			}
			var which [maxSpans]int
			if n = inputSpans(req, argv[idx], &buf, &which); n == 0 {
				return basicExec{}.CheckCommand(site, off, argv, req)
			}
			in = &Inputs{req, buf[:n], which[:n]}
		}
		if n == 0 {
			return Finding{}, false // the programmer wrote the whole script
		}
		var sbuf [maxSpans]shell.Span
		for i := 0; i < n; i++ {
			sbuf[i] = shell.Span(buf[i])
		}
		if f, ok := shell.CheckScript(argv[idx], sbuf[:n]); ok {
			input := in.at(f.Start, f.End)
			if in == nil {
				input = inputIn(req, argv[idx], f.Start, f.End)
			}
			return Finding{Rule: f.Rule, Detail: "a dynamic part of the shell script is not confined to one word", Start: f.Start, End: f.End,
				Input: input}, true
		}
		if in != nil {
			return basicExec{}.CheckCommand(site, off, argv, req) // as for any script of unknown origin
		}
		return Finding{}, false
	}
	// Without a shell, only what the templates say is dynamic, or the
	// request's inputs, are judged.
	var dyn [][]shell.Span
	var fromInput []*Inputs
	for i, a := range argv {
		t := site.template(off + i)
		n, ok := 0, false
		if t != nil && !t.Join {
			n, ok = t.textSpans(a, &buf)
		}
		if !ok {
			var which [maxSpans]int
			n = inputSpans(req, a, &buf, &which)
			if i == 0 && n == 0 {
				if k := programInput(req, argv); k >= 0 {
					buf[0], which[0], n = Span{0, len(a)}, k, 1
				}
			}
			if n == 0 {
				continue
			}
			if fromInput == nil {
				fromInput = make([]*Inputs, len(argv))
			}
			fromInput[i] = &Inputs{req, append([]Span(nil), buf[:n]...), append([]int(nil), which[:n]...)}
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
	if f, ok := shell.CheckArgvValues(argv, dyn, nil, CurrentPolicy().OptionPrograms); ok {
		var input *Input
		if f.Arg < len(fromInput) && fromInput[f.Arg] != nil {
			input = fromInput[f.Arg].at(f.Start, f.End)
		} else if f.Arg < len(argv) {
			input = inputIn(req, argv[f.Arg], f.Start, f.End)
		}
		return Finding{Rule: f.Rule, Detail: "a dynamic part chose the program or an option", Start: f.Start, End: f.End, Input: input}, true
	}
	return Finding{}, false
}

// templatePath judges paths with package pathguard where the call site's
// template tells the dynamic parts, by the request's inputs where it does
// not (inputsPath), and with basicPath when neither tells.
type templatePath struct{}

func (templatePath) CheckPath(site *Site, arg int, p string, req *Request) (Finding, bool) {
	t := site.template(arg)
	bases := CurrentPolicy().PathBases()
	if t == nil {
		// No template: the request's inputs found in the path, or cleaned
		// into it, are its dynamic parts (see inputsPath).
		if f, found := inputsPath(req, p, bases); found {
			return f, true
		}
		return basicPath{}.CheckPath(site, arg, p, req)
	}
	var buf [maxSpans]Span
	var pbuf [maxSpans]pathguard.Span
	n, ok := t.textSpans(p, &buf) // a number cannot climb or choose a name
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
			if found && f.Rule == pathguard.RuleAbsolute {
				// filepath.Join("/", name): name chose the file if it came
				// from the request.
				in := inputAtStart(req, p, 1)
				if in == nil {
					return Finding{}, false
				}
				return Finding{Rule: f.Rule, Detail: "a request input chose the file under the root", Value: p, Start: f.Start, End: f.End, Input: in}, true
			}
		case p == prefix:
			return Finding{}, false
		case strings.HasPrefix(p, prefix+"/"):
			f, found = pathguard.Check(p, []pathguard.Span{{Start: len(prefix) + 1, End: len(p)}}, bases)
		default:
			return Finding{Rule: pathguard.RuleTraversal, Detail: "a dynamic part took the joined path out of " + prefix, Value: p}, true
		}
	case ok:
		f, found = pathguard.Check(p, pbuf[:n], bases)
		if found && f.Rule == pathguard.RuleAbsolute && !allDynamic(t) {
			// A variable starts the path (dir+"/uploads/"+name, path+".tmp"):
			// most often a configured directory. It chose the root only if a
			// request input is what starts the path.
			in := inputAtStart(req, p, 0)
			if in == nil {
				return Finding{}, false
			}
			return Finding{Rule: f.Rule, Detail: "a request input starts the path", Value: p, Start: f.Start, End: f.End, Input: in}, true
		}
	default:
		return basicPath{}.CheckPath(site, arg, p, req)
	}
	if !found {
		return Finding{}, false
	}
	return Finding{Rule: f.Rule, Detail: "a dynamic part of the path", Value: p, Start: f.Start, End: f.End,
		Input: inputIn(req, p, f.Start, f.End)}, true
}

// allDynamic reports whether the template has no static text: the whole
// value came from variables.
func allDynamic(t *Tmpl) bool {
	for _, s := range t.Segs {
		if s != "" {
			return false
		}
	}
	return true
}
