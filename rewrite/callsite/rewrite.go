package callsite

import (
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"

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
	"strings"
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

// notCovered reports a reference to s that the rewrite could not handle.
// The build refuses the package; diff lists the site.
func (fr *fileRewriter) notCovered(pos token.Pos, s *spec.Call, err error) {
	p := fr.pkg.Fset.Position(pos)
	fr.sites = append(fr.sites, SiteReport{File: p.Filename, Line: p.Line, Column: p.Column,
		Sink: s.Key(), Family: s.Family, Mechanism: MechanismNone, Reason: err.Error()})
}

// coveredByEntry reports a call that an entry point of the standard
// library judges, when the spec says so: a call's covered_by, or an
// interface join point that fn, a method of an interface, matches.
func (fr *fileRewriter) coveredByEntry(pos token.Pos, fn *types.Func, s *spec.Call) {
	var family, entry string
	if s != nil {
		family, entry = s.Family, s.Entry
	} else if family = fr.spec.InterfaceFamily(fn); family != "" {
		entry = fr.spec.EntrySummary(family)
	}
	if entry == "" {
		return
	}
	p := fr.pkg.Fset.Position(pos)
	fr.sites = append(fr.sites, SiteReport{File: p.Filename, Line: p.Line, Column: p.Column,
		Sink: spec.KeyOf(fn), Family: family, Hook: entry, Mechanism: MechanismEntry})
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

// receiver returns the text to put before and after the receiver expression
// x so that it denotes the pointer the method is called on, following
// embedded fields and taking the address where Go would do it implicitly.
func (fr *fileRewriter) receiver(sel *types.Selection, fn *types.Func) (pre, post string, err error) {
	idx := sel.Index()
	path := ""
	t := sel.Recv()
	for _, i := range idx[:len(idx)-1] {
		st, ok := derefStruct(t)
		if !ok {
			return "", "", fmt.Errorf("cannot follow embedded field of %s", t)
		}
		f := st.Field(i)
		path += "." + f.Name()
		t = f.Type()
	}
	recvIsPtr := false
	if _, ok := fn.Type().(*types.Signature).Recv().Type().(*types.Pointer); ok {
		recvIsPtr = true
	}
	_, haveptr := t.Underlying().(*types.Pointer)
	if _, isNamedPtr := t.(*types.Pointer); isNamedPtr {
		haveptr = true
	}
	addr := recvIsPtr && !haveptr
	switch {
	case path == "" && !addr:
		return "", "", nil
	case addr:
		return "&(", ")" + path, nil
	}
	return "(", ")" + path, nil
}

func derefStruct(t types.Type) (*types.Struct, bool) {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	st, ok := t.Underlying().(*types.Struct)
	return st, ok
}

// hook spells the hook of s in the rewritten file.
func (fr *fileRewriter) hook(s *spec.Call) string {
	if s.HookPkg == "" || s.HookPkg == fr.runtimePath {
		return runtimeAlias + "." + s.Hook
	}
	if fr.hooks == nil {
		fr.hooks = map[string]string{}
	}
	a, ok := fr.hooks[s.HookPkg]
	if !ok {
		a = runtimeAlias + "_" + filepath.Base(s.HookPkg)
		fr.hooks[s.HookPkg] = a
	}
	return a + "." + s.Hook
}

// staticArgs reports whether every string argument of a call to a sink
// function is a constant, so the runtime knows the programmer wrote the
// whole value. Method sinks whose value comes from the receiver (Cmd.Run,
// Client.Do) are never static.
func (fr *fileRewriter) staticArgs(call *ast.CallExpr, fn *types.Func) bool {
	if call.Ellipsis.IsValid() {
		return false
	}
	strs := 0
	for i, a := range call.Args {
		if !judgedParam(fn, i) {
			continue // a bind argument passed as any: data, never judged
		}
		tv, ok := fr.pkg.Info.Types[a]
		if !ok {
			return false
		}
		b, isBasic := tv.Type.Underlying().(*types.Basic)
		if !isBasic || b.Info()&types.IsString == 0 {
			continue
		}
		if tv.Value == nil {
			return false
		}
		strs++
	}
	return strs > 0
}

func (fr *fileRewriter) rewriteCall(call *ast.CallExpr, fun ast.Expr, sel *types.Selection, fn *types.Func, s *spec.Call) error {
	if s.Advice == spec.Check {
		return fr.checkInPlace(call, fn, s)
	}
	var pre, post string
	if sel != nil {
		var err error
		if pre, post, err = fr.receiver(sel, fn); err != nil {
			return err
		}
	}
	var site string
	if s.Advice == spec.Propagate {
		site = fr.newSite(call.Lparen, s, MechanismCall, false, nil) // judges nothing: no template
	} else {
		site = fr.newSite(call.Lparen, s, MechanismCall, fr.staticArgs(call, fn), fr.templates(call, fn))
	}
	sep := ""
	if len(call.Args) > 0 {
		sep = ", "
	}
	if sel == nil { // package function
		fr.keepImport(fun)
		fr.add(call.Pos(), call.Lparen+1, fr.hook(s)+"("+site+sep)
		return nil
	}
	x := fun.(*ast.SelectorExpr).X
	fr.add(call.Pos(), x.Pos(), fr.hook(s)+"("+site+", "+pre)
	fr.add(x.End(), call.Lparen+1, post+sep)
	return nil
}

// constantAfterFirst reports whether every argument of call after the
// first is a constant: a join whose later elements the programmer wrote
// cannot climb by a dynamic part, and a propagate call is left as written.
func (fr *fileRewriter) constantAfterFirst(call *ast.CallExpr) bool {
	if call.Ellipsis.IsValid() {
		return false
	}
	for _, a := range call.Args[min(1, len(call.Args)):] {
		if tv, ok := fr.pkg.Info.Types[a]; !ok || tv.Value == nil {
			return false
		}
	}
	return true
}

// rewriteValue replaces a function value, method value or method expression
// of a sink by a closure that calls the hook.
func (fr *fileRewriter) rewriteValue(e ast.Expr, sel *types.Selection, kind types.SelectionKind, fn *types.Func, s *spec.Call) error {
	if s.Advice == spec.Check {
		return fr.checkValueInPlace(e, kind, fn, s)
	}
	sig := fn.Type().(*types.Signature)
	var pre, post string
	switch {
	case kind == types.MethodVal:
		var err error
		if pre, post, err = fr.receiver(sel, fn); err != nil {
			return err
		}
	case kind == types.MethodExpr && !types.Identical(sel.Recv(), sig.Recv().Type()):
		if _, ok := sel.Recv().(*types.Pointer); !ok {
			// (T).M for a pointer method does not exist; value-receiver
			// methods through T are not in the spec's shape.
			return fmt.Errorf("method expression %s has an unexpected receiver", fr.text(e.Pos(), e.End()))
		}
	}
	mech := MechanismValue
	if kind == types.MethodExpr {
		mech = MechanismMethod
	}
	site := fr.newSite(e.Pos(), s, mech, false, nil)
	params, paramTypes, args := fr.params(sig, "__p")
	results := fr.typeString(sig.Results())
	call := fr.hook(s) + "(" + site
	switch {
	case sel == nil: // function value
		fr.keepImport(e)
		fr.add(e.Pos(), e.End(), "func("+params+") "+results+" { return "+call+joinArgs(args)+") }")
	case kind == types.MethodVal:
		recvT := fr.typeString(sig.Recv().Type())
		x := e.(*ast.SelectorExpr).X
		inner := "func(" + params + ") " + results + " { return " + call + ", __r" + joinArgs(args) + ") }"
		fr.add(e.Pos(), x.Pos(), "func(__r "+recvT+") func("+paramTypes+") "+results+" { return "+inner+" }("+pre)
		fr.add(x.End(), e.End(), post+")")
	default: // method expression
		recvT := fr.typeString(sel.Recv())
		sep := ""
		if params != "" {
			sep = ", "
		}
		fr.add(e.Pos(), e.End(), "func(__r "+recvT+sep+params+") "+results+" { return "+call+", __r"+joinArgs(args)+") }")
	}
	return nil
}

// keepImport remembers a package-qualified (or dot-imported) function that
// the rewrite replaces, so that the file can still use its import: the
// output declares "var _ = pkg.Func" for each.
func (fr *fileRewriter) keepImport(fun ast.Expr) {
	if fr.keep == nil {
		fr.keep = map[string]bool{}
	}
	fr.keep[fr.text(fun.Pos(), fun.End())] = true
}

func joinArgs(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return ", " + strings.Join(args, ", ")
}

// checkedHelper returns the runtime's generic function that wraps a call
// of fn for an in-place check: fn must be shaped
// func(context.Context, string, ...any) (R, error) or (...) R.
func checkedHelper(fn *types.Func) (string, error) {
	sig := fn.Type().(*types.Signature)
	p, r := sig.Params(), sig.Results()
	ok := sig.Variadic() && p.Len() == 3 && types.TypeString(p.At(0).Type(), nil) == "context.Context" &&
		types.Identical(p.At(1).Type(), types.Typ[types.String])
	if ok {
		sl, _ := p.At(2).Type().(*types.Slice)
		it, _ := sl.Elem().Underlying().(*types.Interface)
		ok = it != nil && it.Empty()
	}
	switch {
	case ok && r.Len() == 2 && types.TypeString(r.At(1).Type(), nil) == "error":
		return spec.CheckedCall, nil
	case ok && r.Len() == 1:
		return spec.CheckedRow, nil
	case !sig.Variadic() && p.Len() == 2 && r.Len() == 1 && types.TypeString(p.At(0).Type(), nil) == "context.Context":
		if _, ptr := p.At(1).Type().(*types.Pointer); ptr {
			return spec.CheckedBatch, nil // SendBatch(ctx, *Batch): the queries are queued in the batch
		}
	}
	return "", fmt.Errorf("sink %s is checked in place (check:), which needs the shape func(context.Context, string, ...any) (R, error) or R, "+
		"or func(context.Context, *Batch) R; it has %s", fn.FullName(), sig)
}

// checkInPlace wraps a call of a sink checked in place: x.M(ctx, q, args...)
// becomes __rasp.CheckedSQL(site, "dialect", x.M, ctx, q, args...).
func (fr *fileRewriter) checkInPlace(call *ast.CallExpr, fn *types.Func, s *spec.Call) error {
	helper, err := checkedHelper(fn)
	if err != nil {
		return err
	}
	site := fr.newSite(call.Lparen, s, MechanismCall, fr.staticArgs(call, fn), fr.templates(call, fn))
	fr.add(call.Pos(), call.Pos(), runtimeAlias+"."+helper+"("+site+", "+strconv.Quote(s.Dialect)+", ")
	fr.add(call.Lparen, call.Lparen+1, ", ")
	return nil
}

// checkValueInPlace wraps a function or method value of a sink checked in
// place: q := pool.Query becomes q := __rasp.CheckedSQLFunc(site, "dialect", pool.Query).
func (fr *fileRewriter) checkValueInPlace(e ast.Expr, kind types.SelectionKind, fn *types.Func, s *spec.Call) error {
	helper, err := checkedHelper(fn)
	if err != nil {
		return err
	}
	if kind == types.MethodExpr || helper != spec.CheckedCall {
		return fmt.Errorf("%s: a method expression or row value of %s cannot be checked in place; call it directly", fr.pkg.Fset.Position(e.Pos()), s.Key())
	}
	site := fr.newSite(e.Pos(), s, MechanismValue, false, nil)
	fr.add(e.Pos(), e.Pos(), runtimeAlias+"."+spec.CheckedValue+"("+site+", "+strconv.Quote(s.Dialect)+", ")
	fr.add(e.End(), e.End(), ")")
	return nil
}

// params returns a parameter list "p0 T0, p1 ...T1", the same types
// without names "T0, ...T1", and the arguments that forward them
// "p0, p1...".
func (fr *fileRewriter) params(sig *types.Signature, prefix string) (decl, typeList string, args []string) {
	var ps, ts []string
	n := sig.Params().Len()
	for i := 0; i < n; i++ {
		name := prefix + strconv.Itoa(i)
		t := sig.Params().At(i).Type()
		var spelled, forward string
		if sig.Variadic() && i == n-1 {
			spelled, forward = "..."+fr.typeString(t.(*types.Slice).Elem()), name+"..."
		} else {
			spelled, forward = fr.typeString(t), name
		}
		ps = append(ps, name+" "+spelled)
		ts = append(ts, spelled)
		args = append(args, forward)
	}
	return strings.Join(ps, ", "), strings.Join(ts, ", "), args
}

// typeString spells t in the rewritten file, importing the packages it names
// under private aliases.
func (fr *fileRewriter) typeString(t types.Type) string {
	return types.TypeString(t, func(p *types.Package) string {
		a, ok := fr.aliases[p.Path()]
		if !ok {
			a = fmt.Sprintf("__rasp_p%d", len(fr.aliases))
			fr.aliases[p.Path()] = a
		}
		return a
	})
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
