package detect

import (
	"path/filepath"
	"runtime"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/literal"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/pathjoin"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/span"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
	"github.com/rasp-instrument/rasp-instrument/runtime/shell"
	"github.com/rasp-instrument/rasp-instrument/runtime/sqli"
)

// SQLDetector judges a SQL query about to be sent to a database. dialect is
// the SQL dialect of the driver in use, when the hook can tell it.
type SQLDetector interface {
	CheckSQL(site *callsite.Site, arg int, query string, dialect sqli.Dialect, req *reqctx.Request) (Finding, bool)
}

// CommandDetector judges the argv of a command about to be built or
// started; argv[i] is the sink's parameter argOffset+i, when it came as one.
type CommandDetector interface {
	CheckCommand(site *callsite.Site, argOffset int, argv []string, req *reqctx.Request) (Finding, bool)
}

// PathDetector judges a file path about to be opened, created or changed.
type PathDetector interface {
	CheckPath(site *callsite.Site, arg int, path string, req *reqctx.Request) (Finding, bool)
}

// Finding is what a detector reports about one call.
type Finding = judge.Finding

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
// For tests, those of other packages too (so it stays exported).
func DefaultDetectors() Detectors {
	return Detectors{SQL: structuralSQL{}, Exec: templateExec{}, File: templatePath{}}
}

// SetDetectors replaces the detectors; nil fields keep the current ones. It
// is meant for tests and start-up, before sinks are called concurrently;
// only tests call it, those of other packages too (so it stays exported).
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

// CheckSQL judges a query with the SQL detector in force.
func CheckSQL(site *callsite.Site, arg int, query string, dialect sqli.Dialect, req *reqctx.Request) (Finding, bool) {
	return detectors.SQL.CheckSQL(site, arg, query, dialect, req)
}

// CheckCommand judges an argv with the command detector in force.
func CheckCommand(site *callsite.Site, argOffset int, argv []string, req *reqctx.Request) (Finding, bool) {
	return detectors.Exec.CheckCommand(site, argOffset, argv, req)
}

// CheckPath judges a path with the path detector in force.
func CheckPath(site *callsite.Site, arg int, path string, req *reqctx.Request) (Finding, bool) {
	return detectors.File.CheckPath(site, arg, path, req)
}

// structuralSQL judges a query by its structure with the context-free rules
// of package sqli: tautologies, UNION SELECT after a complete statement,
// stacked statements, truncating comments, time probes, file access and
// error-based extractors. Parameterised queries take sqli's fast path.
type structuralSQL struct{}

func (structuralSQL) CheckSQL(site *callsite.Site, arg int, q string, d sqli.Dialect, req *reqctx.Request) (Finding, bool) {
	return SQLFinding(site, arg, q, d, req, false)
}

// dynamicParts are the dynamic parts of a value judged at a call site, and
// where they came from. It is the one place that decides between the
// build's template and the request's inputs: every detector adapter, and
// every entry point, finds the parts with find, runs its detector on them,
// and names the input of a finding with input.
type dynamicParts struct {
	req        *reqctx.Request
	n          int
	spans      [taint.MaxSpans]span.Span
	which      [taint.MaxSpans]int // from inputs: which[i] indexes req.Inputs() for spans[i]
	fromInputs bool                // the spans are the request's inputs, not a template's holes
}

// find fills the parts of v, the sink's parameter arg at site: the
// template's holes that can carry text (a number cannot change a query,
// choose an option or climb a directory), where the build knew how v was
// built, not by a path join, and v fits the template; else the request's
// inputs found in v (InputSpans). A v that is one of the program's string
// constants (package literal) has no dynamic part, whatever the template.
// It reports whether either told: false when there is no usable template,
// v is not a constant and no input is in v.
func (p *dynamicParts) find(site *callsite.Site, arg int, v string, req *reqctx.Request) (known bool) {
	p.req = req
	if t := site.Template(arg); t != nil && !t.Join {
		if n, ok := t.TextSpans(v, &p.spans); ok {
			p.n, p.fromInputs = n, false
			return true // none: the programmer wrote all of v
		}
	}
	if literal.Is(v) {
		p.n, p.fromInputs = 0, false
		return true // a string constant of the program: it wrote all of v
	}
	p.n, p.fromInputs = requestInputSpans(req, v, &p.spans, &p.which), true
	return p.n > 0
}

