package callsite

// The check advice: a call of a library with its own wire protocol stays,
// wrapped in one of the runtime's generic SQL checks (spec.CheckHelpers).

import (
	"fmt"
	"go/ast"
	"go/types"
	"strconv"

	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

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
