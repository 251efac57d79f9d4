package rewrite

import (
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStdPatchesApply applies every patch to this toolchain's standard
// library: a Go release that moved a hooked function must fail here, not
// in a user's build.
func TestStdPatchesApply(t *testing.T) {
	for _, p := range stdPatches {
		bp, err := build.Import(p.Pkg, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		bp.GoFiles = append(bp.GoFiles, bp.CgoFiles...)
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		var srcs [][]byte
		for _, f := range bp.GoFiles {
			name := filepath.Join(bp.Dir, f)
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			files, srcs = append(files, name), append(srcs, b)
		}
		changed, added, err := ApplyStdPatches(bp.Name, []StdPatch{p}, files, srcs)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if want := 1; len(changed) != want && !(p.Func == "" && p.Type == "" && len(changed) == 0) {
			t.Fatalf("%s: %d files changed", p, len(changed))
		}
		if (p.Decls != "") != (len(added) == 1) {
			t.Fatalf("%s: %d files added", p, len(added))
		}
		for i, b := range changed {
			if strings.Count(string(b), "\n") != strings.Count(string(srcs[i]), "\n") {
				t.Errorf("%s: the patch changed the line count of %s", p.Func, files[i])
			}
			if !strings.Contains(string(b), p.Insert) {
				t.Errorf("%s: prologue missing", p.Func)
			}
		}
	}
}

func TestStdPatchMissingFunction(t *testing.T) {
	_, _, err := ApplyStdPatches("net", []StdPatch{{Pkg: "net", Func: "(*sysDialer).gone"}},
		[]string{"dial.go"}, [][]byte{[]byte("package net\nfunc (sd *sysDialer) dialSingle() {}\n")})
	if err == nil || !strings.Contains(err.Error(), "cannot hook net.(*sysDialer).gone") {
		t.Fatalf("err = %v", err)
	}
	_, _, err = ApplyStdPatches("net", []StdPatch{{Pkg: "net", Func: "f", Anchor: "x := 1"}},
		[]string{"f.go"}, [][]byte{[]byte("package net\nfunc f() { y := 2 }\n")})
	if err == nil || !strings.Contains(err.Error(), `the text "x := 1" is not in net.f exactly once`) {
		t.Fatalf("err = %v", err)
	}
}
