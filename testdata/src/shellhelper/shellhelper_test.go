package shellhelper_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"example.com/shellhelper"
)

// An external test package with sink calls of its own.
func TestReadAll(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.txt")
	if err := os.WriteFile(p, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := shellhelper.ReadAll(p)
	if err != nil || len(got) != 1 || string(got[0]) != "a" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
}

func TestRunner(t *testing.T) {
	out, err := shellhelper.NewRunner().Shell("echo runner")
	if err != nil || strings.TrimSpace(out) != "runner" {
		t.Fatalf("Shell = %q, %v", out, err)
	}
}
