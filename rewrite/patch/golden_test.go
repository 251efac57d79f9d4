package patch_test

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/tools/txtar"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
	"github.com/rasp-instrument/rasp-instrument/rewrite/internal/stdlib"
	"github.com/rasp-instrument/rasp-instrument/rewrite/patch"
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.txtar from the built-in spec's patches")

// goldenContext is the build context whose files the goldens are made of,
// whatever the host: the patched functions are in files every platform
// compiles, but the package's file list is not.
func goldenContext() build.Context {
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "linux", "amd64", false
	return ctx
}

// TestGoldenPatches applies the built-in spec's patches of each package to
// that package's real source, as the build does when it compiles it, and
// compares the lines they change with testdata/golden/PKG.txtar: the
// standard library of the installed Go, and the framework packages (fasthttp,
// gRPC, the WebSocket libraries) at the version the programs of
// testdata/src require, when the module cache has it.
//
// A golden holds, per file, each changed line before (-) and after (+),
// under the declaration that holds it; no line numbers and no context, so
// that a patch release of Go that moves the code, or edits it around the
// patch, leaves it as it is. Patches never add a line, so a line-by-line
// comparison is the whole diff. go test -update rewrites the goldens.
func TestGoldenPatches(t *testing.T) {
	sp, err := spec.Parse("sinks.yaml", raspinstrument.DefaultSinks)
	if err != nil {
		t.Fatal(err)
	}
	ctx := goldenContext()
	made := map[string]bool{}
	for _, pkg := range patchedPackages(sp) {
		file := filepath.Join("testdata", "golden", goldenName(pkg))
		made[file] = true
		t.Run(pkg, func(t *testing.T) {
			src := findSource(t, &ctx, pkg)
			got := renderPatched(t, sp.PatchesFor(pkg), src)
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test -update makes it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the patches of %s changed %s:\n%s\nwant\n%s\n(after a change of the spec or of the toolchain, read the difference, then go test -update)", pkg, src.origin, got, want)
			}
		})
	}
	// A golden of a package the spec no longer patches.
	old, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.txtar"))
	for _, file := range old {
		switch {
		case made[file]:
		case *update:
			if err := os.Remove(file); err != nil {
				t.Error(err)
			}
		default:
			t.Errorf("%s: the spec patches no such package (go test -update removes it)", file)
		}
	}
}

// patchedPackages returns the packages the spec patches, in its order.
func patchedPackages(sp *spec.Spec) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range sp.Patches {
		if !seen[p.Pkg] {
			seen[p.Pkg] = true
			out = append(out, p.Pkg)
		}
	}
	return out
}

// goldenName is the golden's file name of a package: its import path
// with _ for /.
func goldenName(pkg string) string { return strings.ReplaceAll(pkg, "/", "_") + ".txtar" }

// source is a package's Go files as the go command would hand them to the
// compiler under goldenContext.
type source struct {
	origin string // where they come from: "go1.26" or "module@version"
	files  []string
	srcs   [][]byte
}

// findSource reads the source of pkg: from GOROOT for the standard
// library, else from the module cache; it skips the test when the module
// cache lacks the package's module.
func findSource(t *testing.T, ctx *build.Context, pkg string) source {
	t.Helper()
	var bp *build.Package
	var origin string
	var err error
	if stdlib.IsPackage(ctx.GOROOT, pkg) {
		tags := build.Default.ReleaseTags
		origin = tags[len(tags)-1]
		bp, err = ctx.Import(pkg, "", 0)
	} else {
		var dir string
		dir, origin = moduleDir(t, pkg)
		bp, err = ctx.ImportDir(dir, 0)
	}
	if err != nil {
		t.Fatal(err)
	}
	s := source{origin: origin}
	for _, name := range bp.GoFiles {
		b, err := os.ReadFile(filepath.Join(bp.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		s.files, s.srcs = append(s.files, name), append(s.srcs, b)
	}
	return s
}

// moduleDir returns the directory of package pkg in the module cache, at
// the version that the programs of testdata/src require directly (the
// highest, if they differ), and "module@version". It skips the test when
// no program requires the package's module or the cache lacks it: the
// integration scripts download it.
func moduleDir(t *testing.T, pkg string) (dir, origin string) {
	t.Helper()
	mod, version := requiredModule(t, pkg)
	if mod == "" {
		t.Skipf("no program of testdata/src requires the module of %s", pkg)
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	origin = mod + "@" + version
	dir = filepath.Join(strings.TrimSpace(string(out)), escapeModulePath(mod)+"@"+version, strings.TrimPrefix(pkg, mod))
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s is not in the module cache (the integration scripts that build testdata/src download it)", origin)
	}
	return dir, origin
}

// requiredModule returns the module of pkg that the go.mod files of
// testdata/src require directly, the longest such module path, and the
// highest version they require.
func requiredModule(t *testing.T, pkg string) (mod, version string) {
	t.Helper()
	gomods, err := filepath.Glob(filepath.Join("..", "..", "testdata", "src", "*", "go.mod"))
	if err != nil || len(gomods) == 0 {
		t.Fatalf("no go.mod in testdata/src: %v", err)
	}
	for _, gomod := range gomods {
		for m, v := range directRequirements(t, gomod) {
			if pkg != m && !strings.HasPrefix(pkg, m+"/") || len(m) < len(mod) {
				continue
			}
			if m != mod || versionLess(version, v) {
				mod, version = m, v
			}
		}
	}
	return mod, version
}

// directRequirements reads the requirements of a go.mod that are not
// marked // indirect: module path -> version.
func directRequirements(t *testing.T, gomod string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	reqs := map[string]string{}
	inBlock := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "require (":
			inBlock = true
			continue
		case inBlock && line == ")":
			inBlock = false
			continue
		case !inBlock && strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inBlock:
			continue
		}
		if f := strings.Fields(line); len(f) >= 2 && !strings.Contains(line, "// indirect") {
			reqs[f[0]] = f[1]
		}
	}
	return reqs
}

