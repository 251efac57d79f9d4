package toolexec

import (
	"go/ast"
	"os/exec"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

// TestCheckFilesLeavesOutBodies: the bodies that spell no call of the spec
// are left out of the check, an import only they used is no error, and the
// bodies that do spell one are checked whole, as are those of a file with a
// dot import.
func TestCheckFilesLeavesOutBodies(t *testing.T) {
	out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}", "os", "strings", "database/sql").Output()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &importCfg{PackageFile: map[string]string{}}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		p, a, _ := strings.Cut(line, "=")
		cfg.PackageFile[p] = a
	}
	sp, err := spec.Load("")
	if err != nil {
		t.Fatal(err)
	}
	a := `package p

import (
	"os"
	"strings"
)

func init() { _ = strings.ToUpper("x") }

func Read(name string) ([]byte, error) { return os.ReadFile(name) }

func Upper(s string) string { return strings.ToUpper(s) }
`
	b := `package p

import . "strings"

func Lower(s string) string { return ToLower(s) }
`
	pkg, err := checkFiles("example.com/p", []string{"a.go", "b.go"}, [][]byte{[]byte(a), []byte(b)}, cfg, "amd64", "go1.26", sp.SpellsCall)
	if err != nil {
		t.Fatalf("checkFiles: %v", err)
	}
	bodies := map[string]*ast.BlockStmt{}
	for _, f := range pkg.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				bodies[fd.Name.Name] = fd.Body
			}
		}
	}
	if bodies["Read"] == nil || bodies["Lower"] == nil {
		t.Error("a body that spells a call of the spec, or one of a file with a dot import, was left out")
	}
	if bodies["Upper"] != nil || bodies["init"] == nil || len(bodies["init"].List) != 0 {
		t.Error("Upper's body should be left out and init's emptied")
	}
	found := false
	for id, obj := range pkg.Info.Uses {
		if id.Name == "ReadFile" && obj.Pkg() != nil && obj.Pkg().Path() == "os" {
			found = true
		}
	}
	if !found {
		t.Error("the call os.ReadFile in a kept body is not resolved")
	}

	// Without stripping, an unused import is still an error.
	bad := "package p\n\nimport \"strings\"\n"
	if _, err := checkFiles("example.com/p", []string{"c.go"}, [][]byte{[]byte(bad)}, cfg, "amd64", "go1.26", nil); err == nil {
		t.Error("an unused import of the program's own was not reported")
	}
}
