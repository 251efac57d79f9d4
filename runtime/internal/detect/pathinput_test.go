package detect

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/span"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// pathShape is one way a path reaches a file sink: at a call site with a
// template (tmpl) or without one (tmpl nil: an entry point such as
// http.ServeFile, or a call the build could not see into), with the
// request's inputs.
type pathShape struct {
	name   string
	tmpl   []string // the template's static segments; nil: no template
	path   string
	inputs []string
	rule   string // "" for no finding
}

func judgeShape(t *testing.T, c pathShape) (Finding, bool) {
	t.Helper()
	s := &callsite.Site{Package: "example.com/app", File: "f.go", Line: 9, Sink: "os.ReadFile", Family: event.FamilyFile}
	if c.tmpl != nil {
		s.Tmpls = []taint.Tmpl{taint.T(0, false, c.tmpl...)}
	}
	var req *reqctx.Request
	if c.inputs != nil {
		ins := make(reqctx.Fixed, len(c.inputs))
		for i, v := range c.inputs {
			ins[i] = taint.Input{Source: "query", Name: "f", Value: v}
		}
		req = reqctx.NewRequest("r", "GET", "/f", "", ins)
	}
	return (templatePath{}).CheckPath(s, 0, c.path, req)
}

func checkShapes(t *testing.T, cases []pathShape) {
	t.Helper()
	for _, c := range cases {
		f, found := judgeShape(t, c)
		if found != (c.rule != "") || found && f.Rule != c.rule {
			t.Errorf("%s: %q (inputs %q) = %+v, %v; want %q", c.name, c.path, c.inputs, f, found, c.rule)
		}
	}
}

func unescapeN(s string, n int) string {
	for i := 0; i < n; i++ {
		s, _ = url.PathUnescape(s)
	}
	return s
}

var (
	whole    = []string{"", ""}                  // os.ReadFile(name)
	varDir   = []string{"", "/uploads/", ""}     // os.ReadFile(s.dir + "/uploads/" + name)
	uploads  = []string{"/srv/app/uploads/", ""} // os.ReadFile("/srv/app/uploads/" + name)
	relTail  = []string{"uploads/", ""}          // os.ReadFile("uploads/" + filepath.Base(name))
	lenient  = func(s string) string { return string(pathguard.AppendDecode(nil, s, "linux")) }
	secretAt = "/srv/app/uploads/"
)

// TestPathShapesDetected: the shapes that must be findings.
func TestPathShapesDetected(t *testing.T) {
	checkShapes(t, []pathShape{
		// A whole absolute path from an input: the user chooses any file.
		{"absolute input /etc/hostname, whole template", whole, "/etc/hostname", nil, pathguard.RuleAbsolute},
		{"absolute input /tmp/pwn.txt, whole template", whole, "/tmp/pwn.txt", nil, pathguard.RuleAbsolute},
		{"absolute input /etc/hostname, no template", nil, "/etc/hostname", []string{"/etc/hostname"}, pathguard.RuleAbsolute},
		{"absolute input /tmp/pwn.txt, no template", nil, "/tmp/pwn.txt", []string{"/tmp/pwn.txt"}, pathguard.RuleAbsolute},
		{"absolute input with a static extension", []string{"", ".txt"}, "/tmp/pwn.txt", []string{"/tmp/pwn"}, pathguard.RuleAbsolute},
		{"directory chosen by an input", nil, "/tmp/x/a.txt", []string{"/tmp/x"}, pathguard.RuleAbsolute},
		// Cleaned before the entry point (http.ServeFile, gin's c.File).
		{"entry /etc/./passwd cleaned", nil, "/etc/passwd", []string{"/etc/./passwd"}, pathguard.RuleSensitive},
		{"entry //etc//passwd cleaned", nil, "/etc/passwd", []string{"//etc//passwd"}, pathguard.RuleSensitive},
		{"entry /proc/self/cwd/../../../../../../../../../../../../../../../../etc/passwd cleaned", nil, "/etc/passwd", []string{"/proc/self/cwd/../../../../../../../../../../../../../../../../etc/passwd"}, pathguard.RuleSensitive},
		{"entry /proc/self/root/etc/passwd resolved", nil, "/etc/passwd", []string{"/proc/self/root/etc/passwd"}, pathguard.RuleSensitive},
		{"entry /tmp/./pwn.txt cleaned", nil, "/tmp/pwn.txt", []string{"/tmp/./pwn.txt"}, pathguard.RuleAbsolute},
		{"entry %2fetc%2fpasswd decoded and cleaned", nil, "/etc/passwd", []string{"%2fetc%2f.%2fpasswd"}, pathguard.RuleSensitive},
		// A variable directory: "/uploads/" is the base of the tail.
		{"variable directory, ../ tail", varDir, "/srv/app/uploads/../secret.txt", nil, pathguard.RuleTraversal},
		{"variable directory, ../ tail, input", varDir, "/srv/app/uploads/../secret.txt", []string{"../secret.txt"}, pathguard.RuleTraversal},
		// Decoded by the handler after its check.
		{"decoded ..%2f, template", varDir, "/srv/app/uploads/" + unescapeN("..%2fsecret.txt", 1), nil, pathguard.RuleTraversal},
		{"decoded ..%2f, no template", nil, secretAt + unescapeN("..%2fsecret.txt", 1), []string{"..%2fsecret.txt"}, pathguard.RuleTraversal},
		{"decoded %2e%2e/, no template", nil, secretAt + unescapeN("%2e%2e/secret.txt", 1), []string{"%2e%2e/secret.txt"}, pathguard.RuleTraversal},
		{"decoded twice %252e%252e%252f, no template", nil, secretAt + unescapeN("%252e%252e%252fsecret.txt", 2), []string{"%252e%252e%252fsecret.txt"}, pathguard.RuleTraversal},
		{"decoded overlong %c0%ae%c0%ae/, no template", nil, secretAt + lenient("%c0%ae%c0%ae/secret.txt"), []string{"%c0%ae%c0%ae/secret.txt"}, pathguard.RuleTraversal},
		{"decoded %u002e%u002e/, no template", nil, secretAt + lenient("%u002e%u002e/secret.txt"), []string{"%u002e%u002e/secret.txt"}, pathguard.RuleTraversal},
		{"decoded twice, variable directory", varDir, "/srv/app/uploads/" + unescapeN("%252e%252e%252fsecret.txt", 2), []string{"%252e%252e%252fsecret.txt"}, pathguard.RuleTraversal},
		// Backslashes on Windows: see TestPathBackslashByOS.
	})
}

