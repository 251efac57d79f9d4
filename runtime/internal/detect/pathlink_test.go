package detect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
)

// served makes a served directory with a link out of it and one inside.
func served(t *testing.T) string {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(root, "data")
	for _, d := range []string{data + "/docs", data + "/dotfiles/.ssh", root + "/outside"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{root + "/outside/secret.txt", data + "/docs/a.txt", data + "/dotfiles/.ssh/authorized_keys"} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../outside", data+"/link"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("docs", data+"/inner"); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestPathThroughSymlink(t *testing.T) {
	data := served(t)
	join := &callsite.Site{Sink: "os.Open", Tmpls: []taint.Tmpl{taint.T(0, true, "", "")}}              // filepath.Join(root, name)
	concat := &callsite.Site{Sink: "os.Open", Tmpls: []taint.Tmpl{taint.T(0, false, "", "/data/", "")}} // root + "/data/" + name
	remove := &callsite.Site{Sink: "os.Remove", Tmpls: []taint.Tmpl{taint.T(0, true, "", "")}}
	opaque := &callsite.Site{Sink: "os.Open"}
	req := func(v string) *reqctx.Request {
		return reqctx.NewRequest("r", "GET", "/raw", "", reqctx.Fixed{{Source: "query", Name: "path", Value: v}})
	}
	cases := []struct {
		name  string
		site  *callsite.Site
		input string // "" outside a request
		rel   string
		want  string
	}{
		{"join, input through a link", join, "link/secret.txt", "link/secret.txt", pathguard.RuleSymlink},
		{"join, backslash turned by the app", join, `link\secret.txt`, "link/secret.txt", pathguard.RuleSymlink},
		{"opaque, input through a link", opaque, "link/secret.txt", "link/secret.txt", pathguard.RuleSymlink},
		{"concat, template alone, no request", concat, "", "link/secret.txt", pathguard.RuleSymlink},
		{"join, in-tree link", join, "inner/a.txt", "inner/a.txt", ""},
		{"join, ordinary file", join, "docs/a.txt", "docs/a.txt", ""},
		{"join, a user's dotfiles", join, "dotfiles/.ssh/authorized_keys", "dotfiles/.ssh/authorized_keys", ""},
		{"opaque, a user's dotfiles", opaque, "dotfiles/.ssh/authorized_keys", "dotfiles/.ssh/authorized_keys", ""},
		{"remove the link itself", remove, "link", "link", ""},
		{"a word names the link", join, "link", "link", pathguard.RuleSymlink},
		{"a word names a file", join, "docs", "docs", ""},
		{"remove below the link", remove, "link/secret.txt", "link/secret.txt", pathguard.RuleSymlink},
	}
	for _, c := range cases {
		var r *reqctx.Request
		if c.input != "" {
			r = req(c.input)
		}
		f, found := templatePath{}.CheckPath(c.site, 0, data+"/"+c.rel, r)
		got := ""
		if found {
			got = f.Rule
		}
		if got != c.want {
			t.Errorf("%s: got %q (%+v), want %q", c.name, got, f, c.want)
		}
		if found && c.input != "" && (f.Input == nil || f.Input.Value != c.input) {
			t.Errorf("%s: the finding names input %+v", c.name, f.Input)
		}
	}
}

func TestNulByteOutsideRequest(t *testing.T) {
	p := "/tmp/x\x00y"
	for _, s := range []*callsite.Site{
		{Sink: "os.Open"},
		{Sink: "os.Open", Tmpls: []taint.Tmpl{taint.T(0, false, "/tmp/", "")}},
		{Sink: "os.Open", Tmpls: []taint.Tmpl{taint.T(0, true, "", "")}},
	} {
		if f, found := (templatePath{}).CheckPath(s, 0, p, nil); found {
			t.Errorf("%v: a NUL byte outside a request is a finding: %+v", s.Tmpls, f)
		}
		r := reqctx.NewRequest("r", "GET", "/", "", reqctx.Fixed{{Source: "query", Name: "f", Value: "x\x00y"}})
		if f, found := (templatePath{}).CheckPath(s, 0, p, r); !found || f.Rule != pathguard.RuleNulByte {
			t.Errorf("%v: a NUL byte from a request input: %+v %v", s.Tmpls, f, found)
		}
	}
}
