package callsite

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strconv"

	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

// runtimeAlias is the name under which rewritten files import the runtime.
const runtimeAlias = "__rasp"

// Mechanisms by which a sink call site is covered.
const (
	MechanismCall   = "call"   // the call was rerouted to the hook
	MechanismValue  = "value"  // a function or method value was replaced by a closure over the hook
	MechanismNone   = "none"   // not covered; Reason says why
	MechanismMethod = "method" // a method expression was replaced by a closure over the hook
	// MechanismEntry: a call through an interface whose implementations
	// reach a sink; the standard library's entry point (see StdPatch)
	// judges it with the request's inputs, without the call site's
	// templates.
	MechanismEntry = "entry"
)

// SiteReport describes one reference to a sink in a package.
type SiteReport struct {
	File      string `json:"file"` // as positions report it (after //line)
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	Sink      string `json:"sink"`
	Family    string `json:"family"`
	Hook      string `json:"hook,omitempty"`
	Mechanism string `json:"mechanism"`
	Reason    string `json:"reason,omitempty"`
	// Templates describe how the judged arguments were built, e.g.
	// "SELECT * FROM t WHERE name='{dyn}'"; "{opaque}" where the build cannot
	// tell (a parameter, a field, a function result).
	Templates []string `json:"templates,omitempty"`
	// Dynamic tells that a judged argument of a rewritten call is built,
	// at least in part, from values the programmer did not write there: a
	// reason to parameterise it, and what the runtime judges.
	Dynamic bool `json:"dynamic,omitempty"`
}

// FileResult is the outcome of rewriting one file.
type FileResult struct {
	Path    string       // path the file was read from
	Src     []byte       // original content
	Out     []byte       // rewritten content; nil when the file has no sink
	Imports []string     // import paths the rewritten file adds, besides the runtime
	Sites   []SiteReport // every sink reference in the file
}

// Package is a type-checked package ready to rewrite.
type Package struct {
	Path  string // import path
	Fset  *token.FileSet
	Files []*ast.File
	Srcs  [][]byte // content of each file, same order as Files
	Names []string // path of each file
	Info  *types.Info
	Types *types.Package // may be nil (diff does not need it)
}

// NewInfo returns a types.Info with the maps that Rewrite reads, for the
// type-checking of a Package.
func NewInfo() *types.Info {
	return &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Uses:       map[*ast.Ident]types.Object{},
		Defs:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
	}
}

// Rewrite reroutes every reference to a sink of t in pkg. It returns one
// result per file; files without sinks have a nil Out.
func Rewrite(pkg *Package, sp *spec.Spec, runtimePath string) ([]FileResult, error) {
	results := make([]FileResult, len(pkg.Files))
	seq := 0
	for i, f := range pkg.Files {
		r := &results[i]
		r.Path, r.Src = pkg.Names[i], pkg.Srcs[i]
		if direct, methods := sp.Mentions(r.Src); !direct && len(methods) == 0 {
			continue
		}
		fr := &fileRewriter{pkg: pkg, spec: sp, file: f, src: r.Src, seq: &seq, aliases: map[string]string{}, runtimePath: runtimePath}
		fr.run()
		r.Sites = fr.sites
		if len(fr.edits) == 0 {
			continue
		}
		out, err := fr.output(runtimePath)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Path, err)
		}
		r.Out = out
		for p := range fr.aliases {
			r.Imports = append(r.Imports, p)
		}
		for p := range fr.hooks {
			r.Imports = append(r.Imports, p)
		}
		sort.Strings(r.Imports)
	}
	return results, nil
}

type edit struct {
	start, end int // byte offsets in the original file
	text       string
	seq        int // order of discovery: outer calls come first
}

type fileRewriter struct {
	pkg         *Package
	spec        *spec.Spec
	runtimePath string
	file        *ast.File
	src         []byte
	tf          *token.File
	seq         *int
	edits       []edit
	sites       []SiteReport
	decls       []string          // site variable declarations
	keep        map[string]bool   // "pkg.Func" references kept alive so imports stay used
	aliases     map[string]string // import path -> alias, for types named in closures
	bodies      []*ast.BlockStmt  // function bodies of the file, for template inference
	hooks       map[string]string // hook package import path -> alias, besides the runtime's
}