// TestPathShapesClean: the shapes that must not be findings.
func TestPathShapesClean(t *testing.T) {
	wd, _ := os.Getwd()
	checkShapes(t, []pathShape{
		{"relative input made absolute by the application", nil, filepath.ToSlash(wd) + "/docs/a.txt", []string{"docs/./a.txt"}, ""},
		{"filepath.Base of ../secret.txt, no template", nil, "uploads/secret.txt", []string{"../secret.txt"}, ""},
		{"filepath.Base of ../secret.txt, template with a dynamic tail", relTail, "uploads/secret.txt", []string{"../secret.txt"}, ""},
		{`..\secret.txt on Linux, template`, uploads, `/srv/app/uploads/..\secret.txt`, nil, ""},
		{`..\secret.txt on Linux, no template`, nil, `/srv/app/uploads/..\secret.txt`, []string{`..\secret.txt`}, ""},
		{"%2e%2e/secret.txt never decoded, template", uploads, "/srv/app/uploads/%2e%2e/secret.txt", nil, ""},
		{"%2e%2e/secret.txt never decoded, no template", nil, "/srv/app/uploads/%2e%2e/secret.txt", []string{"%2e%2e/secret.txt"}, ""},
		{"%2e%2e/secret.txt decoded once from %252e, no template", nil, "/srv/app/uploads/%2e%2e/secret.txt", []string{"%252e%252e/secret.txt"}, ""},
		{"variable directory, clean tail", varDir, "/srv/app/uploads/a.txt", []string{"a.txt"}, ""},
		{"variable directory, outside a request", varDir, "/srv/app/uploads/a.txt", nil, ""},
		{"path+\".tmp\", outside a request", []string{"", ".tmp"}, "/srv/app/data.json.tmp", nil, ""},
		{"path+\".tmp\", inputs elsewhere", []string{"", ".tmp"}, "/srv/app/data.json.tmp", []string{"data.json"}, ""},
		{"variable directory, tail back in", varDir, "/srv/app/uploads/../uploads/a.txt", nil, ""},
		{"relative whole input", whole, "docs/a.txt", nil, ""},
		{"input that is the program's directory", nil, "/app/templates/index.html", []string{"/app"}, ""},
		{"input that is the program's directory, variable directory", varDir, "/app/uploads/a.txt", []string{"/app"}, ""},
		{"entry: input cleaned into a longer path", nil, "/srv/static/etc/passwd", []string{"/etc/./passwd"}, ""},
		{"entry: input a/../b inside", nil, "/srv/docs/b.txt", []string{"a/../b.txt"}, ""},
	})
}

