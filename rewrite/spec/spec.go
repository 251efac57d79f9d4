// Package spec reads sinks.yaml, the one declaration of what rasp-instrument
// instruments: each entry a join point (a call, a server start, the entry of
// a standard-library function, a standard-library struct or package) and
// one advice (reroute the call to a runtime hook, check it in place, wrap
// the server's handler, or patch the standard library). The file's header
// documents the format.
package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/token"
	"go/types"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
	"github.com/rasp-instrument/rasp-instrument/rewrite/patch"
)

// Families are the rule families of the spec's join points; server is the
// family of the calls that start an HTTP server.
var Families = []string{"sql", "exec", "file", "net", "server"}

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

// Join is the family of the propagate join points: path joins, whose
// results the file sinks judge.
const Join = "join"

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

// Patch is a patch of the standard library, with the entry that declared
// it.
type Patch struct {
	patch.Patch
	Family string // entry points: the family it judges; "" for the others
	Pos    string // file:line of the entry
}

// Spec is a parsed sinks.yaml.
type Spec struct {
	Calls   []*Call // call and server join points
	Patches []*Patch
	Exclude []string
	File    string // where the spec came from
	Hash    string // hex SHA-256 of its bytes
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

// Load returns the spec in force: the file named by path if not empty,
// else the file named by RASP_SINKS, else the spec built into the tool.
func Load(path string) (*Spec, error) {
	if path == "" {
		path = os.Getenv("RASP_SINKS")
	}
	if path == "" {
		return Parse(builtinName, raspinstrument.DefaultSinks)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the sink spec: %w", err)
	}
	return ParseUser(path, data)
}

// builtinName is how the built-in spec is named in messages and records.
const builtinName = "sinks.yaml (built in)"

// entry is one item of sinks: in the file.
type entry struct {
	Call      string `yaml:"call"`
	Server    string `yaml:"server"`
	Entry     string `yaml:"entry"`
	Struct    string `yaml:"struct"`
	Package   string `yaml:"package"`
	Family    string `yaml:"family"`
	Reroute   string `yaml:"reroute"`
	Check     string `yaml:"check"`
	Wrap      string `yaml:"wrap"`
	CoveredBy string `yaml:"covered_by"`
	Propagate string `yaml:"propagate"`
	Prologue  string `yaml:"prologue"`
	After     string `yaml:"after"`
	Fields    string `yaml:"fields"`
	Decls     string `yaml:"decls"`
	Optional  bool   `yaml:"optional"`
	Override  bool   `yaml:"override"`
}

const knownFields = "call, server, entry, struct, package, family, reroute, check, wrap, covered_by, propagate, prologue, after, fields, decls, optional, override"

type document struct {
	Sinks   []yaml.Node `yaml:"sinks"`
	Exclude []string    `yaml:"exclude"`
}

// Parse parses a spec. Errors name the file, the line and the field at
// fault.
func Parse(file string, data []byte) (*Spec, error) {
	s := &Spec{File: file, byKey: map[string]*Call{}}
	sum := sha256.Sum256(data)
	s.Hash = hex.EncodeToString(sum[:])

	var doc document
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s:%s", file, yamlMessage(err))
	}
	if len(doc.Sinks) == 0 {
		return nil, fmt.Errorf("%s:1: sinks: the spec lists no join points", file)
	}
	entries := map[string]string{} // entry join point -> position
	for i := range doc.Sinks {
		e, at, err := decodeEntry(file, &doc.Sinks[i])
		if err != nil {
			return nil, err
		}
		switch {
		case e.Call != "" || e.Server != "":
			err = s.addCall(&e, at)
		case e.Entry != "" || e.Struct != "" || e.Package != "":
			err = s.addPatch(&e, at, entries)
		default:
			err = fmt.Errorf("%s: the entry names no join point; give one of call, server, entry, struct, package", at(""))
		}
		if err != nil {
			return nil, err
		}
	}
	for _, c := range s.Calls {
		if c.override {
			return nil, fmt.Errorf("%s: override: only a user's spec (--sinks, RASP_SINKS) overrides a built-in join point", c.Pos)
		}
	}
	s.Complete = len(s.Patches) > 0
	if !s.Complete {
		// The standard library's join points are tied to the runtime built
		// into the tool: a spec that declares none has the built-in ones.
		builtin, err := Parse("sinks.yaml (built in)", raspinstrument.DefaultSinks)
		if err != nil {
			return nil, err
		}
		s.Patches = builtin.Patches
		for _, p := range s.Patches {
			if p.Func != "" {
				entries[p.Pkg+"."+p.Func] = p.Pos
			}
		}
	}
	s.Exclude = doc.Exclude
	return s.finish(entries)
}

