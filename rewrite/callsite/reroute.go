package callsite

// The reroute, wrap and propagate advice: a call, function value or method
// expression of a sink goes to its hook in the runtime, with the call
// site first and the receiver next.

import (
	"fmt"
	"go/ast"
	"go/types"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

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