// versionLess compares two semantic versions by their numbers, vMAJOR.MINOR.PATCH.
func versionLess(a, b string) bool {
	num := func(v string) []int {
		var out []int
		for _, part := range strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3) {
			digits := strings.FieldsFunc(part, func(r rune) bool { return !unicode.IsDigit(r) })
			n := 0
			if len(digits) > 0 {
				n, _ = strconv.Atoi(digits[0])
			}
			out = append(out, n)
		}
		return out
	}
	na, nb := num(a), num(b)
	for i := 0; i < len(na) && i < len(nb); i++ {
		if na[i] != nb[i] {
			return na[i] < nb[i]
		}
	}
	return len(na) < len(nb)
}

// escapeModulePath spells a module path as the module cache does: each
// upper-case letter as ! and the letter in lower case.
func escapeModulePath(mod string) string {
	var b strings.Builder
	for _, r := range mod {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// renderPatched applies patches to src and renders the golden: a comment
// naming the source, the declarations files the patches add, and one
// section per changed file.
func renderPatched(t *testing.T, patches []patch.Patch, src source) []byte {
	t.Helper()
	changed, _, err := patch.Apply(patches, src.files, src.srcs)
	if err != nil {
		t.Fatal(err)
	}
	ctx := goldenContext()
	ar := &txtar.Archive{Comment: []byte(fmt.Sprintf(
		"The built-in spec's patches of %s, applied to its source in %s (%s/%s):\n"+
			"the declarations files they add, and each line they change, before (-)\n"+
			"and after (+), under its declaration. go test -update rewrites this file.\n",
		patches[0].Pkg, src.origin, ctx.GOOS, ctx.GOARCH))}
	var decls []byte
	for _, p := range patches {
		if p.Decls != "" {
			decls = append(decls, p.Decls+"\n"...)
		}
	}
	if decls != nil {
		ar.Files = append(ar.Files, txtar.File{Name: "decls", Data: decls})
	}
	var changedFiles []int
	for i := range changed {
		changedFiles = append(changedFiles, i)
	}
	sort.Slice(changedFiles, func(a, b int) bool { return src.files[changedFiles[a]] < src.files[changedFiles[b]] })
	for _, i := range changedFiles {
		ar.Files = append(ar.Files, txtar.File{Name: src.files[i], Data: changedLines(t, src.files[i], src.srcs[i], changed[i])})
	}
	return txtar.Format(ar)
}

// changedLines renders the lines of a file that differ between before and
// after, which have as many lines, each pair under a header naming the
// declaration that holds it ("@@ (*DB).QueryContext", "@@ type g").
func changedLines(t *testing.T, name string, before, after []byte) []byte {
	t.Helper()
	old, patched := bytes.Split(before, []byte("\n")), bytes.Split(after, []byte("\n"))
	if len(old) != len(patched) {
		t.Fatalf("the patches changed the line count of %s", name)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, before, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for i := range old {
		if !bytes.Equal(old[i], patched[i]) {
			fmt.Fprintf(&b, "@@ %s\n-%s\n+%s\n", declAt(fset, f, i+1), old[i], patched[i])
		}
	}
	return b.Bytes()
}

// declAt names the top-level declaration of f that holds a line: a
// function as patch.FuncName spells it, or "type NAME".
func declAt(fset *token.FileSet, f *ast.File, line int) string {
	for _, d := range f.Decls {
		if fset.Position(d.Pos()).Line > line || fset.Position(d.End()).Line < line {
			continue
		}
		switch d := d.(type) {
		case *ast.FuncDecl:
			return patch.FuncName(d)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok && fset.Position(ts.Pos()).Line <= line && fset.Position(ts.End()).Line >= line {
					return "type " + ts.Name.Name
				}
			}
		}
	}
	return "(outside any declaration)"
}