// dynamic returns the dynamic parts: empty, not nil, when the template
// says v is all static.
func (p *dynamicParts) dynamic() []span.Span { return p.spans[:p.n] }

// input returns the request input that a finding over [start, end) of v
// names: the input found there (the first found, if none overlaps) when the
// parts are inputs, else the input found in v over that range, if any.
func (p *dynamicParts) input(v string, start, end int) *taint.Input {
	if !p.fromInputs {
		return inputIn(p.req, v, start, end)
	}
	if p.n == 0 {
		return nil
	}
	all := p.req.Inputs()
	for i, sp := range p.spans[:p.n] {
		if sp.Overlaps(start, end) {
			return &all[p.which[i]]
		}
	}
	return &all[p.which[0]]
}

// SQLFinding judges query q, parameter arg at site, in dialect d. With
// inputsOnly (an entry point, which has no template), a query in which no
// request input occurs is not judged; otherwise such a query, and one whose
// inputs the rules found nothing in, is judged as of unknown origin by the
// context-free rules.
func SQLFinding(site *callsite.Site, arg int, q string, d sqli.Dialect, req *reqctx.Request, inputsOnly bool) (Finding, bool) {
	var p dynamicParts
	known := p.find(site, arg, q, req)
	if !known && inputsOnly {
		return Finding{}, false
	}
	var dyn []span.Span // nil: origin unknown, the context-free rules run
	if known {
		dyn = p.dynamic()
	}
	f, ok := sqli.Check(q, dyn, d)
	if !ok && known && p.fromInputs && !inputsOnly {
		f, ok = sqli.Check(q, nil, d) // as for any query of unknown origin
		p.fromInputs, p.n = false, 0
	}
	if !ok {
		return Finding{}, false
	}
	return Finding{Rule: f.Rule, Detail: "offending token: " + sqli.Redact(q[f.Start:f.End], d), Value: sqli.Redact(q, d),
		Start: f.Start, End: f.End, Input: p.input(q, f.Start, f.End), Dialect: d.String()}, true
}

// inputIn returns the request input found in v over [start, end) (at start
// when the range is empty), or nil: the input an event names when the
// template, not the inputs, told the dynamic parts. It runs on the finding
// path only.
func inputIn(req *reqctx.Request, v string, start, end int) *taint.Input {
	var buf [taint.MaxSpans]span.Span
	var which [taint.MaxSpans]int
	n := requestInputSpans(req, v, &buf, &which)
	for i := 0; i < n; i++ {
		if buf[i].Overlaps(start, end) {
			return &req.Inputs()[which[i]]
		}
	}
	return nil
}

// requestInputSpans finds req's significant inputs in v (see InputSpans); 0
// without a request.
func requestInputSpans(req *reqctx.Request, v string, out *[taint.MaxSpans]span.Span, which *[taint.MaxSpans]int) int {
	if req == nil {
		return 0
	}
	inputs := req.Inputs()
	if len(inputs) == 0 {
		return 0
	}
	return taint.InputSpans(v, inputs, out, which)
}

// basicExec flags a shell script (sh -c) that chains or substitutes commands.
type basicExec struct{}

var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "ash": true}

