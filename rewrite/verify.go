package rewrite

import (
	"fmt"
	"go/build"
	"go/types"
	"strings"

	"golang.org/x/tools/go/packages"
)

// lookupSink finds the function or method that s names in pkg.
func lookupSink(pkg *types.Package, s *Sink) (*types.Func, error) {
	if s.Receiver == "" {
		fn, ok := pkg.Scope().Lookup(s.Name).(*types.Func)
		if !ok {
			return nil, fmt.Errorf("%s: sink %s: package %s has no function %s", s.Pos, s.Key(), s.Package, s.Name)
		}
		return fn, nil
	}
	tn, ok := pkg.Scope().Lookup(strings.TrimPrefix(s.Receiver, "*")).(*types.TypeName)
	if !ok {
		return nil, fmt.Errorf("%s: sink %s: package %s has no type %s", s.Pos, s.Key(), s.Package, strings.TrimPrefix(s.Receiver, "*"))
	}
	var recv types.Type = tn.Type()
	if strings.HasPrefix(s.Receiver, "*") {
		recv = types.NewPointer(recv)
	}
	obj, _, _ := types.LookupFieldOrMethod(recv, true, pkg, s.Name)
	fn, ok := obj.(*types.Func)
	if !ok {
		return nil, fmt.Errorf("%s: sink %s: type %s of package %s has no method %s", s.Pos, s.Key(), s.Receiver, s.Package, s.Name)
	}
	return fn, nil
}

// verifySinks checks the sinks of every package in imports: each must name a
// function or method that exists.
func verifySinks(t *Table, imports []*types.Package) error {
	for _, p := range imports {
		for _, s := range t.Sinks {
			if s.Package != p.Path() {
				continue
			}
			if _, err := lookupSink(p, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// verifyHook checks that the runtime has s's hook, with the sink's
// parameters after a *Site (and the receiver) and the sink's results.
func verifyHook(rt *types.Package, s *Sink, fn *types.Func) error {
	h, ok := rt.Scope().Lookup(s.Hook).(*types.Func)
	if !ok {
		return fmt.Errorf("%s: sink %s: the runtime has no hook %s", s.Pos, s.Key(), s.Hook)
	}
	sig, hsig := fn.Type().(*types.Signature), h.Type().(*types.Signature)
	var want []types.Type
	if sig.Recv() != nil {
		want = append(want, sig.Recv().Type())
	}
	for i := 0; i < sig.Params().Len(); i++ {
		want = append(want, sig.Params().At(i).Type())
	}
	hp := hsig.Params()
	ok = hp.Len() == len(want)+1 && hsig.Variadic() == sig.Variadic() && types.Identical(hsig.Results(), sig.Results())
	for i := 0; ok && i < len(want); i++ {
		ok = types.Identical(hp.At(i+1).Type(), want[i])
	}
	if !ok {
		return fmt.Errorf("%s: sink %s: hook %s has signature %s; want (site, %s) with the sink's results", s.Pos, s.Key(), s.Hook, hsig, sig)
	}
	return nil
}

// VerifyTable loads every package the table names, and the runtime, and
// checks each sink and its hook. It needs the go command.
func VerifyTable(t *Table) error {
	dir, err := cacheDir()
	if err != nil {
		return err
	}
	mod, err := unpackRuntime(dir)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var patterns []string
	for _, s := range t.Sinks {
		if !isStdPackage(build.Default.GOROOT, s.Package) {
			continue // another module: checked when a program that imports it is built
		}
		for _, p := range []string{s.Package, s.HookPkg} {
			if !seen[p] {
				seen[p] = true
				patterns = append(patterns, p)
			}
		}
	}
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedTypes | packages.NeedImports, Dir: mod,
		Env: append(envWithout("GOFLAGS"), "GOWORK=off", "GOFLAGS=-mod=mod")}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return err
	}
	byPath := map[string]*packages.Package{}
	for _, p := range pkgs {
		byPath[p.PkgPath] = p
	}
	for _, s := range t.Sinks {
		if !isStdPackage(build.Default.GOROOT, s.Package) {
			continue
		}
		rt := byPath[s.HookPkg]
		if rt == nil || rt.Types == nil || len(rt.Errors) > 0 {
			return fmt.Errorf("%s: sink %s: cannot load hook package %s", s.Pos, s.Key(), s.HookPkg)
		}
		p := byPath[s.Package]
		if p == nil || p.Types == nil || len(p.Errors) > 0 {
			return fmt.Errorf("%s: sink %s: cannot load package %s", s.Pos, s.Key(), s.Package)
		}
		fn, err := lookupSink(p.Types, s)
		if err != nil {
			return err
		}
		if err := verifyHook(rt.Types, s, fn); err != nil {
			return err
		}
	}
	return nil
}

// verifyHooks checks that the runtime built for this build has the hook of
// every sink the rewrite used.
func verifyHooks(rt RuntimeArchives, results []FileResult, t *Table) error {
	loaded := map[string]*types.Package{}
	for _, r := range results {
		for _, site := range r.Sites {
			s := t.Lookup(site.Sink)
			if s == nil || s.Check != "" {
				continue // not a sink, or checked in place
			}
			hp := loaded[s.HookPkg]
			if hp == nil {
				var err error
				if hp, err = importArchives(rt, s.HookPkg); err != nil {
					return fmt.Errorf("%s: sink %s: loading hook package %s: %w", s.Pos, s.Key(), s.HookPkg, err)
				}
				loaded[s.HookPkg] = hp
			}
			if _, ok := hp.Scope().Lookup(s.Hook).(*types.Func); !ok {
				return fmt.Errorf("%s: sink %s: the runtime has no hook %s", s.Pos, s.Key(), s.Hook)
			}
		}
	}
	return nil
}
