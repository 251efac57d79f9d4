package spec

import (
	"bytes"
	"fmt"
	"go/types"
	"os"
	"sort"
	"strings"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
	"github.com/rasp-instrument/rasp-instrument/rewrite/patch"
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
)

// SinkFamilies are the rule families a call or an entry point judges:
// the runtime's (event.SinkFamilies).
var SinkFamilies = familyNames(event.SinkFamilies)

// Families are the families of the spec's call join points: SinkFamilies,
// then server, the family of the calls that start an HTTP server.
var Families = append(familyNames(event.SinkFamilies), string(event.FamilyServer))

func familyNames(fs []event.Family) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

// Advice kinds of a call join point.
const (
	Reroute   = "reroute"    // the call goes to Hook
	Check     = "check"      // the call is wrapped in the runtime's SQL check in Dialect
	Wrap      = "wrap"       // a server start goes to Hook, which wraps the handler
	CoveredBy = "covered_by" // nothing is rewritten: the entry point Entry judges it
	// Propagate: the call goes to Hook, which judges nothing and returns
	// the call's results, remembering what the sinks need to know of them
	// (a path that a join made climb). Its family is Join.
	Propagate = "propagate"
)

// The runtime's generic functions (package raspimpl) that the check advice
// wraps a call in, by the call's shape. Generated code names them; Verify
// checks that the runtime has them.
const (
	CheckedCall  = "CheckedSQL"      // func(context.Context, string, ...any) (R, error)
	CheckedRow   = "CheckedSQLRow"   // func(context.Context, string, ...any) R
	CheckedBatch = "CheckedSQLBatch" // func(context.Context, *Batch) R: the queries queued in a batch
	CheckedValue = "CheckedSQLFunc"  // a method value of the CheckedCall shape
)

// CheckHelpers lists the check advice's generic functions.
var CheckHelpers = []string{CheckedCall, CheckedRow, CheckedBatch, CheckedValue}

// Join is the family of the propagate join points: path joins, whose
// results the file sinks judge.
const Join = string(event.FamilyJoin)

// Call is a call join point: every call, function value or method
// expression of one function or method, in the packages the build
// compiles.
type Call struct {
	Package  string // import path of the function's package, e.g. "database/sql"
	Receiver string // receiver type for methods, e.g. "*DB"; empty for functions
	Name     string // function or method name
	Family   string // one of Families
	Advice   string // Reroute, Check, Wrap, CoveredBy or Propagate
	Hook     string // Reroute, Wrap, Propagate: the hook's name in HookPkg
	HookPkg  string // Reroute, Wrap, Propagate: import path of the runtime package that holds Hook
	Dialect  string // Check: the SQL dialect
	Entry    string // CoveredBy: the entry join point that judges the call
	Pos      string // file:line of the entry, for error messages

	override bool // a user's entry that replaces the built-in one (override: true)
}

// Key is the function's name as go/types spells a function's full name:
// "os/exec.Command", "database/sql.(*DB).Query".
func (c *Call) Key() string { return funcKey(c.Package, c.Receiver, c.Name) }

func funcKey(pkg, recv, name string) string {
	switch {
	case recv == "":
		return pkg + "." + name
	case strings.HasPrefix(recv, "*"):
		return pkg + ".(" + recv + ")." + name
	}
	return pkg + "." + recv + "." + name
}

// Rewrites reports whether the build changes the call's references.
func (c *Call) Rewrites() bool { return c.Advice != CoveredBy }

// Interface is an interface join point: a call of a method of an
// interface type whose method has a sink's shape (its name, and a result
// type of a sink's package). The build cannot tell what dynamic type is
// behind the call, so it rewrites nothing: the entry points of the family
// judge what the call reaches, and `diff` reports the call so.
type Interface struct {
	Method  string // the method's name, e.g. "QueryContext"
	Returns string // what its results, as go/types spells them, contain: "database/sql."
	Family  string // one of SinkFamilies
	Pos     string // file:line of the entry
}

// Key names the join point: "QueryContext returning database/sql.".
func (i *Interface) Key() string { return i.Method + " returning " + i.Returns }

// InterfaceFamily returns the family of the interface join point that fn,
// a method of an interface type, matches; "" when it matches none.
func (s *Spec) InterfaceFamily(fn *types.Func) string {
	sig, _ := fn.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil || !types.IsInterface(sig.Recv().Type()) {
		return ""
	}
	var results string
	for _, i := range s.Interfaces {
		if i.Method != fn.Name() {
			continue
		}
		if results == "" {
			results = types.TypeString(sig.Results(), nil)
		}
		if strings.Contains(results, i.Returns) {
			return i.Family
		}
	}
	return ""
}

// Patch is a patch of the standard library, with the entry that declared
// it.
type Patch struct {
	patch.Patch
	Family string // entry points: the family it judges; "" for the others
	Pos    string // file:line of the entry
}

// ID names the patch by its join point, which no other patch of the spec
// has: "entry database/sql.(*DB).QueryContext", "struct runtime.g",
// "package internal/runtime/exithook". Listings, goldens and messages
// name a patch so.
func (p *Patch) ID() string {
	switch {
	case p.Type != "":
		return "struct " + p.Patch.String()
	case p.Func != "":
		return "entry " + p.Patch.String()
	}
	return "package " + p.Patch.String()
}