func (fr *fileRewriter) off(p token.Pos) int { return fr.tf.Offset(p) }

func (fr *fileRewriter) text(from, to token.Pos) string {
	return string(fr.src[fr.off(from):fr.off(to)])
}

func (fr *fileRewriter) add(from, to token.Pos, text string) {
	fr.edits = append(fr.edits, edit{start: fr.off(from), end: fr.off(to), text: text, seq: len(fr.edits)})
}

func (fr *fileRewriter) run() {
	fr.tf = fr.pkg.Fset.File(fr.file.Pos())
	ast.Inspect(fr.file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Body != nil {
				fr.bodies = append(fr.bodies, n.Body)
			}
		case *ast.FuncLit:
			fr.bodies = append(fr.bodies, n.Body)
		}
		return true
	})
	handled := map[ast.Expr]bool{}
	ast.Inspect(fr.file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			fun := ast.Unparen(n.Fun)
			fn, sel, kind := fr.resolve(fun)
			if fn == nil {
				return true
			}
			s := fr.spec.Lookup(spec.KeyOf(fn))
			if s == nil || !s.Rewrites() {
				fr.coveredByEntry(n.Lparen, fn, s)
				return true
			}
			markHandled(handled, fun)
			if kind == types.MethodExpr {
				return true // a call of a method expression: rewritten as a value below
			}
			if s.Advice == spec.Propagate && fr.constantAfterFirst(n) {
				return true // filepath.Join(dir, "..", "x"): nothing dynamic to remember
			}
			if err := fr.rewriteCall(n, fun, sel, fn, s); err != nil {
				fr.notCovered(n.Lparen, s, err)
			}
		case *ast.SelectorExpr, *ast.Ident:
			e := n.(ast.Expr)
			if handled[e] {
				return true
			}
			fn, sel, kind := fr.resolve(e)
			if fn == nil {
				return true
			}
			s := fr.spec.Lookup(spec.KeyOf(fn))
			if s == nil || !s.Rewrites() {
				return true
			}
			markHandled(handled, e)
			if err := fr.rewriteValue(e, sel, kind, fn, s); err != nil {
				fr.notCovered(e.Pos(), s, err)
			}
			return true // the receiver may hold sink calls of its own
		}
		return true
	})
}

// markHandled records that e, and the name it selects, are rewritten.
func markHandled(handled map[ast.Expr]bool, e ast.Expr) {
	handled[e] = true
	if sel, ok := e.(*ast.SelectorExpr); ok {
		handled[sel.Sel] = true
	}
}

// resolve returns the function that e denotes, if e names a function or a
// method through a selector or an identifier.
func (fr *fileRewriter) resolve(e ast.Expr) (*types.Func, *types.Selection, types.SelectionKind) {
	info := fr.pkg.Info
	switch e := e.(type) {
	case *ast.SelectorExpr:
		if sel := info.Selections[e]; sel != nil {
			fn, _ := sel.Obj().(*types.Func)
			return fn, sel, sel.Kind()
		}
		fn, _ := info.Uses[e.Sel].(*types.Func) // package-qualified function
		return fn, nil, types.FieldVal
	case *ast.Ident:
		fn, _ := info.Uses[e].(*types.Func) // dot-imported function
		if fn != nil && fn.Type().(*types.Signature).Recv() != nil {
			return nil, nil, 0
		}
		return fn, nil, types.FieldVal
	}
	return nil, nil, 0
}

