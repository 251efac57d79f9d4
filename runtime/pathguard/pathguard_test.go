package pathguard

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rasp-instrument/rasp-instrument/internal/corpustest"
)

// ---- Ground truth, written independently of the detector: regular
// expressions for the decodings, path.Clean for the resolution.

var (
	gtPct  = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
	gtPctU = regexp.MustCompile(`%[uU][0-9a-fA-F]{4}`)
)

// gtDecode is what an application that undoes every encoding makes of s,
// on Windows (backslashes become '/').
func gtDecode(s string) string { return strings.ReplaceAll(gtDecodeRaw(s), `\`, "/") }

// gtDecodeRaw is gtDecode with backslashes kept.
func gtDecodeRaw(s string) string {
	for k := 0; k < 6; k++ {
		prev := s
		s = gtPct.ReplaceAllStringFunc(s, func(m string) string {
			v, _ := strconv.ParseUint(m[1:], 16, 8)
			return string([]byte{byte(v)})
		})
		s = gtPctU.ReplaceAllStringFunc(s, func(m string) string {
			v, _ := strconv.ParseUint(m[2:], 16, 32)
			return string(rune(v))
		})
		s = gtOverlong(s)
		// NFKC forms of '.', '/', '\'.
		s = strings.NewReplacer("．", ".", "／", "/", "＼", `\`, "․", ".", "﹒", ".", "﹨", `\`).Replace(s)
		if s == prev {
			break
		}
	}
	return s
}

// gtOverlong replaces strict overlong UTF-8 encodings (all continuation
// bytes 10xxxxxx) of '.', '/' and '\' by the ASCII byte.
func gtOverlong(s string) string {
	var out []byte
	for i := 0; i < len(s); i++ {
		n := 0
		switch {
		case s[i]&0xfe == 0xc0:
			n = 2
		case s[i] == 0xe0:
			n = 3
		case s[i] == 0xf0:
			n = 4
		case s[i] == 0xf8:
			n = 5
		case s[i] == 0xfc:
			n = 6
		}
		if n > 0 && i+n <= len(s) {
			v, ok := uint32(s[i]&(0x7f>>n)), true
			for k := 1; k < n; k++ {
				ok = ok && s[i+k]&0xc0 == 0x80
				v = v<<6 | uint32(s[i+k]&0x3f)
			}
			if ok && (v == '.' || v == '/' || v == '\\') {
				out = append(out, byte(v))
				i += n - 1
				continue
			}
		}
		out = append(out, s[i])
	}
	return string(out)
}

type tmpl struct {
	name, prefix, suffix string
}

var tmpls = []tmpl{
	{"abs-prefix", "/app/uploads/", ""},
	{"rel-prefix", "uploads/", ""},
	{"abs-prefix-ext", "/srv/data/", ".txt"},
}

// gtEscapes reports whether prefix+v+suffix, as the kernel of goos
// resolves it, leaves the prefix's directory; decoded: the application
// undid every encoding of v first.
func gtEscapes(tp tmpl, v string, goos string, decoded bool) bool {
	wd := workDir()
	dir := path.Clean(tp.prefix)
	if !path.IsAbs(dir) {
		dir = path.Join(wd, dir)
	}
	if decoded {
		v = gtDecodeRaw(v)
	}
	full := tp.prefix + v + tp.suffix
	if goos == "windows" {
		full = strings.ReplaceAll(full, `\`, "/")
	}
	if !path.IsAbs(full) {
		full = path.Join(wd, full)
	}
	c := path.Clean(full)
	return !(c == dir || strings.HasPrefix(c, dir+"/"))
}

// TestTraversalCorpus judges every payload of the corpora at three call
// sites, on Linux and on Windows, twice: as sent (the path holds the
// payload as it came) and decoded by the application (the path holds the
// payload with every encoding undone, as an application that unescapes
// its input would build it). The ground truth is path.Clean of what the
// kernel receives.
func TestTraversalCorpus(t *testing.T) {
	files := corpustest.Glob(t, "traversal/*.txt")
	for _, f := range files {
		lines := corpustest.Lines(t, "traversal/"+filepath.Base(f))
		for _, goos := range []string{"linux", "windows"} {
			for _, decoded := range []bool{false, true} {
				mode := "as sent"
				if decoded {
					mode = "decoded by the application"
				}
				var must, det, missed, extra int
				extraRules := map[string]int{}
				for _, tp := range tmpls {
					for _, v := range lines {
						if v == "" {
							continue
						}
						v = strings.ReplaceAll(v, "{FILE}", "etc/passwd")
						sent := v
						if decoded {
							sent = gtDecodeRaw(v)
						}
						p := tp.prefix + sent + tp.suffix
						fd, got := CheckOS(p, []Span{{Start: len(tp.prefix), End: len(tp.prefix) + len(sent)}}, nil, goos)
						if gtEscapes(tp, v, goos, decoded) || strings.IndexByte(sent, 0) >= 0 {
							must++
							if got {
								det++
							} else {
								missed++
								if missed <= 5 {
									t.Logf("missed [%s %s %s] %q", goos, mode, tp.name, sent)
								}
							}
						} else if got {
							extra++
							extraRules[fd.Rule]++
							if extra <= 3 {
								t.Logf("flagged, not escaping by ground truth [%s %s %s] %q", goos, mode, tp.name, sent)
							}
						}
					}
				}
				t.Logf("%s [%s, %s]: %d lines x %d templates: must-detect %d, detected %d, missed %d, flagged-without-escape %d %v",
					filepath.Base(f), goos, mode, len(lines), len(tmpls), must, det, missed, extra, extraRules)
				if must > 0 && float64(det) < 0.99*float64(must) {
					t.Errorf("%s [%s, %s]: detection %d/%d below 99%%", filepath.Base(f), goos, mode, det, must)
				}
				if extra > 0 {
					t.Errorf("%s [%s, %s]: %d flagged without escaping", filepath.Base(f), goos, mode, extra)
				}
			}
		}
	}
}

// blnsTraversals are lines of the big list of naughty strings that are
// themselves path traversals.
var blnsTraversals = map[string]string{
	"../../../../../../../../../../../etc/passwd%00": "climbs out of any directory to /etc/passwd (with %00 truncation)",
	"../../../../../../../../../../../etc/hosts":     "climbs out of any directory to /etc/hosts",
}

func TestBenignBLNS(t *testing.T) {
	var fp, excluded, n int
	for _, v := range corpustest.Lines(t, "benign/blns.txt") {
		if v == "" || strings.HasPrefix(v, "#") {
			continue
		}
		n++
		for _, tp := range tmpls {
			p := tp.prefix + v + tp.suffix
			f, bad := Check(p, []Span{{Start: len(tp.prefix), End: len(tp.prefix) + len(v)}}, []string{"/app", "/srv/data", workDir()})
			if _, ok := blnsTraversals[v]; ok {
				excluded++
				if !bad {
					t.Errorf("reviewed traversal %q not reported", v)
				}
				continue
			}
			if gtEscapes(tp, v, runtime.GOOS, false) {
				t.Errorf("unreviewed escaping line %q", v)
			}
			if bad {
				fp++
				t.Errorf("FP [%s] %q: %+v", tp.name, p, f)
			}
		}
	}
	t.Logf("blns as file names: %d lines x %d templates, FP %d, excluded (reviewed traversals) %d", n, len(tmpls), fp, excluded)
}

func TestCheckCases(t *testing.T) {
	wd := workDir()
	cases := []struct {
		name        string
		pre, v, suf string
		goos        string // "" for both linux and windows
		bases       []string
		rule        string
	}{
		{"plain name", "/app/uploads/", "photo.jpg", "", "", nil, ""},
		{"dot-dot inside", "/app/uploads/", "a/../b.jpg", "", "", nil, ""},
		{"dot-dot back in", "/app/uploads/", "../uploads/b.jpg", "", "", nil, ""},
		{"dot-dot out", "/app/uploads/", "../../etc/passwd", "", "", nil, RuleTraversal},
		// Encodings reach the kernel as they are: file names.
		{"..%2f as sent is a name", "/app/uploads/", "..%2f..%2fetc%2fpasswd", "", "", nil, ""},
		{"%2e%2e as sent is a name", "/app/uploads/", "%2e%2e/%2e%2e/x", "", "", nil, ""},
		{"%2e%2e/secret.txt as sent is a name", "/app/uploads/", "%2e%2e/secret.txt", "", "", nil, ""},
		{"double encoding as sent is a name", "/app/uploads/", "%252e%252e%252fx", "", "", nil, ""},
		{"overlong UTF-8 as sent is a name", "/app/uploads/", "..%c0%af..%c0%afx", "", "", nil, ""},
		{"fullwidth dots are a name", "/app/uploads/", "．．／．．／x", "", "", nil, ""},
		{"%00 as sent is a name", "/app/uploads/", "a.php%00.jpg", "", "", nil, ""},
		// Decoded by the application before the call: the kernel climbs.
		{"decoded ..%2f", "/app/uploads/", Decode("..%2f..%2fetc%2fpasswd"), "", "", nil, RuleTraversal},
		{"decoded double encoding", "/app/uploads/", Decode("%252e%252e%252fx"), "", "", nil, RuleTraversal},
		// Backslashes separate on Windows only.
		{`..\ on linux is a name`, "/app/uploads/", `..\secret.txt`, "", "linux", nil, ""},
		{`..\ on darwin is a name`, "/app/uploads/", `..\..\windows\win.ini`, "", "darwin", nil, ""},
		{`..\ on windows climbs`, "/app/uploads/", `..\secret.txt`, "", "windows", nil, RuleTraversal},
		{`backslash prefix on windows`, `C:\app\uploads\`, `..\..\windows\win.ini`, "", "windows", nil, RuleTraversal},
		{"NUL byte", "/app/uploads/", "a\x00.jpg", "", "", nil, RuleNulByte},
		{"sensitive shadow", "", "/etc/shadow", "", "", nil, RuleSensitive},
		{"sensitive environ", "", "/proc/self/environ", "", "", nil, RuleSensitive},
		{"sensitive mem", "", "/proc/1234/mem", "", "", nil, RuleSensitive},
		{"sensitive ssh key", "/home/", "bob/.ssh/id_rsa", "", "", nil, RuleSensitive},
		{"sensitive aws", "", "/root/.aws/credentials", "", "", nil, RuleSensitive},
		{"proc root resolved", "", "/proc/self/root/etc/passwd", "", "", nil, RuleSensitive},
		{"proc cwd climbing resolved", "", "/proc/self/cwd/../../../../../../../../../../../../../../../../etc/passwd", "", "", nil, RuleTraversal},
		{"proc pid cwd climbing", "/srv/", "../proc/42/cwd/../../../../../../etc/shadow", "", "", nil, RuleTraversal},
		{"proc cwd dot-dot leaves the tree", "/proc/self/cwd/static/", "../../x", "", "", nil, RuleTraversal},
		{"proc cwd dot-dot stays (a /proc/*/cwd path is sensitive)", "/proc/self/cwd/static/", "../static/x", "", "", nil, RuleSensitive},
		{"climb above root", "", "/../../../etc/hosts", "", "", nil, RuleTraversal},
		{"relative climb", "", "../../x", "", "", nil, RuleTraversal},
		// A dynamic part that starts the absolute path chooses any file.
		{"absolute input hostname", "", "/etc/hostname", "", "", nil, RuleAbsolute},
		{"absolute input tmp", "", "/tmp/pwn.txt", "", "", nil, RuleAbsolute},
		{"absolute input with static extension", "", "/tmp/pwn", ".txt", "", nil, RuleAbsolute},
		{"absolute input cleaned", "", "/data/x/../y", "", "", nil, RuleAbsolute},
		{"absolute input windows drive", "", `C:\Windows\win.ini`, "", "windows", nil, RuleAbsolute},
		{"drive letter on linux is relative", "", "C:/x", "", "linux", nil, ""},
		{"absolute input inside a base", "", "/app/data/../config", "", "", []string{"/app"}, ""},
		{"absolute input outside the bases", "", "/tmp/x", "", "", []string{"/app", "/srv"}, RuleOutsideBase},
		{"absolute input in a base with slash", "", "/srv/x", "", "", []string{"/app", "/srv/"}, ""},
		{"absolute input climbing out of a base", "", "/app/data/../../etc/hosts", "", "", []string{"/app"}, RuleOutsideBase},
		{"absolute input proc cwd in base", "", "/proc/self/cwd/static/a.css", "", "", []string{wd}, RuleSensitive},
		{"relative input", "", "rel/x", "", "", nil, ""},
		{"relative input in base", "", "rel/x", "", "", []string{wd}, ""},
		{"outside base", "/var/", "x", "", "", []string{"/app"}, RuleOutsideBase},
	}
	for _, c := range cases {
		p := c.pre + c.v + c.suf
		for _, goos := range []string{"linux", "windows"} {
			if c.goos != "" && c.goos != goos && !(c.goos == "darwin" && goos == "linux") {
				continue
			}
			f, bad := CheckOS(p, []Span{{Start: len(c.pre), End: len(c.pre) + len(c.v)}}, c.bases, goos)
			if (c.rule == "") == bad || (bad && f.Rule != c.rule) {
				t.Errorf("%s: CheckOS(%q, bases %v, %s) = %+v,%v want %q", c.name, p, c.bases, goos, f, bad, c.rule)
			}
		}
	}
	// A fixed path in the code is never a finding.
	for _, p := range []string{"/etc/passwd", "../../x", "/app/../etc/shadow"} {
		if f, bad := Check(p, nil, []string{"/app"}); bad {
			t.Errorf("static %q flagged: %+v", p, f)
		}
	}
	// Explicit prefix for cleaned filepath.Join results.
	if f, bad := CheckPrefix("/app/uploads", "../../etc/hosts", []Span{{Start: 0, End: 15}}, nil); !bad || f.Rule != RuleTraversal {
		t.Errorf("CheckPrefix: %+v %v", f, bad)
	}
}

// TestDynamicDirectory: in dir+"/uploads/"+name the static "/uploads/"
// is the directory the dynamic tail must stay in, whatever dir is.
func TestDynamicDirectory(t *testing.T) {
	for _, c := range []struct {
		name, dir, tail string
		rule            string
	}{
		{"tail inside", "/srv/app", "a.txt", ""},
		{"tail climbs out of uploads", "/srv/app", "../secret.txt", RuleTraversal},
		{"tail climbs out and back", "/srv/app", "../uploads/a.txt", ""},
		{"tail climbs to the root", "/srv/app", "../../../../etc/hosts", RuleTraversal},
		{"relative dir, tail climbs out", "data", "../secret.txt", RuleTraversal},
		{"dir with dot-dot, tail inside", "/srv/app/../other", "a.txt", ""},
	} {
		p := c.dir + "/uploads/" + c.tail
		dyn := []Span{{Start: 0, End: len(c.dir)}, {Start: len(c.dir) + len("/uploads/"), End: len(p)}}
		f, bad := Check(p, dyn, nil)
		if bad && f.Rule == RuleAbsolute && f.Start == 0 && f.End == len(c.dir) && c.dir[0] == '/' {
			// The directory made the path absolute: a caller that knows
			// it is no client data disregards this.
			bad = false
		}
		if (c.rule == "") == bad || bad && f.Rule != c.rule {
			t.Errorf("%s: Check(%q) = %+v,%v want %q", c.name, p, f, bad, c.rule)
		}
		if bad && (f.Start != dyn[1].Start || f.End != dyn[1].End) {
			t.Errorf("%s: span %d-%d, want the tail's %v", c.name, f.Start, f.End, dyn[1])
		}
	}
	// Sprintf("%s/%s", dir, name): the static "/" is the boundary.
	p := "/srv/data/../../etc/hosts"
	if f, bad := Check(p, []Span{{Start: 0, End: 9}, {Start: 10, End: len(p)}}, nil); !bad || f.Rule != RuleTraversal {
		t.Errorf("dir/name: %+v %v", f, bad)
	}
}

func TestSamePath(t *testing.T) {
	wd := workDir()
	for _, c := range []struct {
		a, b, goos string
		same       bool
	}{
		{"/etc/./passwd", "/etc/passwd", "linux", true},
		{"//etc//passwd", "/etc/passwd", "linux", true},
		{"/proc/self/cwd/../../../../../../../../../../../../../../../../etc/passwd", "/etc/passwd", "linux", true},
		{"/proc/self/cwd/../x", path.Dir(wd) + "/x", "linux", true},
		{"/proc/self/root/etc/passwd", "/etc/passwd", "linux", true},
		{"docs/./a.txt", wd + "/docs/a.txt", "linux", true},
		{"/etc/passwd/", "/etc/passwd", "linux", true},
		{`\etc\passwd`, "/etc/passwd", "linux", false},
		{`\etc\passwd`, "/etc/passwd", "windows", true},
		{"/etc/passwd", "/etc/shadow", "linux", false},
	} {
		if got := SamePath(c.a, c.b, c.goos); got != c.same {
			t.Errorf("SamePath(%q, %q, %s) = %v", c.a, c.b, c.goos, got)
		}
	}
}

func TestResolveProc(t *testing.T) {
	wd := workDir()
	for in, want := range map[string]string{
		"/proc/self/cwd":             wd,
		"/proc/self/cwd/a/b":         path.Join(wd, "a/b"),
		"/proc/self/cwd/..":          path.Dir(wd),
		"/proc/thread-self/root/etc": "/etc",
		"/proc/1/root/proc/self/cwd": wd,
		"/proc/12/cwd/../../../../../../../../../../../../../../../..": "/",
		"/proc/self/environ": "/proc/self/environ",
		"/proc/x1/cwd/a":     "/proc/x1/cwd/a",
		"/proc/self/fd/3":    "/proc/self/fd/3",
	} {
		var buf [bufSize]byte
		if got := resolveProc(buf[:0], in); got != want {
			t.Errorf("resolveProc(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSymlinks(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "uploads")
	outside := filepath.Join(dir, "secret")
	os.MkdirAll(filepath.Join(outside, "deep"), 0o755)
	os.MkdirAll(base, 0o755)
	if err := os.Symlink(filepath.Join(outside, "deep"), filepath.Join(base, "link")); err != nil {
		t.Skip(err)
	}
	os.WriteFile(filepath.Join(outside, "key"), []byte("x"), 0o600)
	// Lexically "link/../key" stays in uploads; the kernel follows link to
	// secret/deep and ".." reaches secret/key.
	v := "link/../key"
	p := base + "/" + v
	f, bad := Check(p, []Span{{Start: len(base) + 1, End: len(p)}}, nil)
	if !bad || f.Rule != RuleTraversal {
		t.Errorf("symlink traversal not found: %+v %v", f, bad)
	}
	// The base given through a symlinked path is resolved.
	alias := filepath.Join(dir, "alias")
	os.Symlink(base, alias)
	if f, bad := Check(filepath.Join(base, "a.txt"), []Span{{Start: len(base) + 1, End: len(base) + 6}}, []string{alias}); bad {
		t.Errorf("symlinked base: %+v", f)
	}
}

func TestDecode(t *testing.T) {
	for in, want := range map[string]string{
		"%2e%2e%2f":          "../",
		"%252e%252e%255c":    "../",
		"..%c0%af":           "../",
		"%e0%80%ae%e0%80%ae": "..",
		"%uff0e%uff0e%u2215": "..\u2215",
		"%%32%65%%32%65":     "..",
		"abc":                "abc",
		"100%":               "100%",
		`a\b`:                "a/b",
	} {
		if got := Decode(in); got != want {
			t.Errorf("Decode(%q) = %q want %q", in, got, want)
		}
	}
	// AppendDecode keeps backslashes except on Windows.
	for _, c := range []struct {
		in, linux, windows string
	}{
		{"%2e%2e%2fx", "../x", "../x"},
		{`..\x`, `..\x`, "../x"},
		{"%252e%252e%255cx", `..\x`, "../x"},
		{"%c0%ae%c0%ae/x", "../x", "../x"},
		{"%u002e%u002e/x", "../x", "../x"},
		{"plain", "plain", "plain"},
	} {
		buf := []byte("pre:")
		if got := string(appendDecode(buf, c.in, false)); got != "pre:"+c.linux {
			t.Errorf("appendDecode(%q, linux) = %q want %q", c.in, got, "pre:"+c.linux)
		}
		if got := string(appendDecode(buf, c.in, true)); got != "pre:"+c.windows {
			t.Errorf("appendDecode(%q, windows) = %q want %q", c.in, got, "pre:"+c.windows)
		}
	}
}

func TestZeroAlloc(t *testing.T) {
	p := "/app/uploads/2024/photo-é.jpg"
	dyn := []Span{{Start: 13, End: len(p)}}
	bases := []string{"/app/uploads"}
	if n := testing.AllocsPerRun(100, func() { Check(p, dyn, bases) }); n != 0 {
		t.Errorf("allocs = %v", n)
	}
	win := `C:\app\uploads\2024\photo.jpg`
	if n := testing.AllocsPerRun(100, func() { CheckOS(win, []Span{{Start: 16, End: len(win)}}, nil, "windows") }); n != 0 {
		t.Errorf("windows: allocs = %v", n)
	}
	vd := "/srv/app/uploads/2024/b.jpg"
	if n := testing.AllocsPerRun(100, func() { Check(vd, []Span{{Start: 0, End: 8}, {Start: 17, End: len(vd)}}, nil) }); n != 0 {
		t.Errorf("dynamic directory: allocs = %v", n)
	}
	if n := testing.AllocsPerRun(100, func() { SamePath("/etc/./hostname", "/etc/hostname", "linux") }); n != 0 {
		t.Errorf("SamePath: allocs = %v", n)
	}
	var buf [64]byte
	if n := testing.AllocsPerRun(100, func() { AppendDecode(buf[:0], "%252e%252e%252fx", "linux") }); n != 0 {
		t.Errorf("AppendDecode: allocs = %v", n)
	}
}

func BenchmarkCheck(b *testing.B) {
	p := "/app/uploads/2024/photo-1.jpg"
	dyn := []Span{{Start: 13, End: len(p)}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Check(p, dyn, nil)
	}
}

func BenchmarkCheckBases(b *testing.B) {
	p := "/app/uploads/2024/photo-1.jpg"
	dyn := []Span{{Start: 13, End: len(p)}}
	bases := []string{"/app/uploads"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Check(p, dyn, bases)
	}
}

// BenchmarkCheckTraversal judges an encoded payload as sent (a file name
// since the path is judged as the kernel sees it).
func BenchmarkCheckTraversal(b *testing.B) {
	p := "/app/uploads/..%2f..%2fetc/passwd"
	dyn := []Span{{Start: 13, End: len(p)}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Check(p, dyn, nil)
	}
}

// BenchmarkCheckDotDot judges a path whose dynamic part climbs out.
func BenchmarkCheckDotDot(b *testing.B) {
	p := "/app/uploads/../../etc/passwd"
	dyn := []Span{{Start: 13, End: len(p)}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Check(p, dyn, nil)
	}
}

func FuzzDecodeCheck(f *testing.F) {
	for _, s := range []string{"../x", "%2e%2e%2f", "%c0%ae%c0%ae/", "%uff0e", "a\\b", "%%32%65", "\xe0\x80\xae", "．．／"} {
		f.Add("/app/uploads/", s)
	}
	f.Fuzz(func(t *testing.T, pre, v string) {
		d := Decode(v)
		if len(d) > len(v) || !utf8.ValidString(v) && false {
			t.Fatalf("decode grew: %q -> %q", v, d)
		}
		p := pre + v
		fd, bad := Check(p, []Span{{Start: len(pre), End: len(p)}}, []string{"/app"})
		if bad && (fd.Start < 0 || fd.End > len(p) || fd.Start > fd.End) {
			t.Fatalf("bad span %+v for %q", fd, p)
		}
		// Whatever escapes by the ground truth must be found.
		if strings.HasPrefix(pre, "/") && !strings.Contains(pre, "..") && !strings.ContainsAny(pre, "%\\\x00") && strings.HasSuffix(pre, "/") {
			tp := tmpl{"fuzz", pre, ""}
			if gtEscapes(tp, v, runtime.GOOS, false) && !bad {
				if _, b2 := Check(p, []Span{{Start: len(pre), End: len(p)}}, nil); !b2 {
					t.Fatalf("escape not found: %q (gt %q)", p, gtDecode(v))
				}
			}
		}
	})
}
