package spec

import (
	"fmt"
	"go/build"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
	"github.com/rasp-instrument/rasp-instrument/rewrite/internal/runtimesrc"
	"github.com/rasp-instrument/rasp-instrument/rewrite/internal/stdlib"
	"github.com/rasp-instrument/rasp-instrument/rewrite/patch"
)

// lookup finds the function or method that c names in pkg.
func lookup(pkg *types.Package, c *Call) (*types.Func, error) {
	if c.Receiver == "" {
		fn, ok := pkg.Scope().Lookup(c.Name).(*types.Func)
		if !ok {
			return nil, fmt.Errorf("%s: %s: package %s has no function %s", c.Pos, c.Key(), c.Package, c.Name)
		}
		return fn, nil
	}
	tn, ok := pkg.Scope().Lookup(strings.TrimPrefix(c.Receiver, "*")).(*types.TypeName)
	if !ok {
		return nil, fmt.Errorf("%s: %s: package %s has no type %s", c.Pos, c.Key(), c.Package, strings.TrimPrefix(c.Receiver, "*"))
	}
	var recv types.Type = tn.Type()
	if strings.HasPrefix(c.Receiver, "*") {
		recv = types.NewPointer(recv)
	}
	obj, _, _ := types.LookupFieldOrMethod(recv, true, pkg, c.Name)
	fn, ok := obj.(*types.Func)
	if !ok {
		return nil, fmt.Errorf("%s: %s: type %s of package %s has no method %s", c.Pos, c.Key(), c.Receiver, c.Package, c.Name)
	}
	return fn, nil
}