// TestPathAbsoluteInputBases: the policy's path_bases allow absolute
// inputs inside them; outside them the base rule reports.
func TestPathAbsoluteInputBases(t *testing.T) {
	withPolicy(t, policy.Policy{Allow: policy.Allow{PathBases: []string{"/srv/data"}}})
	checkShapes(t, []pathShape{
		{"absolute input inside a base, template", whole, "/srv/data/a.txt", nil, ""},
		{"absolute input inside a base, no template", nil, "/srv/data/a.txt", []string{"/srv/data/a.txt"}, ""},
		{"cleaned absolute input inside a base", nil, "/srv/data/a.txt", []string{"/srv/data/./a.txt"}, ""},
		{"absolute input outside the bases", whole, "/tmp/pwn.txt", nil, pathguard.RuleOutsideBase},
	})
}

// TestClimbingInputNeedsADirectoryToLeave: a cleaned path that an input's
// ".." could have reached is a traversal only if the directory before the
// input's rest has a subdirectory the input could have climbed out of.
func TestClimbingInputNeedsADirectoryToLeave(t *testing.T) {
	dir := t.TempDir()
	flat := filepath.Join(dir, "flat")     // uploads without subdirectories
	nested := filepath.Join(dir, "nested") // uploads with one
	os.MkdirAll(flat, 0o755)
	os.MkdirAll(filepath.Join(nested, "public"), 0o755)
	os.WriteFile(filepath.Join(flat, "secret.txt"), nil, 0o644)
	checkShapes(t, []pathShape{
		{"filepath.Base into a flat directory", nil, flat + "/secret.txt", []string{"../secret.txt"}, ""},
		{"climbed out of public", nil, nested + "/secret.txt", []string{"../secret.txt"}, pathguard.RuleTraversal},
		{"climbed out, decoded", nil, nested + "/secret.txt", []string{"..%2fsecret.txt"}, pathguard.RuleTraversal},
		{"climbed out, double-encoded", nil, nested + "/secret.txt", []string{"%252e%252e%252fsecret.txt"}, pathguard.RuleTraversal},
		{"climbed out, overlong", nil, nested + "/secret.txt", []string{"%c0%ae%c0%ae/secret.txt"}, pathguard.RuleTraversal},
		{"directory that does not exist", nil, dir + "/none/secret.txt", []string{"../secret.txt"}, ""},
		{"climbed to the root", nil, "/etc/hostname", []string{"../../../../etc/hostname"}, pathguard.RuleTraversal},
		{"backslashes do not climb on Linux", nil, nested + "/secret.txt", []string{`..\secret.txt`}, ""},
	})
	req := reqctx.NewRequest("r", "GET", "/", "", reqctx.Fixed{{Value: "../../../etc/passwd"}, {Value: "a/../b.txt"}})
	if in := climbingInput(req, "/etc/passwd"); in == nil {
		t.Errorf("a cleaned traversal was not found")
	}
}

// TestPathBackslashByOS: a backslash separates on Windows only.
func TestPathBackslashByOS(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "uploads"), 0o755)
	for _, c := range []struct {
		name, goos, path string
		inputs           []string
		rule             string
	}{
		{`..\ in the path, linux`, "linux", `/srv/app/uploads/..\secret.txt`, []string{`..\secret.txt`}, ""},
		{`..\ in the path, darwin`, "darwin", `/srv/app/uploads/..\secret.txt`, []string{`..\secret.txt`}, ""},
		{`..\ in the path, windows`, "windows", `/srv/app/uploads/..\secret.txt`, []string{`..\secret.txt`}, pathguard.RuleTraversal},
		{`..\ cleaned away, linux`, "linux", dir + "/secret.txt", []string{`..\secret.txt`}, ""},
		{`..\ cleaned away, windows`, "windows", dir + "/secret.txt", []string{`..\secret.txt`}, pathguard.RuleTraversal},
		{`..%5c decoded, linux`, "linux", `/srv/app/uploads/..\secret.txt`, []string{`..%5csecret.txt`}, ""},
		{`..%5c decoded, windows`, "windows", `/srv/app/uploads/..\secret.txt`, []string{`..%5csecret.txt`}, pathguard.RuleTraversal},
		{`C:\ input cleaned, windows`, "windows", `C:\Windows\win.ini`, []string{`C:\Windows\.\win.ini`}, pathguard.RuleAbsolute},
	} {
		ins := make(reqctx.Fixed, len(c.inputs))
		for i, v := range c.inputs {
			ins[i] = taint.Input{Value: v}
		}
		f, found := pathInputFindingOS(reqctx.NewRequest("r", "GET", "/", "", ins), c.path, nil, c.goos, false)
		if found != (c.rule != "") || found && f.Rule != c.rule {
			t.Errorf("%s: %q = %+v, %v; want %q", c.name, c.path, f, found, c.rule)
		}
	}
	tp := &callsite.Site{Tmpls: []taint.Tmpl{taint.T(0, false, "/srv/app/uploads/", "")}}
	p := `/srv/app/uploads/..\secret.txt`
	var buf [taint.MaxSpans]span.Span
	n, _ := tp.Template(0).Spans(p, &buf)
	for goos, want := range map[string]bool{"linux": false, "darwin": false, "windows": true} {
		if _, found := pathguard.CheckOSLink(p, []span.Span{buf[n-1]}, nil, goos, false); found != want {
			t.Errorf("template, %s: found %v, want %v", goos, found, want)
		}
	}
}

