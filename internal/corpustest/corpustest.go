// Package corpustest reads the shared payload corpora (../shared/corpus
// beside the repository) for detector tests.
package corpustest

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus directory: shared/corpus next to the directory
// that holds the repository's go.mod. It skips the test when there is none.
func Dir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			c := filepath.Join(filepath.Dir(d), "shared", "corpus")
			if _, err := os.Stat(c); err != nil {
				t.Skipf("corpus not available at %s", c)
			}
			return c
		}
		if filepath.Dir(d) == d {
			t.Skip("corpus not available: no go.mod above the test")
		}
	}
}

// Lines returns the lines of the corpus file rel (e.g. "cmdi/patt-command_exec.txt"), as they are.
func Lines(t testing.TB, rel string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(Dir(t), rel))
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