// CheckImports checks the call join points of every package in imports (a
// package's imports, at build time): each must name a function or method
// that exists, or the spec no longer matches the library's version.
func (s *Spec) CheckImports(imports []*types.Package) error {
	for _, p := range imports {
		for _, c := range s.Calls {
			if c.Package != p.Path() {
				continue
			}
			if _, err := lookup(p, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkHook checks that the runtime package rt has c's hook, with the
// call's parameters after a *Site (and the receiver) and the call's
// results.
func checkHook(rt *types.Package, c *Call, fn *types.Func) error {
	h, ok := rt.Scope().Lookup(c.Hook).(*types.Func)
	if !ok {
		return fmt.Errorf("%s: %s: the runtime has no hook %s", c.Pos, c.Key(), c.Hook)
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
	ok = hp.Len() == len(want)+1 && isSite(hp.At(0).Type()) && hsig.Variadic() == sig.Variadic() && types.Identical(hsig.Results(), sig.Results())
	for i := 0; ok && i < len(want); i++ {
		ok = types.Identical(hp.At(i+1).Type(), want[i])
	}
	if !ok {
		return fmt.Errorf("%s: %s: hook %s has signature %s; want (*raspimpl.Site, %s) with the call's results", c.Pos, c.Key(), c.Hook, hsig, sig)
	}
	return nil
}

// isSite reports whether t is *raspimpl.Site (an alias of the runtime's
// internal callsite.Site).
func isSite(t types.Type) bool {
	p, ok := t.(*types.Pointer)
	if !ok {
		return false
	}
	n, ok := types.Unalias(p.Elem()).(*types.Named)
	return ok && n.Obj().Name() == "Site" && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == raspinstrument.RuntimePath+"/internal/callsite"
}

// Verify checks the spec against this Go release and the runtime built
// into the tool: every call join point of the standard library names a
// function that exists, every hook exists with the right signature, every
// runtime function shaped like a hook is named by a complete spec, and
// every patch of the standard library applies. It needs the go command.
// Calls of other modules are checked when a program that imports them is
// built.
func Verify(s *Spec) error {
	goroot := build.Default.GOROOT
	dir, err := runtimesrc.CacheDir()
	if err != nil {
		return err
	}
	mod, err := runtimesrc.Unpack(dir)
	if err != nil {
		return err
	}
	patterns := s.HookPackages()
	if !contains(patterns, raspinstrument.ImplPath) {
		patterns = append(patterns, raspinstrument.ImplPath)
	}
	for _, c := range s.Calls {
		if stdlib.IsPackage(goroot, c.Package) && !contains(patterns, c.Package) {
			patterns = append(patterns, c.Package)
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
	loaded := func(path string) (*types.Package, error) {
		p := byPath[path]
		if p == nil || p.Types == nil || len(p.Errors) > 0 {
			if p != nil && len(p.Errors) > 0 {
				return nil, p.Errors[0]
			}
			return nil, fmt.Errorf("cannot load package %s", path)
		}
		return p.Types, nil
	}
	named := map[string]bool{} // hook package path + "." + hook
	for _, c := range s.Calls {
		if c.HookPkg != "" {
			named[c.HookPkg+"."+c.Hook] = true
		}
		if !stdlib.IsPackage(goroot, c.Package) || c.HookPkg == "" {
			continue
		}
		rt, err := loaded(c.HookPkg)
		if err != nil {
			return fmt.Errorf("%s: %s: hook package: %v", c.Pos, c.Key(), err)
		}
		p, err := loaded(c.Package)
		if err != nil {
			return fmt.Errorf("%s: %s: %v", c.Pos, c.Key(), err)
		}
		fn, err := lookup(p, c)
		if err != nil {
			return err
		}
		if err := checkHook(rt, c, fn); err != nil {
			return err
		}
	}
	impl, err := loaded(raspinstrument.ImplPath)
	if err != nil {
		return fmt.Errorf("%s: runtime: %v", s.File, err)
	}
	for _, name := range CheckHelpers {
		if fn, ok := impl.Scope().Lookup(name).(*types.Func); !ok || fn.Type().(*types.Signature).TypeParams().Len() == 0 {
			return fmt.Errorf("%s: the runtime has no generic function raspimpl.%s, which the check advice calls (spec.CheckHelpers)", s.File, name)
		}
	}
	for _, path := range s.HookPackages() {
		if !s.Complete {
			break
		}
		rt, err := loaded(path)
		if err != nil {
			return fmt.Errorf("%s: hook package: %v", s.File, err)
		}
		if extra := unnamedHooks(rt, named); len(extra) > 0 {
			return fmt.Errorf("%s: the runtime has hooks the spec does not name: %s; name them in a reroute or wrap advice, or remove them",
				s.File, strings.Join(extra, ", "))
		}
	}
	return s.checkPatches(goroot)
}

// unnamedHooks returns the exported functions of a runtime package that
// take a *raspimpl.Site first, as hooks do, and that the spec does not name.
func unnamedHooks(rt *types.Package, named map[string]bool) []string {
	var out []string
	for _, name := range rt.Scope().Names() {
		fn, ok := rt.Scope().Lookup(name).(*types.Func)
		if !ok || !fn.Exported() || contains(CheckHelpers, name) && rt.Path() == raspinstrument.ImplPath {
			continue
		}
		sig := fn.Type().(*types.Signature)
		if sig.Params().Len() == 0 || !isSite(sig.Params().At(0).Type()) {
			continue
		}
		if !named[rt.Path()+"."+name] {
			out = append(out, rt.Name()+"."+name)
		}
	}
	sort.Strings(out)
	return out
}

// checkPatches applies every patch of the standard library to this Go
// release's source, the way the build does: a release that moved a hooked
// function fails here, not in a user's build.
func (s *Spec) checkPatches(goroot string) error {
	ctx := build.Default
	ctx.GOROOT = goroot
	for _, p := range s.Patches {
		if !stdlib.IsPackage(goroot, p.Pkg) {
			continue // another module: patched when a program that imports it is built
		}
		_, files, srcs, err := stdSources(&ctx, p.Pkg)
		if err != nil {
			return fmt.Errorf("%s: %s: %v", p.Pos, p.Pkg, err)
		}
		if _, _, err := patch.Apply([]patch.Patch{p.Patch}, files, srcs); err != nil {
			return fmt.Errorf("%s: %v", p.Pos, err)
		}
	}
	return nil
}

// stdSources returns a standard library package and its Go files as the go
// command would hand them to the compiler under ctx.
func stdSources(ctx *build.Context, path string) (bp *build.Package, files []string, srcs [][]byte, err error) {
	if bp, err = ctx.Import(path, "", 0); err != nil {
		return nil, nil, nil, err
	}
	for _, f := range append(bp.GoFiles, bp.CgoFiles...) {
		name := filepath.Join(bp.Dir, f)
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, nil, nil, err
		}
		files, srcs = append(files, name), append(srcs, b)
	}
	return bp, files, srcs, nil
}

// envWithout returns the environment without the named variables.
func envWithout(names ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !contains(names, k) {
			env = append(env, kv)
		}
	}
	return env
}
