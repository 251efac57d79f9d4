// Package corpustest reads the public payload corpora that the detector
// tests use. They live in the repository, in testdata/corpus, each with
// its source and licence (testdata/corpus/README.md); a test that needs
// one fails when it is missing, so that a run can never pass by skipping
// its accuracy tables.
package corpustest

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus directory, testdata/corpus beside the go.mod of
// the repository that holds the test.
func Dir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			c := filepath.Join(d, "testdata", "corpus")
			if _, err := os.Stat(c); err != nil {
				t.Fatalf("the payload corpus is missing: %v (it is part of the repository; restore testdata/corpus)", err)
			}
			return c
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s: cannot find testdata/corpus", wd)
		}
	}
}

// Path returns the path of the corpus file or directory rel (e.g.
// "benign/blns.txt"), failing the test when it does not exist.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Dir(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("corpus: %v", err)
	}
	return p
}

// Glob returns the corpus files matching pattern (e.g. "cmdi/*.txt"),
// failing the test when there are none.
func Glob(t testing.TB, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(Dir(t), filepath.FromSlash(pattern)))
	if err != nil || len(files) == 0 {
		t.Fatalf("corpus: no file matches %s (%v)", pattern, err)
	}
	return files
}

// Lines returns the lines of the corpus file rel (e.g.
// "cmdi/patt-command_exec.txt"), as they are.
func Lines(t testing.TB, rel string) []string {
	t.Helper()
	f, err := os.Open(Path(t, rel))
	if err != nil {
		t.Fatal(err)
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
