package patch

import (
	"go/parser"
	"go/token"
	"io/fs"
	"strings"
	"testing"
)

func TestMissingFunction(t *testing.T) {
	_, _, err := Apply([]Patch{{Pkg: "net", Func: "(*sysDialer).gone"}},
		[]string{"dial.go"}, [][]byte{[]byte("package net\nfunc (sd *sysDialer) dialSingle() {}\n")})
	if err == nil || !strings.Contains(err.Error(), "cannot hook net.(*sysDialer).gone") {
		t.Fatalf("err = %v", err)
	}
	_, _, err = Apply([]Patch{{Pkg: "net", Func: "f", Anchor: "x := 1"}},
		[]string{"f.go"}, [][]byte{[]byte("package net\nfunc f() { y := 2 }\n")})
	if err == nil || !strings.Contains(err.Error(), `the text "x := 1" is not in net.f exactly once`) {
		t.Fatalf("err = %v", err)
	}
}

func TestApply(t *testing.T) {
	src := "package p\n\ntype g struct {\n\ta int\n}\n\nfunc (x *T) m(ctx int) {\n\ty := 1\n\t_ = y\n}\n"
	changed, added, err := Apply([]Patch{
		{Pkg: "p", Func: "(*T).m", Insert: "hook(ctx); "},
		{Pkg: "p", Func: "(*T).m", Anchor: "y := 1", Insert: "; y++"},
		{Pkg: "p", Type: "g", Insert: "b int; "},
		{Pkg: "p", Func: "gone", Optional: true, Decls: "os.go"},
	}, []string{"p.go"}, [][]byte{[]byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	want := "package p\n\ntype g struct {\n\ta int\nb int; }\n\nfunc (x *T) m(ctx int) {hook(ctx); \n\ty := 1; y++\n\t_ = y\n}\n"
	if got := string(changed[0]); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if len(added) != 1 || !strings.Contains(string(added[0]), "package os") {
		t.Errorf("added = %q", added)
	}
}

// TestDeclsFiles: every declarations file parses, and carries the build
// tag that keeps it out of the tool's own build.
func TestDeclsFiles(t *testing.T) {
	names, err := fs.Glob(decls, "decls/*.go")
	if err != nil || len(names) == 0 {
		t.Fatalf("no declarations files: %v", err)
	}
	for _, name := range names {
		b, _ := decls.ReadFile(name)
		if !strings.HasPrefix(string(b), "//go:build rasp_decls\n") {
			t.Errorf("%s lacks //go:build rasp_decls on its first line", name)
		}
		if _, err := parser.ParseFile(token.NewFileSet(), name, b, 0); err != nil {
			t.Error(err)
		}
	}
}

func TestLinkedDecls(t *testing.T) {
	got := strings.Join(LinkedDecls(), " ")
	if got != "database_sql.go exithook.go net.go os.go runtime.go syscall.go" {
		t.Errorf("LinkedDecls = %s", got)
	}
}
