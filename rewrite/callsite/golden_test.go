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
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

var update = flag.Bool("update", false, "rewrite the expected sections (out.go, sites) of testdata/golden/*.txtar from what the rewriter does")

// TestGolden runs the cases of testdata/golden, one archive each, usually
// one mechanism each (reroute, check in place, covered_by, server wrap,
// interface entry, propagate, not covered). A case's sections:
//
//	in.go          the file to rewrite, as package example.com/p
//	sinks.yaml     optional: a user's spec, added to the built-in one as
//	               --sinks adds it (spec.ParseUser)
//	PATH/NAME.go   optional: a file of the library package PATH that
//	               in.go may import, type-checked from this source
//	out.go         expected: the rewritten file; absent when the rewriter
//	               leaves the file as it is
//	sites          expected: the site report, one line per reference
//
// The rewritten file is also type-checked against the runtime's source: a
// hook whose signature drifted, or a closure spelled wrong, fails here
// rather than in a user's build. go test -update rewrites the expected
// sections.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	rtPath := runtimePath(t)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			c := readGoldenCase(t, file)
			r := rewriteCase(t, c.spec(t), rtPath, c.in, c.libs)
			sites := siteLines(r.Sites)
			if *update {
				c.write(t, file, r.Out, sites)
			} else {
				c.compare(t, r.Out, sites)
			}
			if r.Out != nil {
				typeCheckAgainstRuntime(t, r.Out, c.libs)
			}
		})
	}
}

// goldenCase is an archive of testdata/golden, split into its sections.
type goldenCase struct {
	ar       *txtar.Archive
	in       []byte
	userSpec []byte                  // the sinks.yaml section; nil without one
	libs     map[string][]txtar.File // import path -> the library's files
	out      []byte                  // expected out.go; nil without one
	sites    []byte                  // expected sites
}

// readGoldenCase reads an archive and checks that it names only the
// sections TestGolden knows.
func readGoldenCase(t *testing.T, file string) *goldenCase {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c := &goldenCase{ar: ar, libs: map[string][]txtar.File{}}
	for _, f := range ar.Files {
		switch {
		case f.Name == "in.go":
			c.in = f.Data
		case f.Name == "out.go":
			c.out = f.Data
		case f.Name == "sites":
			c.sites = f.Data
		case f.Name == "sinks.yaml":
			c.userSpec = f.Data
		case strings.Contains(f.Name, "/") && strings.HasSuffix(f.Name, ".go"):
			dir := path.Dir(f.Name)
			c.libs[dir] = append(c.libs[dir], f)
		default:
			t.Fatalf("unknown section %q (in.go, sinks.yaml, PATH/NAME.go, out.go, sites)", f.Name)
		}
	}
	if c.in == nil {
		t.Fatal("no in.go section")
	}
	return c
}

// spec returns the spec of the case: the built-in one, with the case's
// sinks.yaml added when it has one.
func (c *goldenCase) spec(t *testing.T) *spec.Spec {
	t.Helper()
	if c.userSpec == nil {
		return defaultSpec(t)
	}
	sp, err := spec.ParseUser("sinks.yaml", c.userSpec)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// compare reports where the rewriter's output differs from the case's
// expected sections.
func (c *goldenCase) compare(t *testing.T, out, sites []byte) {
	t.Helper()
	switch {
	case out == nil && c.out != nil:
		t.Errorf("the rewriter left the file as it is; the case expects out.go")
	case out != nil && c.out == nil:
		t.Errorf("the case has no out.go; the rewriter wrote\n%s", out)
	case !bytes.Equal(out, c.out):
		t.Errorf("out.go differs; got\n%s\nwant\n%s", out, c.out)
	}
	if !bytes.Equal(sites, c.sites) {
		t.Errorf("sites differ; got\n%s\nwant\n%s", sites, c.sites)
	}
}

// write rewrites the archive with the given expected sections after its
// inputs, which keep their order.
func (c *goldenCase) write(t *testing.T, file string, out, sites []byte) {
	t.Helper()
	var files []txtar.File
	for _, f := range c.ar.Files {
		if f.Name != "out.go" && f.Name != "sites" {
			files = append(files, f)
		}
	}
	if out != nil {
		files = append(files, txtar.File{Name: "out.go", Data: out})
	}
	files = append(files, txtar.File{Name: "sites", Data: sites})
	ar := &txtar.Archive{Comment: c.ar.Comment, Files: files}
	if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
		t.Fatal(err)
	}
}

