package patch

import (
	"bytes"
	"os"
	"path"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rasp-instrument/rasp-instrument/rewrite/patch/internal/pulls"
)

// TestPulls: the runtime's generated //go:linkname pulls (pulls_std.go and
// pulls_std.s of each pulling package) are what the declarations files'
// //rasp:pull directives make of them, and no package keeps the generated
// files of pulls it no longer has.
func TestPulls(t *testing.T) {
	pushes, err := pulls.Read(decls, "decls")
	if err != nil {
		t.Fatalf("the declarations files: %v", err)
	}
	root := os.DirFS("../..")
	want, err := pulls.Files(pushes, root)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		got, err := os.ReadFile(path.Join("../..", p))
		switch {
		case err != nil:
			t.Errorf("%s: %v; run %s", p, err, pulls.Regenerate)
		case !bytes.Equal(got, want[p]):
			t.Errorf("%s is stale: run %s", p, pulls.Regenerate)
		}
	}
	old, err := pulls.Generated(root, "runtime")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range old {
		if want[p] == nil {
			t.Errorf("%s pulls nothing the declarations push: run %s", p, pulls.Regenerate)
		}
	}
}

// TestPullsFromDecls: what the generator makes of a declarations file,
// and the mistakes it refuses.
func TestPullsFromDecls(t *testing.T) {
	const decl = "//go:build rasp_decls\n\npackage sql // import \"database/sql\"\n\n" +
		"import (\n\t\"context\"\n\tdrv \"database/sql/driver\"\n\t_ \"unsafe\"\n)\n\n"
	root := fstest.MapFS{"runtime/x/x.go": {Data: []byte("package xhook\n")}}
	fsys := fstest.MapFS{"decls/a.go": {Data: []byte(decl +
		"//go:linkname __rasp_set\n//rasp:pull runtime/x set\n" +
		"func __rasp_set(h func(ctx context.Context, d drv.Driver, n int) error, tx *Tx) {}\n")}}
	pushes, err := pulls.Read(fsys, "decls")
	if err != nil {
		t.Fatal(err)
	}
	files, err := pulls.Files(pushes, root)
	if err != nil {
		t.Fatal(err)
	}
	got := string(files["runtime/x/pulls_std.go"])
	for _, w := range []string{
		pulls.Header + "\n\n//go:build rasp_std\n\npackage xhook\n",
		"import (\n\t\"context\"\n\t\"database/sql\"\n\tdrv \"database/sql/driver\"\n\t_ \"unsafe\" // for go:linkname\n)\n",
		"//go:linkname set database/sql.__rasp_set\nfunc set(h func(ctx context.Context, d drv.Driver, n int) error, tx *sql.Tx)\n",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("pulls_std.go lacks\n%s\nin\n%s", w, got)
		}
	}
	if !strings.HasPrefix(string(files["runtime/x/pulls_std.s"]), pulls.Header+"\n\n//go:build rasp_std\n") {
		t.Errorf("pulls_std.s = %s", files["runtime/x/pulls_std.s"])
	}

	for _, tc := range []struct{ name, src, want string }{
		{"no pull", decl + "//go:linkname __rasp_f\nfunc __rasp_f() {}\n", "pulled by no runtime package"},
		{"no import path", strings.Replace(decl, ` // import "database/sql"`, "", 1) +
			"//go:linkname __rasp_f\n//rasp:pull runtime/x f\nfunc __rasp_f() {}\n", "names no import path"},
		{"stray pull", decl + "//rasp:pull runtime/x f\nfunc __rasp_f() {}\n", "not in the doc comment of a function pushed"},
		{"bad pull", decl + "//go:linkname __rasp_f\n//rasp:pull x F\nfunc __rasp_f() {}\n", "want //rasp:pull DIR NAME"},
		{"twice", decl + "//go:linkname __rasp_f\n//rasp:pull runtime/x f\nfunc __rasp_f() {}\n" +
			"//go:linkname __rasp_g\n//rasp:pull runtime/x f\nfunc __rasp_g() {}\n", "both pulled as runtime/x.f"},
	} {
		pushes, err := pulls.Read(fstest.MapFS{"decls/a.go": {Data: []byte(tc.src)}}, "decls")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		if len(pushes) == 0 && tc.name != "stray pull" {
			t.Errorf("%s: the push is lost", tc.name)
		}
	}
	pushes, _ = pulls.Read(fstest.MapFS{"decls/a.go": {Data: []byte(decl +
		"//go:linkname __rasp_f\n//rasp:pull runtime/x f\nfunc __rasp_f(c *conn) {}\n")}}, "decls")
	if _, err := pulls.Files(pushes, root); err == nil || !strings.Contains(err.Error(), "conn, which is unexported in database/sql") {
		t.Errorf("an unexported type: err = %v", err)
	}
}
