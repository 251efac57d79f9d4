package pathguard

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rasp-instrument/rasp-instrument/internal/corpustest"
)

func readLines(t testing.TB, rel string) []string {
	t.Helper()
	return corpustest.Lines(t, rel)
}

// ---- Ground truth, written independently of the detector: regular
// expressions for the decodings, path.Clean for the resolution.

var (
	gtPct  = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
	gtPctU = regexp.MustCompile(`%[uU][0-9a-fA-F]{4}`)
)

func gtDecode(s string) string {
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
	return strings.ReplaceAll(s, `\`, "/")
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

func gtEscapes(tp tmpl, v string) bool {
	wd := workDir()
	dir := path.Clean(tp.prefix)
	if !path.IsAbs(dir) {
		dir = path.Join(wd, dir)
	}
	full := gtDecode(tp.prefix + v + tp.suffix)
	if !path.IsAbs(full) {
		full = path.Join(wd, full)
	}
	c := path.Clean(full)
	return !(c == dir || strings.HasPrefix(c, dir+"/"))
}

func TestTraversalCorpus(t *testing.T) {
	files := corpustest.Glob(t, "traversal/*.txt")
	for _, f := range files {
		lines := readLines(t, filepath.Join("traversal", filepath.Base(f)))
		var must, det, missed, extra int
		extraRules := map[string]int{}
		for _, tp := range tmpls {
			for _, v := range lines {
				if v == "" {
					continue
				}
				v = strings.ReplaceAll(v, "{FILE}", "etc/passwd")
				p := tp.prefix + v + tp.suffix
				fd, got := Check(p, []Span{{len(tp.prefix), len(tp.prefix) + len(v)}}, nil)
				if gtEscapes(tp, v) || strings.IndexByte(v, 0) >= 0 {
					must++
					if got {
						det++
					} else {
						missed++
						if missed <= 5 {
							t.Logf("missed [%s] %q (gt %q)", tp.name, v, gtDecode(v))
						}
					}
				} else if got {
					extra++
					extraRules[fd.Rule]++
					if extra <= 3 {
						t.Logf("flagged, not escaping by ground truth [%s] %q", tp.name, v)
					}
				}
			}
		}
		t.Logf("%s: %d lines x %d templates: must-detect %d, detected %d, missed %d, flagged-without-escape %d %v",
			filepath.Base(f), len(lines), len(tmpls), must, det, missed, extra, extraRules)
		if must > 0 && float64(det) < 0.99*float64(must) {
			t.Errorf("%s: detection %d/%d below 99%%", filepath.Base(f), det, must)
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
	for _, v := range readLines(t, "benign/blns.txt") {
		if v == "" || strings.HasPrefix(v, "#") {
			continue
		}
		n++
		for _, tp := range tmpls {
			p := tp.prefix + v + tp.suffix
			f, bad := Check(p, []Span{{len(tp.prefix), len(tp.prefix) + len(v)}}, []string{"/app", "/srv/data", workDir()})
			if _, ok := blnsTraversals[v]; ok {
				excluded++
				if !bad {
					t.Errorf("reviewed traversal %q not reported", v)
				}
				continue
			}
			if gtEscapes(tp, v) {
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
		pre, v, suf string
		bases       []string
		rule        string
	}{
		{"/app/uploads/", "photo.jpg", "", nil, ""},
		{"/app/uploads/", "a/../b.jpg", "", nil, ""},
		{"/app/uploads/", "../uploads/b.jpg", "", nil, ""},
		{"/app/uploads/", "../../etc/passwd", "", nil, RuleTraversal},
		{"/app/uploads/", "..%2f..%2fetc%2fpasswd", "", nil, RuleTraversal},
		{"/app/uploads/", "%2e%2e/%2e%2e/x", "", nil, RuleTraversal},
		{"/app/uploads/", "%252e%252e%252fx", "", nil, RuleTraversal},
		{"/app/uploads/", "..%c0%af..%c0%afx", "", nil, RuleTraversal},
		{"/app/uploads/", `..\..\windows\win.ini`, "", nil, RuleTraversal},
		{"/app/uploads/", "．．／．．／x", "", nil, RuleTraversal},
		{"/app/uploads/", "a\x00.jpg", "", nil, RuleNulByte},
		{"/app/uploads/", "a.php%00.jpg", "", nil, RuleNulByte},
		{"", "/etc/shadow", "", nil, RuleSensitive},
		{"", "/proc/self/environ", "", nil, RuleSensitive},
		{"", "/proc/1234/mem", "", nil, RuleSensitive},
		{"/home/", "bob/.ssh/id_rsa", "", nil, RuleSensitive},
		{"", "/root/.aws/credentials", "", nil, RuleSensitive},
		{"", "/../../../etc/hosts", "", nil, RuleTraversal},
		{"", "/data/x/../y", "", nil, ""},
		{"", "../../x", "", nil, RuleTraversal},
		{"", "/app/data/../config", "", []string{"/app"}, ""},
		{"", "/app/data/../../etc/hosts", "", []string{"/app"}, RuleOutsideBase},
		{"", "/tmp/x", "", []string{"/app", "/srv"}, RuleOutsideBase},
		{"", "/srv/x", "", []string{"/app", "/srv/"}, ""},
		{"", "rel/x", "", []string{wd}, ""},
	}
	for _, c := range cases {
		p := c.pre + c.v + c.suf
		f, bad := Check(p, []Span{{len(c.pre), len(c.pre) + len(c.v)}}, c.bases)
		if (c.rule == "") == bad || (bad && f.Rule != c.rule) {
			t.Errorf("Check(%q, bases %v) = %+v,%v want %q", p, c.bases, f, bad, c.rule)
		}
	}
	// A fixed path in the code is never a finding.
	for _, p := range []string{"/etc/passwd", "../../x", "/app/../etc/shadow"} {
		if f, bad := Check(p, nil, []string{"/app"}); bad {
			t.Errorf("static %q flagged: %+v", p, f)
		}
	}
	// Explicit prefix for cleaned filepath.Join results.
	if f, bad := CheckPrefix("/app/uploads", "../../etc/hosts", []Span{{0, 15}}, nil); !bad || f.Rule != RuleTraversal {
		t.Errorf("CheckPrefix: %+v %v", f, bad)
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
	f, bad := Check(p, []Span{{len(base) + 1, len(p)}}, nil)
	if !bad || f.Rule != RuleTraversal {
		t.Errorf("symlink traversal not found: %+v %v", f, bad)
	}
	// The base given through a symlinked path is resolved.
	alias := filepath.Join(dir, "alias")
	os.Symlink(base, alias)
	if f, bad := Check(filepath.Join(base, "a.txt"), []Span{{len(base) + 1, len(base) + 6}}, []string{alias}); bad {
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
}

func TestZeroAlloc(t *testing.T) {
	p := "/app/uploads/2024/photo-é.jpg"
	dyn := []Span{{13, len(p)}}
	bases := []string{"/app/uploads"}
	if n := testing.AllocsPerRun(100, func() { Check(p, dyn, bases) }); n != 0 {
		t.Errorf("allocs = %v", n)
	}
}

func BenchmarkCheck(b *testing.B) {
	p := "/app/uploads/2024/photo-1.jpg"
	dyn := []Span{{13, len(p)}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Check(p, dyn, nil)
	}
}

func BenchmarkCheckBases(b *testing.B) {
	p := "/app/uploads/2024/photo-1.jpg"
	dyn := []Span{{13, len(p)}}
	bases := []string{"/app/uploads"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Check(p, dyn, bases)
	}
}

func BenchmarkCheckTraversal(b *testing.B) {
	p := "/app/uploads/..%2f..%2fetc/passwd"
	dyn := []Span{{13, len(p)}}
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
		fd, bad := Check(p, []Span{{len(pre), len(p)}}, []string{"/app"})
		if bad && (fd.Start < 0 || fd.End > len(p) || fd.Start > fd.End) {
			t.Fatalf("bad span %+v for %q", fd, p)
		}
		// Whatever escapes by the ground truth must be found.
		if strings.HasPrefix(pre, "/") && !strings.Contains(pre, "..") && !strings.ContainsAny(pre, "%\\\x00") && strings.HasSuffix(pre, "/") {
			tp := tmpl{"fuzz", pre, ""}
			if gtEscapes(tp, v) && !bad {
				if _, b2 := Check(p, []Span{{len(pre), len(p)}}, nil); !b2 {
					t.Fatalf("escape not found: %q (gt %q)", p, gtDecode(v))
				}
			}
		}
	})
}
