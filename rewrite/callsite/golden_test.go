package callsite

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
)

var update = flag.Bool("update", false, "rewrite the golden files' out.go and sites sections")

// TestGolden rewrites the in.go of each testdata/golden/*.txtar with the
// default spec, compares the result and the site reports with the archive's
// out.go and sites, and type-checks the rewritten file against the runtime
// it calls: a hook whose signature drifted, or a closure spelled wrong,
// fails here rather than in a user's build. go test -update rewrites the
// expected sections.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			section := map[string][]byte{}
			for _, f := range ar.Files {
				section[f.Name] = f.Data
			}
			in, ok := section["in.go"]
			if !ok {
				t.Fatal("no in.go section")
			}
			r := rewriteSource(t, string(in))
			if r.Out == nil {
				t.Fatal("nothing was rewritten")
			}
			var sites bytes.Buffer
			for _, s := range r.Sites {
				fmt.Fprintf(&sites, "%d:%d %s %s %s", s.Line, s.Column, s.Sink, s.Mechanism, s.Hook)
				if len(s.Templates) > 0 {
					fmt.Fprintf(&sites, " [%s]", strings.Join(s.Templates, " | "))
				}
				sites.WriteByte('\n')
			}
			if *update {
				ar.Files = []txtar.File{{Name: "in.go", Data: in}, {Name: "out.go", Data: r.Out}, {Name: "sites", Data: sites.Bytes()}}
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				if want := section["out.go"]; !bytes.Equal(r.Out, want) {
					t.Errorf("out.go differs; got\n%s\nwant\n%s", r.Out, want)
				}
				if want := section["sites"]; !bytes.Equal(sites.Bytes(), want) {
					t.Errorf("sites differ; got\n%s\nwant\n%s", sites.Bytes(), want)
				}
			}
			typeCheckAgainstRuntime(t, r.Out)
		})
	}
}

// typeCheckAgainstRuntime type-checks a rewritten file with the runtime's
// packages read from source, as if it were a package of this module.
func typeCheckAgainstRuntime(t *testing.T, src []byte) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(dir, "testdata", "golden", "out.go"), src, 0)
	if err != nil {
		t.Fatalf("the rewritten file does not parse: %v", err)
	}
	var errs []string
	conf := types.Config{Importer: sourceImporter(fset), Error: func(err error) { errs = append(errs, err.Error()) }}
	if _, err := conf.Check("example.com/p", fset, []*ast.File{f}, nil); err != nil {
		t.Fatalf("the rewritten file does not type-check against %s:\n%s", raspinstrument.RuntimePath, strings.Join(errs, "\n"))
	}
}

var sourceImporters = map[*token.FileSet]types.Importer{}

func sourceImporter(fset *token.FileSet) types.Importer {
	if imp, ok := sourceImporters[fset]; ok {
		return imp
	}
	imp := importer.ForCompiler(fset, "source", nil)
	sourceImporters[fset] = imp
	return imp
}