func (fr *fileRewriter) newSite(pos token.Pos, s *spec.Call, mechanism string, static bool, tmpls []argTemplate) string {
	p := fr.pkg.Fset.Position(pos)
	name := fmt.Sprintf("__rasp_site_%d", *fr.seq)
	*fr.seq++
	var targs, shown []string
	for _, t := range tmpls {
		shown = append(shown, t.String())
		if !t.Known {
			continue
		}
		a := fmt.Sprintf("%s.T(%d, %t", runtimeAlias, t.Arg, t.Join)
		if m := t.numMask(); m != 0 {
			a = fmt.Sprintf("%s.Tn(%d, %t, %#x", runtimeAlias, t.Arg, t.Join, m)
		}
		for _, seg := range t.Segs {
			a += ", " + strconv.Quote(seg)
		}
		targs = append(targs, a+")")
	}
	decl := fmt.Sprintf("var %s = %s.NewSite(%s, %s, %d, %d, %s, %s, %t",
		name, runtimeAlias, strconv.Quote(fr.pkg.Path), strconv.Quote(filepath.Base(p.Filename)),
		p.Line, p.Column, strconv.Quote(s.Key()), strconv.Quote(s.Family), static)
	for _, a := range targs {
		decl += ", " + a
	}
	fr.decls = append(fr.decls, decl+")")
	fr.sites = append(fr.sites, SiteReport{File: p.Filename, Line: p.Line, Column: p.Column,
		Sink: s.Key(), Family: s.Family, Hook: s.Hook, Mechanism: mechanism, Templates: shown,
		Dynamic: mechanism == MechanismCall && !static && len(shown) > 0})
	return name
}

// judgedParam reports whether the sink's parameter that argument i goes to
// holds a string a detector judges: its type (or, for the variadic
// parameter, its element type) is a string type. A string passed as any (a
// SQL bind argument) is data the driver sends apart, never judged.
func judgedParam(fn *types.Func, i int) bool {
	sig, _ := fn.Type().(*types.Signature)
	if sig == nil || sig.Params().Len() == 0 {
		return true
	}
	n := sig.Params().Len()
	var t types.Type
	switch {
	case sig.Variadic() && i >= n-1:
		t = sig.Params().At(n - 1).Type().(*types.Slice).Elem()
	case i < n:
		t = sig.Params().At(i).Type()
	default:
		return false
	}
	return isString(t)
}

// templates infers how each string argument of a sink call was built.
func (fr *fileRewriter) templates(call *ast.CallExpr, fn *types.Func) []argTemplate {
	in := &inferrer{info: fr.pkg.Info, body: innermost(fr.bodies, call.Pos())}
	var out []argTemplate
	for i, a := range call.Args {
		if call.Ellipsis.IsValid() && i == len(call.Args)-1 {
			break
		}
		if t := fr.pkg.Info.TypeOf(a); t == nil || !isString(t) || !judgedParam(fn, i) {
			continue
		}
		out = append(out, in.template(i, a, call.Pos()))
	}
	return out
}

// output applies the edits. Original lines keep their numbers: imports join
// the package clause's line, and site declarations follow the last line.
func (fr *fileRewriter) output(runtimePath string) ([]byte, error) {
	imports := "; import " + runtimeAlias + " " + strconv.Quote(runtimePath)
	all := map[string]string{}
	for p, a := range fr.hooks {
		all[p] = a
	}
	for p, a := range fr.aliases {
		all[p] = a
	}
	for _, p := range slices.Sorted(maps.Keys(all)) {
		imports += "; import " + all[p] + " " + strconv.Quote(p)
	}
	edits := append(fr.edits, edit{start: fr.off(fr.file.Name.End()), end: fr.off(fr.file.Name.End()), text: imports, seq: -1})
	sort.SliceStable(edits, func(i, j int) bool {
		a, b := edits[i], edits[j]
		if a.start != b.start {
			return a.start < b.start
		}
		if (a.start == a.end) != (b.start == b.end) {
			return a.start == a.end // insertions before replacements at the same place
		}
		return a.seq < b.seq
	})
	var out bytes.Buffer
	out.Grow(len(fr.src) + 64*len(edits))
	pos := 0
	for _, e := range edits {
		if e.start < pos {
			return nil, fmt.Errorf("internal error: overlapping rewrites at offset %d", e.start)
		}
		out.Write(fr.src[pos:e.start])
		out.WriteString(e.text)
		pos = e.end
	}
	out.Write(fr.src[pos:])
	if len(fr.src) > 0 && fr.src[len(fr.src)-1] != '\n' {
		out.WriteByte('\n')
	}
	for _, k := range slices.Sorted(maps.Keys(fr.keep)) {
		out.WriteString("var _ = " + k + "\n")
	}
	for _, d := range fr.decls {
		out.WriteString(d)
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}