// siteLines renders a site report, one line per reference:
// "LINE:COL SINK MECHANISM [HOOK] [[TEMPLATES]] [(REASON)]".
func siteLines(sites []SiteReport) []byte {
	var b bytes.Buffer
	for _, s := range sites {
		fmt.Fprintf(&b, "%d:%d %s %s", s.Line, s.Column, s.Sink, s.Mechanism)
		if s.Hook != "" {
			fmt.Fprintf(&b, " %s", s.Hook)
		}
		if len(s.Templates) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(s.Templates, " | "))
		}
		if s.Reason != "" {
			fmt.Fprintf(&b, " (%s)", s.Reason)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// runtimePath returns the import path under which rewriteWith, the
// helper of the package's other tests, has the rewriter import the
// runtime, read from a rewritten file: the golden cases follow it, and
// this harness never names it.
func runtimePath(t *testing.T) string {
	t.Helper()
	r := rewriteSource(t, "package p\n\nimport \"os\"\n\nfunc f(name string) { os.Remove(name) }\n")
	f, err := parser.ParseFile(token.NewFileSet(), "out.go", r.Out, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range f.Imports {
		if is.Name != nil && is.Name.Name == runtimeAlias {
			p, err := strconv.Unquote(is.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	t.Fatalf("the rewritten file imports no package as %s:\n%s", runtimeAlias, r.Out)
	return ""
}

// rewriteCase type-checks src as package example.com/p, which may import
// the libraries given, and rewrites it with sp as rewriteWith does, the
// runtime imported from rtPath.
func rewriteCase(t *testing.T, sp *spec.Spec, rtPath string, src []byte, libs map[string][]txtar.File) FileResult {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "/src/p/a.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	info := NewInfo()
	conf := types.Config{Importer: newLibImporter(fset, libs, importer.Default())}
	tp, err := conf.Check("example.com/p", fset, []*ast.File{f}, info)
	if err != nil {
		t.Fatal(err)
	}
	pkg := &Package{Path: "example.com/p", Fset: fset, Files: []*ast.File{f}, Srcs: [][]byte{src}, Names: []string{"/src/p/a.go"}, Info: info, Types: tp}
	res, err := Rewrite(pkg, sp, rtPath)
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

// typeCheckAgainstRuntime type-checks a rewritten file with the runtime's
// packages (and every other import but the case's libraries) read from
// source, as if it were a package of this module.
func typeCheckAgainstRuntime(t *testing.T, src []byte, libs map[string][]txtar.File) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	fset, imp := sourceImporter()
	f, err := parser.ParseFile(fset, filepath.Join(dir, "testdata", "golden", "out.go"), src, 0)
	if err != nil {
		t.Fatalf("the rewritten file does not parse: %v", err)
	}
	var errs []string
	conf := types.Config{Importer: newLibImporter(fset, libs, imp), Error: func(err error) { errs = append(errs, err.Error()) }}
	if _, err := conf.Check("example.com/p", fset, []*ast.File{f}, nil); err != nil {
		t.Fatalf("the rewritten file does not type-check against the runtime's source:\n%s", strings.Join(errs, "\n"))
	}
}

var sourceFset *token.FileSet
var sourceImp types.Importer

// sourceImporter returns the importer that reads packages from source,
// and its file set; one for the whole test binary, so that the runtime
// and the standard library are type-checked once, not once per case.
func sourceImporter() (*token.FileSet, types.Importer) {
	if sourceImp == nil {
		sourceFset = token.NewFileSet()
		sourceImp = importer.ForCompiler(sourceFset, "source", nil)
	}
	return sourceFset, sourceImp
}

// libImporter imports the library packages of a case, type-checked from
// the archive's sections, and any other package through next.
type libImporter struct {
	fset *token.FileSet
	libs map[string][]txtar.File
	next types.Importer
	done map[string]*types.Package
}

func newLibImporter(fset *token.FileSet, libs map[string][]txtar.File, next types.Importer) *libImporter {
	return &libImporter{fset: fset, libs: libs, next: next, done: map[string]*types.Package{}}
}

// Import implements types.Importer.
func (li *libImporter) Import(importPath string) (*types.Package, error) {
	files, ok := li.libs[importPath]
	if !ok {
		return li.next.Import(importPath)
	}
	if p := li.done[importPath]; p != nil {
		return p, nil
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	var afs []*ast.File
	for _, f := range files {
		af, err := parser.ParseFile(li.fset, f.Name, f.Data, 0)
		if err != nil {
			return nil, err
		}
		afs = append(afs, af)
	}
	conf := types.Config{Importer: li}
	p, err := conf.Check(importPath, li.fset, afs, nil)
	if err != nil {
		return nil, fmt.Errorf("the case's library %s: %v", importPath, err)
	}
	li.done[importPath] = p
	return p, nil
}
