package spec

import (
	"github.com/rasp-instrument/rasp-instrument/rewrite/internal/stdlib"

	"bytes"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"io/fs"
	"strings"
	"testing"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
	"github.com/rasp-instrument/rasp-instrument/rewrite/patch"
)

// defaultSpec is the built-in spec.
func defaultSpec(t *testing.T) *Spec {
	t.Helper()
	sp, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// TestVerifyDefaultSpec runs what `rasp-instrument sinks` runs: every
// call of the standard library exists, every hook exists with the right
// signature, the runtime has no hook the spec does not name, and every
// patch applies to this Go release.
func TestVerifyDefaultSpec(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the standard library's and the runtime's packages")
	}
	t.Setenv("RASP_CACHE", t.TempDir())
	if err := Verify(defaultSpec(t)); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyFindsDrift: a hook the runtime does not have, a hook with the
// wrong signature and a runtime hook the spec forgot are each refused.
func TestVerifyFindsDrift(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the standard library's and the runtime's packages")
	}
	t.Setenv("RASP_CACHE", t.TempDir())
	base := string(raspinstrument.DefaultSinks)
	for _, tc := range []struct{ name, from, to, want string }{
		{"missing hook", "reroute: raspimpl.OSOpen}", "reroute: raspimpl.OSOpenX}", "the runtime has no hook OSOpenX"},
		{"wrong signature", "reroute: raspimpl.OSCreate}", "reroute: raspimpl.OSRemove}", "hook OSRemove has signature"},
		{"unnamed hook", `  - {call: "os.Chmod", family: file, reroute: raspimpl.OSChmod}` + "\n", "", "the runtime has hooks the spec does not name: raspimpl.OSChmod"},
		{"moved function", `entry: "net.(*Resolver).dial"`, `entry: "net.(*Resolver).dialGone"`, "cannot hook net.(*Resolver).dialGone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, tc.from, tc.to, 1)
			if src == base {
				t.Fatalf("%q is not in sinks.yaml", tc.from)
			}
			sp, err := Parse("sinks.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(sp); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestPatchedPackagesTypeCheck type-checks every patched package of the
// standard library with its patches and declarations, as the build hands
// it to the compiler: the declarations files are Go that only compiles
// inside their package, and this is where they are vetted.
func TestPatchedPackagesTypeCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks standard library packages from source")
	}
	sp := defaultSpec(t)
	// Without cgo: go/types reads no C. The patches touch no cgo file.
	defer func(enabled bool) { build.Default.CgoEnabled = enabled }(build.Default.CgoEnabled)
	build.Default.CgoEnabled = false
	seen := map[string]bool{}
	for _, p := range sp.Patches {
		if seen[p.Pkg] || !stdlib.IsPackage(build.Default.GOROOT, p.Pkg) {
			continue // another module's patches are built by the integration scripts
		}
		seen[p.Pkg] = true
		t.Run(p.Pkg, func(t *testing.T) {
			bp, files, srcs, err := stdSources(&build.Default, p.Pkg)
			if err != nil {
				t.Fatal(err)
			}
			changed, added, err := patch.Apply(sp.PatchesFor(p.Pkg), files, srcs)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			var afs []*ast.File
			for i, name := range files {
				src := srcs[i]
				if b, ok := changed[i]; ok {
					if bytes.Count(b, []byte("\n")) != bytes.Count(src, []byte("\n")) {
						t.Errorf("the patches changed the line count of %s", name)
					}
					src = b
				}
				f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
				if err != nil {
					t.Fatal(err)
				}
				afs = append(afs, f)
			}
			for i, b := range added {
				f, err := parser.ParseFile(fset, "decls"+string(rune('0'+i))+".go", b, parser.SkipObjectResolution)
				if err != nil {
					t.Fatal(err)
				}
				if f.Name.Name != bp.Name {
					t.Fatalf("a declarations file of %s is of package %s", p.Pkg, f.Name.Name)
				}
				afs = append(afs, f)
			}
			conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
			var errs []string
			conf.Error = func(err error) {
				if len(errs) < 5 {
					errs = append(errs, err.Error())
				}
			}
			if _, err := conf.Check(p.Pkg, fset, afs, nil); err != nil {
				t.Fatalf("the patched %s does not type-check:\n%s", p.Pkg, strings.Join(errs, "\n"))
			}
		})
	}
}

// TestRuntimePullsMatchDecls: every //go:linkname pull of the runtime from
// a patched package names a function of a declarations file with the same
// signature, and every function a declarations file pushes is pulled. The
// compiler checks neither: a mismatch would corrupt memory at run time.
func TestRuntimePullsMatchDecls(t *testing.T) {
	pushed := map[string]string{} // "pkgpath.name" -> signature, qualified
	sp := defaultSpec(t)
	for _, p := range sp.Patches {
		if p.Decls == "" {
			continue
		}
		b, err := patch.Decls(p.Decls)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p.Decls, b, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if ok && hasDirective(fd.Doc, "//go:linkname "+fd.Name.Name) {
				pushed[p.Pkg+"."+fd.Name.Name] = signature(fset, fd.Type, f.Name.Name)
			}
		}
	}
	pulled := map[string]bool{}
	err := fs.WalkDir(raspinstrument.RuntimeSource, "runtime", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := raspinstrument.RuntimeSource.ReadFile(path)
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, b, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Doc == nil {
				continue
			}
			for _, c := range fd.Doc.List {
				fields := strings.Fields(c.Text)
				if len(fields) != 3 || fields[0] != "//go:linkname" || !strings.Contains(fields[2], ".__rasp_") {
					continue
				}
				target := fields[2]
				pulled[target] = true
				want, ok := pushed[target]
				if !ok {
					t.Errorf("%s: %s pulls %s, which no declarations file of the spec pushes", path, fd.Name.Name, target)
					continue
				}
				if got := signature(fset, fd.Type, ""); got != want {
					t.Errorf("%s: %s pulls %s as %s; the declaration is %s", path, fd.Name.Name, target, got, want)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for target := range pushed {
		if !pulled[target] {
			t.Errorf("%s is declared for the runtime, which never pulls it", target)
		}
	}
}

func hasDirective(doc *ast.CommentGroup, prefix string) bool {
	if doc == nil {
		return false
	}
	for _, c := range doc.List {
		if strings.TrimSpace(c.Text) == prefix {
			return true
		}
	}
	return false
}

// signature prints a function type without parameter names, qualifying the
// unqualified names of pkg's own types with pkg.
func signature(fset *token.FileSet, ft *ast.FuncType, pkg string) string {
	ft = &ast.FuncType{Params: unnamed(ft.Params), Results: unnamed(ft.Results)}
	if pkg != "" {
		ast.Inspect(ft, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && types.Universe.Lookup(id.Name) == nil && token.IsExported(id.Name) {
				id.Name = pkg + "." + id.Name
			}
			_, isSel := n.(*ast.SelectorExpr)
			return !isSel
		})
	}
	var b bytes.Buffer
	printer.Fprint(&b, fset, ft)
	return b.String()
}

// unnamed copies a field list, one field per type and no names.
func unnamed(fl *ast.FieldList) *ast.FieldList {
	if fl == nil {
		return nil
	}
	out := &ast.FieldList{}
	for _, f := range fl.List {
		n := max(len(f.Names), 1)
		for range n {
			out.List = append(out.List, &ast.Field{Type: copyExpr(f.Type)})
		}
	}
	return out
}

// copyExpr deep-copies the type expressions signature rewrites.
func copyExpr(e ast.Expr) ast.Expr {
	switch e := e.(type) {
	case *ast.Ident:
		return &ast.Ident{Name: e.Name}
	case *ast.StarExpr:
		return &ast.StarExpr{X: copyExpr(e.X)}
	case *ast.ArrayType:
		return &ast.ArrayType{Len: e.Len, Elt: copyExpr(e.Elt)}
	case *ast.FuncType:
		return &ast.FuncType{Params: unnamed(e.Params), Results: unnamed(e.Results)}
	case *ast.SelectorExpr:
		return &ast.SelectorExpr{X: copyExpr(e.X), Sel: &ast.Ident{Name: e.Sel.Name}}
	}
	return e
}
