package pathguard

import (
	"os"
	"path/filepath"
	"testing"
)

// linkTree makes root/data (the directory a program serves) with links in
// it, and root/outside/secret.txt.
func linkTree(t testing.TB) (data, outside string) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, outside = filepath.Join(root, "data"), filepath.Join(root, "outside")
	for _, d := range []string{data + "/docs/sub", outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{outside + "/secret.txt", data + "/docs/readme.txt"} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"link":     "../outside",         // relative, out
		"abslink":  outside,              // absolute, out
		"inner":    "docs",               // relative, in
		"absinner": data + "/docs",       // absolute, in
		"dangle":   outside + "/new.txt", // dangling, out
		"chain":    "inner/../link",      // a link through a link, out
		"docs/up":  "../../outside/secret.txt",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(data, name)); err != nil {
			t.Fatal(err)
		}
	}
	return data, outside
}

func TestSymlinkEscape(t *testing.T) {
	data, _ := linkTree(t)
	cases := []struct {
		name, rel string
		noFollow  bool
		want      string
	}{
		{"relative link out", "link/secret.txt", false, RuleSymlink},
		{"absolute link out", "abslink/secret.txt", false, RuleSymlink},
		{"dangling link, created through", "dangle", false, RuleSymlink},
		{"link to a link", "chain/secret.txt", false, RuleSymlink},
		{"file link out", "docs/up", false, RuleSymlink},
		{"the link itself, followed", "link", false, RuleSymlink},
		{"the link itself, removed", "link", true, ""},
		{"a file below the link, removed", "link/secret.txt", true, RuleSymlink},
		{"in-tree relative link", "inner/readme.txt", false, ""},
		{"in-tree absolute link", "absinner/readme.txt", false, ""},
		{"in-tree link, missing file", "inner/new.txt", false, ""},
		{"plain file", "docs/readme.txt", false, ""},
		{"missing directory", "nope/x/y", false, ""},
		{"dot dot inside", "docs/sub/../readme.txt", false, ""},
	}
	for _, c := range cases {
		p := data + "/" + c.rel
		dyn := []Span{{Start: len(data) + 1, End: len(p)}}
		f, bad := check(p, dyn, nil, false, c.noFollow)
		got := ""
		if bad {
			got = f.Rule
		}
		if got != c.want {
			t.Errorf("%s: %q: got %q, want %q", c.name, p, got, c.want)
		}
		// Without a dynamic part, nothing is resolved or judged.
		if _, bad := check(p, nil, nil, false, c.noFollow); bad {
			t.Errorf("%s: a static path was judged", c.name)
		}
	}
}

func TestSymlinkBases(t *testing.T) {
	data, outside := linkTree(t)
	bases := []string{data}
	p := data + "/link/secret.txt"
	// The whole path dynamic: no directory written before it, the bases
	// judge where it leads.
	whole := []Span{{Start: 0, End: len(p)}}
	if f, bad := Check(p, whole, bases); !bad || f.Rule != RuleOutsideBase {
		t.Errorf("through a link out of the base: %+v %v", f, bad)
	}
	in := data + "/inner/readme.txt"
	if f, bad := Check(in, []Span{{Start: 0, End: len(in)}}, bases); bad {
		t.Errorf("in-tree link: %+v", f)
	}
	if f, bad := Check(p, whole, []string{data, outside}); bad {
		t.Errorf("both bases allowed: %+v", f)
	}
}

func TestSensitiveHome(t *testing.T) {
	home := processHome()
	cases := []struct {
		p    string
		want bool
	}{
		{"/root/.ssh/id_rsa", true},
		{"/home/bob/.ssh/authorized_keys", true},
		{"/home/bob/.aws/credentials", true},
		{"/root/.kube/config", true},
		{"/etc/shadow", true},
		{"/proc/self/environ", true},
		{"/srv/files/dotfiles/.ssh/authorized_keys", false},
		{"/srv/files/bob/.aws/credentials", false},
		{"/home/bob/projects/.ssh/notes", false},
		{"/home/.ssh", false},
		{"/var/www/.netrc", false},
	}
	if home != "" && home != "/" {
		cases = append(cases, struct {
			p    string
			want bool
		}{home + "/.ssh/id_ed25519", true}, struct {
			p    string
			want bool
		}{home + "/data/.ssh/id_ed25519", false})
	}
	for _, c := range cases {
		if got := isSensitive(c.p); got != c.want {
			t.Errorf("isSensitive(%q) = %v, want %v", c.p, got, c.want)
		}
	}
	p := "/srv/files/dotfiles/.ssh/authorized_keys"
	if f, bad := Check(p, []Span{{Start: len("/srv/files/"), End: len(p)}}, nil); bad {
		t.Errorf("a user's dotfiles inside the served directory: %+v", f)
	}
}

func TestSymlinkNoAlloc(t *testing.T) {
	data, _ := linkTree(t)
	p := data + "/docs/readme.txt"
	dyn := []Span{{Start: len(data) + 1, End: len(p)}}
	if n := testing.AllocsPerRun(100, func() { Check(p, dyn, nil) }); n != 0 {
		t.Errorf("Check of an existing path: allocs = %v", n)
	}
	bases := []string{data}
	if n := testing.AllocsPerRun(100, func() { Check(p, dyn, bases) }); n != 0 {
		t.Errorf("Check with bases: allocs = %v", n)
	}
	q := data + "/inner/readme.txt"
	if n := testing.AllocsPerRun(100, func() { Check(q, []Span{{Start: len(data) + 1, End: len(q)}}, nil) }); n != 0 {
		t.Errorf("Check through an in-tree link: allocs = %v", n)
	}
}

// BenchmarkCheckExisting judges a path whose directories exist: the
// symbolic links of the directory and of the dynamic part are read.
func BenchmarkCheckExisting(b *testing.B) {
	data, _ := linkTree(b)
	p := data + "/docs/readme.txt"
	dyn := []Span{{Start: len(data) + 1, End: len(p)}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Check(p, dyn, nil)
	}
}

// BenchmarkCheckExistingBases is BenchmarkCheckExisting with a base.
func BenchmarkCheckExistingBases(b *testing.B) {
	data, _ := linkTree(b)
	p := data + "/docs/readme.txt"
	dyn := []Span{{Start: len(data) + 1, End: len(p)}}
	bases := []string{data}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Check(p, dyn, bases)
	}
}