// finish checks what the spec's entries say together and indexes its
// calls: every runtime declarations file added, every covered_by naming an
// entry of the spec; the markers a file must hold to reference a call.
func (s *Spec) finish(entries map[string]string) (*Spec, error) {
	file := s.File
	named := map[string]bool{}
	for _, p := range s.Patches {
		named[p.Decls] = true
	}
	for _, d := range patch.LinkedDecls() {
		if !named[d] {
			return nil, fmt.Errorf("%s:1: sinks: no entry adds the declarations %s, which the runtime needs; "+
				"declare the join points of the built-in spec that add it (rasp-instrument sinks lists them), or none of the built-in patches to have them all", file, d)
		}
	}
	for _, c := range s.Calls {
		if c.Advice == CoveredBy && entries[c.Entry] == "" {
			return nil, fmt.Errorf("%s: covered_by: %s is not an entry of this spec", c.Pos, c.Entry)
		}
	}
	index := map[string]int{}
	s.pkgs = map[string]bool{}
	spelled := map[string]bool{}
	for _, c := range s.Calls {
		s.pkgs[c.Package] = true
		if !spelled[c.Name] {
			spelled[c.Name] = true
			s.names = append(s.names, []byte("."+c.Name))
		}
	}
	for _, c := range s.Calls {
		if !c.Rewrites() {
			continue
		}
		m := "." + c.Name
		if c.Receiver == "" {
			m = `"` + c.Package + `"`
		}
		i, ok := index[m]
		if !ok {
			i = len(s.markers)
			index[m] = i
			s.markers = append(s.markers, marker{text: []byte(m)})
		}
		if c.Receiver != "" && !contains(s.markers[i].pkgs, c.Package) {
			s.markers[i].pkgs = append(s.markers[i].pkgs, c.Package)
		}
	}
	return s, nil
}

// decodeEntry decodes one item of sinks: and returns it with the function
// that names the position of one of its fields ("" for the item's own).
func decodeEntry(file string, n *yaml.Node) (entry, func(string) string, error) {
	var e entry
	if err := decodeStrict(n, &e); err != nil {
		return e, nil, fmt.Errorf("%s:%s", file, yamlMessage(err))
	}
	return e, func(field string) string { return fmt.Sprintf("%s:%d", file, fieldLine(n, field)) }, nil
}

