package spec

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
)

// TestRuntimeEntrySitesNameSpecEntries: each entry-point site the runtime
// declares (callsite.NewEntry) names an entry join point of the built-in
// spec, or the package of some, so an event's "os.OpenFile entry point"
// is where the spec patched.
func TestRuntimeEntrySitesNameSpecEntries(t *testing.T) {
	sp := defaultSpec(t)
	known := map[string]bool{}
	for _, p := range sp.Patches {
		if p.Func != "" && p.Type == "" {
			known[p.Pkg+"."+p.Func] = true
			known[p.Pkg] = true
		}
	}
	fset := token.NewFileSet()
	found := 0
	err := fs.WalkDir(raspinstrument.RuntimeSource, "runtime", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return err
		}
		src, err := fs.ReadFile(raspinstrument.RuntimeSource, name)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "NewEntry" || len(call.Args) != 2 {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "callsite" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: callsite.NewEntry takes a constant join point", fset.Position(call.Pos()))
				return true
			}
			jp, _ := strconv.Unquote(lit.Value)
			found++
			if !known[jp] {
				t.Errorf("%s: entry site %q names no entry join point of sinks.yaml (nor the package of one)", fset.Position(lit.Pos()), jp)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 5 {
		t.Errorf("found %d entry sites in the runtime's source; want the five of stdhook and nethook", found)
	}
}