// TestPathInRequestZeroAlloc: a path judged by a request's inputs, none
// of which is in it, costs no allocation, whatever forms they have.
func TestPathInRequestZeroAlloc(t *testing.T) {
	req := reqctx.NewRequest("r", "GET", "/", "", reqctx.Fixed{{Value: "a%2Fb"}, {Value: "..%2fx"}, {Value: "/etc/x"}, {Value: "%c0%ae%c0%ae/"}, {Value: "garden tools"}})
	req.Inputs()
	s := &callsite.Site{Package: "example.com/app", File: "f.go", Line: 9, Sink: "os.Open", Family: event.FamilyFile}
	if n := testing.AllocsPerRun(100, func() { (templatePath{}).CheckPath(s, 0, "/srv/app/static/logo.png", req) }); n != 0 {
		t.Errorf("allocs = %v", n)
	}
}

// BenchmarkPathInRequest is what a file open pays inside a request whose
// inputs are not in the path (no template, as at an entry point).
func BenchmarkPathInRequest(b *testing.B) {
	in := reqctx.Fixed{{Source: "query", Name: "page", Value: "2"}, {Source: "query", Name: "sort", Value: "name"}, {Source: "query", Name: "q", Value: "garden tools"},
		{Source: "header", Name: "User-Agent", Value: "Mozilla/5.0 (X11; Linux x86_64)"}, {Source: "cookie", Name: "session", Value: "3f2a9c0e1b"},
		{Source: "path", Name: "0", Value: "products"}, {Source: "query", Name: "lang", Value: "en-GB"}, {Source: "query", Name: "ids", Value: "1,2,3"}, {Source: "header", Name: "Referer", Value: "https://shop.example/"}, {Source: "query", Name: "x", Value: "a%2Fb"}}
	req := reqctx.NewRequest("r", "GET", "/products", "127.0.0.1", in)
	s := &callsite.Site{Package: "example.com/app", File: "f.go", Line: 9, Sink: "os.Open", Family: event.FamilyFile}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, found := (templatePath{}).CheckPath(s, 0, "/srv/app/static/logo.png", req); found {
			b.Fatal("found")
		}
	}
}

// TestPathAbsoluteRuleKnown: the new rule is listed, so a policy may set
// its mode.
func TestPathAbsoluteRuleKnown(t *testing.T) {
	known := false
	for _, r := range policy.KnownRules() {
		known = known || r == pathguard.RuleAbsolute
	}
	if !known {
		t.Fatalf("%s is not in KnownRules", pathguard.RuleAbsolute)
	}
	withPolicy(t, policy.Policy{Rules: map[string]string{pathguard.RuleAbsolute: "detect"}})
	if m := judge.CurrentPolicy().RuleMode(pathguard.RuleAbsolute, policy.ModeBlock); m != policy.ModeDetect {
		t.Errorf("mode = %v", m)
	}
}

// TestPathJoinRoot: filepath.Join("/", name) is a finding when a request
// input is name, not when name is the program's own.
func TestPathJoinRoot(t *testing.T) {
	s := &callsite.Site{Package: "example.com/app", File: "f.go", Line: 9, Sink: "os.ReadFile", Family: event.FamilyFile,
		Tmpls: []taint.Tmpl{taint.T(0, true, "/", "")}}
	if f, found := (templatePath{}).CheckPath(s, 0, "/srv/app/config.yaml", nil); found {
		t.Errorf("outside a request: %+v", f)
	}
	req := reqctx.NewRequest("r", "GET", "/", "", reqctx.Fixed{{Value: "tmp/pwn.txt"}})
	if f, found := (templatePath{}).CheckPath(s, 0, "/tmp/pwn.txt", req); !found || f.Rule != pathguard.RuleAbsolute || f.Input == nil {
		t.Errorf("an input under the root: %+v %v", f, found)
	}
}