// only returns an error naming the first field set among names, for a join
// point that takes none of them.
func only(at func(string) string, jp string, set map[string]bool, allowed ...string) error {
	for _, f := range strings.Split(knownFields, ", ") {
		if set[f] && !contains(allowed, f) {
			return fmt.Errorf("%s: %s: not an advice of a %s join point (it takes %s)", at(f), f, jp, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (e *entry) fieldsSet() map[string]bool {
	return map[string]bool{
		"call": e.Call != "", "server": e.Server != "", "entry": e.Entry != "", "struct": e.Struct != "", "package": e.Package != "",
		"family": e.Family != "", "reroute": e.Reroute != "", "check": e.Check != "", "wrap": e.Wrap != "",
		"covered_by": e.CoveredBy != "", "propagate": e.Propagate != "", "prologue": e.Prologue != "", "after": e.After != "", "fields": e.Fields != "",
		"decls": e.Decls != "", "optional": e.Optional, "override": e.Override,
	}
}

func (s *Spec) addCall(e *entry, at func(string) string) error {
	set := e.fieldsSet()
	delete(set, "override") // a call's or server's, whatever its advice
	c := &Call{Pos: at(""), override: e.Override}
	jp, fn := "call", e.Call
	if e.Server != "" {
		jp, fn = "server", e.Server
		if err := only(at, jp, set, "server", "wrap"); err != nil {
			return err
		}
		if e.Wrap == "" {
			return fmt.Errorf("%s: wrap: missing; name the hook that wraps the server's handler (e.g. httphook.ServerServe)", at("server"))
		}
		c.Family, c.Advice = "server", Wrap
		if err := c.setHook(e.Wrap); err != nil {
			return fmt.Errorf("%s: wrap: %v", at("wrap"), err)
		}
	} else if e.Propagate != "" {
		if err := only(at, jp, set, "call", "propagate"); err != nil {
			return err
		}
		c.Family, c.Advice = Join, Propagate
		if err := c.setHook(e.Propagate); err != nil {
			return fmt.Errorf("%s: propagate: %v", at("propagate"), err)
		}
	} else {
		if err := only(at, jp, set, "call", "family", "reroute", "check", "covered_by"); err != nil {
			return err
		}
		if !contains(Families[:4], e.Family) {
			return fmt.Errorf("%s: family: %q is not one of %s", at("family"), e.Family, strings.Join(Families[:4], ", "))
		}
		c.Family = e.Family
		advice := 0
		for _, f := range []string{"reroute", "check", "covered_by"} {
			if set[f] {
				advice++
			}
		}
		if advice != 1 {
			return fmt.Errorf("%s: a call takes exactly one advice: reroute, check or covered_by", at("call"))
		}
		switch {
		case e.Reroute != "":
			c.Advice = Reroute
			if err := c.setHook(e.Reroute); err != nil {
				return fmt.Errorf("%s: reroute: %v", at("reroute"), err)
			}
		case e.Check != "":
			if e.Family != "sql" {
				return fmt.Errorf("%s: check: in-place checks are for the sql family; %s calls need reroute", at("check"), e.Family)
			}
			if !checkDialects[e.Check] {
				return fmt.Errorf("%s: check: %q is not a SQL dialect (postgres, mysql, sqlite, sqlserver, generic)", at("check"), e.Check)
			}
			c.Advice, c.Dialect = Check, e.Check
		default:
			c.Advice, c.Entry = CoveredBy, e.CoveredBy
		}
	}
	var err error
	if c.Package, c.Receiver, c.Name, err = splitFunc(fn); err != nil {
		return fmt.Errorf("%s: %s: %v", at(jp), jp, err)
	}
	if prev := s.byKey[c.Key()]; prev != nil {
		return fmt.Errorf("%s: %s: %s is already listed at %s", at(jp), jp, c.Key(), prev.Pos)
	}
	s.byKey[c.Key()] = c
	s.Calls = append(s.Calls, c)
	return nil
}

// setHook reads "pkg.Name", pkg the name of a package under runtime/.
func (c *Call) setHook(h string) error {
	pkg, name, ok := strings.Cut(h, ".")
	if !ok || !token.IsIdentifier(pkg) || !token.IsExported(name) || !token.IsIdentifier(name) {
		return fmt.Errorf("%q is not a hook name (runtimepkg.Name: raspimpl.DBQuery, nethook.NetDial)", h)
	}
	if pkg == "rasp" {
		return fmt.Errorf("%q: package rasp holds no hooks (it is the API programs name); the hooks of the standard library's calls are in raspimpl: write raspimpl.%s", h, name)
	}
	c.Hook, c.HookPkg = name, raspinstrument.RuntimePath+"/"+pkg
	return nil
}

func (s *Spec) addPatch(e *entry, at func(string) string, entries map[string]string) error {
	set := e.fieldsSet()
	p := &Patch{Pos: at(""), Family: e.Family}
	p.Decls, p.Optional = e.Decls, e.Optional
	var jp string
	switch {
	case e.Entry != "":
		jp = "entry"
		if err := only(at, jp, set, "entry", "family", "prologue", "after", "decls", "optional"); err != nil {
			return err
		}
		if e.Family != "" && !contains(Families[:4], e.Family) {
			return fmt.Errorf("%s: family: %q is not one of %s", at("family"), e.Family, strings.Join(Families[:4], ", "))
		}
		if e.Prologue == "" {
			return fmt.Errorf("%s: prologue: missing; an entry adds a line of Go to the function", at("entry"))
		}
		pkg, recv, name, err := splitFunc(e.Entry)
		if err != nil {
			return fmt.Errorf("%s: entry: %v", at("entry"), err)
		}
		p.Pkg, p.Func = pkg, strings.TrimPrefix(funcKey("", recv, name), ".")
		p.Anchor, p.Insert = e.After, e.Prologue
		if prev := entries[e.Entry]; prev != "" {
			return fmt.Errorf("%s: entry: %s is already listed at %s", at("entry"), e.Entry, prev)
		}
		entries[e.Entry] = p.Pos
	case e.Struct != "":
		jp = "struct"
		if err := only(at, jp, set, "struct", "fields", "decls"); err != nil {
			return err
		}
		i := strings.LastIndexByte(e.Struct, '.')
		if i <= 0 || !token.IsIdentifier(e.Struct[i+1:]) || e.Fields == "" {
			return fmt.Errorf("%s: struct: %q with fields %q: name a type (pkg.Type) and the fields to add", at("struct"), e.Struct, e.Fields)
		}
		p.Pkg, p.Type, p.Insert = e.Struct[:i], e.Struct[i+1:], e.Fields
	default:
		jp = "package"
		if err := only(at, jp, set, "package", "decls"); err != nil {
			return err
		}
		if e.Decls == "" {
			return fmt.Errorf("%s: decls: missing; a package join point adds declarations", at("package"))
		}
		p.Pkg = e.Package
	}
	if strings.Contains(p.Insert, "\n") {
		return fmt.Errorf("%s: the inserted line has a line break; patches never shift the package's lines", at(""))
	}
	if p.Decls != "" {
		if _, err := patch.Decls(p.Decls); err != nil {
			return fmt.Errorf("%s: decls: %v", at("decls"), err)
		}
	}
	s.Patches = append(s.Patches, p)
	return nil
}

// splitFunc reads a function's full name: "os.Open", "net.(*Dialer).Dial",
// "example.com/x/v2.T.M".
func splitFunc(s string) (pkg, recv, name string, err error) {
	slash := strings.LastIndexByte(s, '/')
	dot := strings.IndexByte(s[slash+1:], '.')
	if dot < 0 {
		return "", "", "", fmt.Errorf("%q is not a function name (pkg.Func, pkg.(*T).Method or pkg.T.Method)", s)
	}
	pkg, rest := s[:slash+1+dot], s[slash+1+dot+1:]
	if r, n, ok := strings.Cut(rest, ")."); ok && strings.HasPrefix(r, "(*") {
		recv, name = "*"+r[2:], n
	} else if r, n, ok := strings.Cut(rest, "."); ok {
		recv, name = r, n
	} else {
		name = rest
	}
	if pkg == "" || !token.IsIdentifier(name) || recv != "" && !token.IsIdentifier(strings.TrimPrefix(recv, "*")) {
		return "", "", "", fmt.Errorf("%q is not a function name (pkg.Func, pkg.(*T).Method or pkg.T.Method)", s)
	}
	return pkg, recv, name, nil
}

func decodeStrict(n *yaml.Node, v any) error {
	// yaml.v3 applies KnownFields only through a Decoder; re-encode the node.
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		// Re-anchor the line numbers of the re-encoded node on the file.
		return lineShift{err: err, base: n.Line - 1}
	}
	return nil
}

// lineShift adds base to the "line N" that yaml.v3 puts in its messages.
type lineShift struct {
	err  error
	base int
}

func (l lineShift) Error() string {
	msg := yamlMessage(l.err)
	var line int
	if _, err := fmt.Sscanf(msg, "%d:", &line); err == nil {
		rest := msg[strings.IndexByte(msg, ':')+1:]
		return fmt.Sprintf("%d:%s", line+l.base, rest)
	}
	return msg
}

// yamlMessage turns "yaml: line 3: field x not found in type ..." into
// "3: x: unknown field ...".
func yamlMessage(err error) string {
	if ls, ok := err.(lineShift); ok {
		return ls.Error()
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	msg = strings.TrimPrefix(msg, "line ")
	if i := strings.Index(msg, "field "); i >= 0 && strings.Contains(msg, "not found in type") {
		name := strings.Fields(msg[i+len("field "):])[0]
		msg = msg[:i] + name + ": unknown field (known: " + knownFields + ")"
	}
	return msg
}

func fieldLine(n *yaml.Node, field string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == field {
			return n.Content[i].Line
		}
	}
	return n.Line
}

// checkDialects are the dialects an in-place check may name.
var checkDialects = map[string]bool{"postgres": true, "mysql": true, "sqlite": true, "sqlserver": true, "generic": true}