// Spec is a parsed sinks.yaml.
type Spec struct {
	Calls      []*Call // call and server join points
	Interfaces []*Interface
	Patches    []*Patch
	Exclude    []string
	File       string // where the spec came from
	Hash       string // hex SHA-256 of its bytes
	// Complete tells that the spec declares the standard library's join
	// points itself, as the built-in one does; a spec that declares none
	// has the built-in ones, and may leave hooks of the runtime unused.
	Complete bool
	// Disabled are the built-in call join points a user's spec removed on
	// purpose (its disable: list), as keys ("os/exec.Command").
	Disabled []string

	byKey   map[string]*Call
	markers []marker
	names   [][]byte        // ".Name" of every call
	pkgs    map[string]bool // the packages of the calls
}

// A marker is a byte string that a file must contain to reference a
// rewritten call: the quoted import path of a function's package, or
// ".Name" for a method, with the packages of the methods of that name.
type marker struct {
	text []byte
	pkgs []string
}

// Lookup returns the call join point of a function (see Call.Key and
// KeyOf), or nil.
func (s *Spec) Lookup(key string) *Call { return s.byKey[key] }

// KeyOf names fn the way the spec does: "os/exec.Command",
// "database/sql.(*DB).Query", "example.com/p.T.Method".
func KeyOf(fn *types.Func) string {
	if fn.Pkg() == nil {
		return fn.Name()
	}
	sig, _ := fn.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return fn.Pkg().Path() + "." + fn.Name()
	}
	t := sig.Recv().Type()
	recv := ""
	if p, ok := t.(*types.Pointer); ok {
		t, recv = p.Elem(), "*"
	}
	switch t := t.(type) {
	case *types.Named:
		recv += t.Obj().Name()
	case *types.Alias:
		recv += t.Obj().Name()
	default:
		return fn.FullName() // interface methods: never a join point of the spec's shape
	}
	return funcKey(fn.Pkg().Path(), recv, fn.Name())
}

// Mentions is the cheap test, before type-checking, of whether a file may
// reference a rewritten call. A function is referenced only through its
// package's import path (direct); a method only by ".Name" followed by
// something that ends the name, and methodPkgs are the packages of the
// methods the file spells.
func (s *Spec) Mentions(src []byte) (direct bool, methodPkgs []string) {
	for _, m := range s.markers {
		if !markerIn(src, m.text) {
			continue
		}
		if m.text[0] == '"' {
			return true, nil
		}
		methodPkgs = append(methodPkgs, m.pkgs...)
	}
	return false, methodPkgs
}

// SpellsCall reports whether src spells a selector ".Name" with the name
// of one of the spec's calls: code that does not cannot reference one,
// but through a dot import or inside the call's own package.
func (s *Spec) SpellsCall(src []byte) bool {
	for _, n := range s.names {
		if markerIn(src, n) {
			return true
		}
	}
	return false
}

// DeclaresCalls reports whether the package with this import path declares
// one of the spec's calls.
func (s *Spec) DeclaresCalls(importPath string) bool { return s.pkgs[importPath] }

// markerIn reports whether src contains marker m: a quoted import path as
// is, or ".Name" not followed by more of an identifier.
func markerIn(src, m []byte) bool {
	if m[0] == '"' {
		return bytes.Contains(src, m)
	}
	for rest := src; ; {
		i := bytes.Index(rest, m)
		if i < 0 {
			return false
		}
		end := i + len(m)
		if end >= len(rest) || !isIdentByte(rest[end]) {
			return true
		}
		rest = rest[end:]
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}

// Excluded reports whether the package with this import path is excluded
// from instrumentation.
func (s *Spec) Excluded(importPath string) bool {
	for _, p := range s.Exclude {
		if p == importPath {
			return true
		}
		if sub, ok := strings.CutSuffix(p, "/..."); ok && (importPath == sub || strings.HasPrefix(importPath, sub+"/")) {
			return true
		}
	}
	return false
}

// PatchesFor returns the patches of a standard library package.
func (s *Spec) PatchesFor(pkg string) []patch.Patch {
	var out []patch.Patch
	for _, p := range s.Patches {
		if p.Pkg == pkg {
			out = append(out, p.Patch)
		}
	}
	return out
}

// EntrySummary names the entry points that judge a family (every family
// when family is ""), by package when a package has more than three:
// "database/sql (9 functions), os.OpenFile".
func (s *Spec) EntrySummary(family string) string {
	var order []string
	byPkg := map[string][]string{}
	for _, p := range s.Patches {
		if p.Family == "" || family != "" && p.Family != family {
			continue
		}
		if byPkg[p.Pkg] == nil {
			order = append(order, p.Pkg)
		}
		byPkg[p.Pkg] = append(byPkg[p.Pkg], p.Pkg+"."+p.Func)
	}
	var parts []string
	for _, pkg := range order {
		if fns := byPkg[pkg]; len(fns) <= 3 {
			parts = append(parts, fns...)
		} else {
			parts = append(parts, fmt.Sprintf("%s (%d functions)", pkg, len(fns)))
		}
	}
	return strings.Join(parts, ", ")
}

// HookPackages returns the import paths of the runtime packages that hold
// the spec's hooks.
func (s *Spec) HookPackages() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range s.Calls {
		if c.HookPkg != "" && !seen[c.HookPkg] {
			seen[c.HookPkg] = true
			out = append(out, c.HookPkg)
		}
	}
	sort.Strings(out)
	return out
}

// Builtin returns the spec built into the tool (the repository's
// sinks.yaml), parsed anew: a caller may change it.
func Builtin() (*Spec, error) { return Parse(builtinName, raspinstrument.DefaultSinks) }

// Load returns the spec in force: the file named by path if not empty,
// else the file named by RASP_SINKS, else the spec built into the tool.
func Load(path string) (*Spec, error) {
	if path == "" {
		path = os.Getenv("RASP_SINKS")
	}
	if path == "" {
		return Builtin()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the sink spec: %w", err)
	}
	return ParseUser(path, data)
}