func (basicExec) CheckCommand(_ *callsite.Site, _ int, argv []string, _ *reqctx.Request) (Finding, bool) {
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

func (basicPath) CheckPath(_ *callsite.Site, _ int, p string, _ *reqctx.Request) (Finding, bool) {
	if strings.IndexByte(p, 0) >= 0 {
		return Finding{Rule: pathguard.RuleNulByte, Detail: "NUL byte in path"}, true
	}
	return Finding{}, false
}

// templateExec judges commands with package shell where the call site's
// template tells the dynamic parts of the argv, and with basicExec where it
// does not.
type templateExec struct{}

func (templateExec) CheckCommand(site *callsite.Site, off int, argv []string, req *reqctx.Request) (Finding, bool) {
	return CommandFinding(site, off, argv, req, false)
}

// CommandFinding judges argv, whose argv[i] is the sink's parameter off+i,
// with package shell on its dynamic parts (dynamicParts). At a call site
// (not inputsOnly) a shell script outside the policy's shell allowlist is
// a finding, and a script whose origin is unknown, or whose inputs the
// rules found nothing in, is judged by basicExec. An entry point
// (inputsOnly) judges only what the request's inputs prove dynamic.
//
// Whatever the request, an argument the program did not write that the
// program run parses as a dangerous option (storedOptionFinding), and a
// URL handed to a program that fetches it (childURLFinding), are judged
// too; and so are a shell that a request input chose, and a path in the
// argv that a request input made climb out of its directory
// (commandPathFinding).
func CommandFinding(site *callsite.Site, off int, argv []string, req *reqctx.Request, inputsOnly bool) (Finding, bool) {
	idx, isShell := shell.ShellScript(argv)
	if f, ok := argvFinding(site, off, argv, req, inputsOnly, idx, isShell); ok {
		return f, true
	}
	if isShell {
		if f, ok := chosenProgramFinding(site, off, argv, req); ok {
			return f, true
		}
	}
	if f, ok := storedOptionFinding(site, off, argv, req); ok {
		return f, true
	}
	if f, ok := commandPathFinding(argv, req); ok {
		return f, true
	}
	return childURLFinding(argv, req)
}

// argvFinding is CommandFinding's judgement of the dynamic parts; when
// isShell, argv[idx] is the script a shell runs (shell.ShellScript).
func argvFinding(site *callsite.Site, off int, argv []string, req *reqctx.Request, inputsOnly bool, idx int, isShell bool) (Finding, bool) {
	unknown := func() (Finding, bool) {
		if inputsOnly {
			return Finding{}, false
		}
		return basicExec{}.CheckCommand(site, off, argv, req)
	}
	if isShell {
		script := argv[idx]
		if a := judge.CurrentPolicy().ShellAllowlist(); !inputsOnly && a != nil && !a.Allowed(script) {
			return Finding{Rule: shell.RuleShellNotAllowlisted, Detail: "the shell script is not in the policy's shell_commands", Start: 0, End: len(script)}, true
		}
		var p dynamicParts
		p.find(site, off+idx, script, req)
		if p.fromInputs { // the script does not fit a template, or has none
			if f, ok := scriptInputFinding(req, script); ok {
				return f, true
			}
			if p.n == 0 {
				return unknown()
			}
		}
		if p.n == 0 {
			return Finding{}, false // the programmer wrote the whole script
		}
		if f, ok := shell.CheckScript(script, p.dynamic()); ok {
			detail := "a dynamic part of the shell script is not confined to one word"
			if inputsOnly {
				detail = "a request input in the shell script is not confined to one word"
			}
			return Finding{Rule: f.Rule, Detail: detail, Start: f.Start, End: f.End, Input: p.input(script, f.Start, f.End)}, true
		}
		if p.fromInputs {
			return unknown() // as for any script of unknown origin
		}
		return Finding{}, false
	}
	// Without a shell, only what the templates say is dynamic, or the
	// request's inputs, are judged.
	var dyn [][]span.Span
	var parts []*dynamicParts // parts[i]: argv[i]'s, when it has any
	for i, a := range argv {
		var p dynamicParts
		p.find(site, off+i, a, req)
		if p.fromInputs && i == 0 && p.n == 0 {
			if k := programInput(req, argv); k >= 0 {
				p.spans[0], p.which[0], p.n = span.Span{Start: 0, End: len(a)}, k, 1
			}
		}
		if p.n == 0 {
			continue // static (a template or a constant says so), or no input in it
		}
		if dyn == nil {
			dyn, parts = make([][]span.Span, len(argv)), make([]*dynamicParts, len(argv))
		}
		if p.n > 0 {
			dyn[i] = append([]span.Span(nil), p.dynamic()...)
			cp := p // a copy, so that p stays on the stack on the clean path
			parts[i] = &cp
		}
	}
	if dyn == nil {
		return Finding{}, false
	}
	f, ok := shell.CheckArgvValues(argv, dyn, nil, judge.CurrentPolicy().OptionPrograms)
	if !ok {
		return Finding{}, false
	}
	var input *taint.Input
	if f.Arg < len(parts) && parts[f.Arg] != nil {
		input = parts[f.Arg].input(argv[f.Arg], f.Start, f.End)
	} else if f.Arg < len(argv) {
		input = inputIn(req, argv[f.Arg], f.Start, f.End)
	}
	detail := "a dynamic part chose the program or an option"
	if inputsOnly {
		detail = "a request input chose the program or an option"
	}
	return Finding{Rule: f.Rule, Detail: detail, Start: f.Start, End: f.End, Input: input}, true
}

// templatePath judges paths with package pathguard where the call site's
// template tells the dynamic parts, by the request's inputs where it does
// not (PathInputFinding), and with basicPath when neither tells. A
// path-nul-byte finding outside a request is dropped: no input can be in
// the path, and the call fails with the operating system's error on its
// own (a library's test feeding a NUL path to check that error). A
// path that none of these explains but that a join made climb is a
// traversal (JoinFinding).
type templatePath struct{}

func (templatePath) CheckPath(site *callsite.Site, arg int, p string, req *reqctx.Request) (Finding, bool) {
	f, found := templatePathFinding(site, arg, p, req)
	if found && req == nil && f.Rule == pathguard.RuleNulByte {
		return Finding{}, false
	}
	if !found {
		return JoinFinding(p, req)
	}
	return f, found
}

// JoinFinding reports a path-traversal when p is the result of a
// filepath.Join or path.Join (or a directory of it, still outside) in
// which a dynamic element climbed above the elements joined before it:
// the ".." is cleaned away, and whatever its source (an archive's entry
// name, a file, a database, a request) it left the directory the program
// joined it under. See package pathjoin. Within a request, the input that
// is the element that climbed (an archive's entry name, a parameter) is
// named.
func JoinFinding(p string, req *reqctx.Request) (Finding, bool) {
	elem, found := pathjoin.Lookup(p)
	if !found {
		return Finding{}, false
	}
	if req != nil {
		inputs := req.Inputs()
		for i := range inputs {
			if inputs[i].Value == elem {
				return Finding{Rule: pathguard.RuleTraversal, Detail: "a request input climbed out of its directory with ..", Value: p, Input: &inputs[i]}, true
			}
		}
	}
	return Finding{Rule: pathguard.RuleTraversal, Detail: "a part joined to the path climbed above the part before it", Value: p}, true
}

func templatePathFinding(site *callsite.Site, arg int, p string, req *reqctx.Request) (Finding, bool) {
	t := site.Template(arg)
	bases := judge.CurrentPolicy().PathBases()
	nf := noFollow(site, arg)
	if t == nil {
		// No template: the request's inputs found in the path, or cleaned
		// into it, are its dynamic parts (see PathInputFinding).
		if f, found := pathInputFindingOS(req, p, bases, runtime.GOOS, nf); found {
			return f, true
		}
		return basicPath{}.CheckPath(site, arg, p, req)
	}
	var buf [taint.MaxSpans]span.Span
	n, ok := t.TextSpans(p, &buf) // a number cannot climb or choose a name
	var f pathguard.Finding
	var found bool
	switch {
	case t.Join && len(t.Segs) > 1:
		// Join cleaned the result, so a dynamic ".." is gone from it: a
		// result outside the prefix written at the call site is the proof.
		prefix := strings.TrimSuffix(t.Segs[0], "/")
		switch {
		case prefix == "" || prefix == ".":
			// filepath.Join(dir, name) with dir a variable: where the
			// request's inputs are in the path, they are its dynamic part
			// and what precedes them the directory written before it.
			if f, found := pathInputFindingOS(req, p, bases, runtime.GOOS, nf); found {
				return f, true
			}
			f, found = checkPath(p, []span.Span{{Start: 0, End: len(p)}}, bases, nf)
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
			f, found = checkPath(p, []span.Span{{Start: len(prefix) + 1, End: len(p)}}, bases, nf)
		default:
			return Finding{Rule: pathguard.RuleTraversal, Detail: "a dynamic part took the joined path out of " + prefix, Value: p}, true
		}
	case ok:
		f, found = checkPath(p, buf[:n], bases, nf)
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
	return Finding{Rule: f.Rule, Detail: pathDetail(f.Rule, "a dynamic part of the path"), Value: p, Start: f.Start, End: f.End,
		Input: inputIn(req, p, f.Start, f.End)}, true
}

// allDynamic reports whether the template has no static text: the whole
// value came from variables.
func allDynamic(t *taint.Tmpl) bool {
	for _, s := range t.Segs {
		if s != "" {
			return false
		}
	}
	return true
}
