package rasp

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

func TestTemplateSpans(t *testing.T) {
	for _, tc := range []struct {
		segs []string
		v    string
		want []Span
		ok   bool
	}{
		{[]string{"SELECT * FROM t WHERE a='", "'"}, "SELECT * FROM t WHERE a='x'", []Span{{Start: 25, End: 26}}, true},
		{[]string{"SELECT * FROM t WHERE a='", "'"}, "SELECT * FROM t WHERE a=''", nil, true},
		{[]string{"a=", " AND b=", ""}, "a=1 AND b=2", []Span{{Start: 2, End: 3}, {Start: 10, End: 11}}, true},
		{[]string{"a=", "", " AND b"}, "a=12 AND b", []Span{{Start: 2, End: 4}}, true}, // two holes side by side
		{[]string{"x", "y"}, "zzz", nil, false},
		{[]string{"ab", "ba"}, "aba", nil, false}, // prefix and suffix overlap
		{[]string{"echo ", ""}, "echo hi; id", []Span{{Start: 5, End: 11}}, true},
	} {
		tm := T(0, false, tc.segs...)
		var buf [MaxSpans]Span
		n, ok := tm.Spans(tc.v, &buf)
		if ok != tc.ok || len(tc.want) != n && tc.ok {
			t.Errorf("%q on %q: n=%d ok=%v, want %v %v", tc.segs, tc.v, n, ok, tc.want, tc.ok)
			continue
		}
		for i := 0; ok && i < n; i++ {
			if buf[i] != tc.want[i] {
				t.Errorf("%q on %q: span %d = %v, want %v", tc.segs, tc.v, i, buf[i], tc.want[i])
			}
		}
	}
}

// TestTemplateTextSpans: holes that only ever hold numbers carry no text.
func TestTemplateTextSpans(t *testing.T) {
	for _, tc := range []struct {
		name string
		tm   Tmpl
		v    string
		want []Span
	}{
		{"pid", Tn(0, false, 0b10, "", "/", "/fd"), "/proc/123/fd", []Span{{Start: 0, End: 5}}},
		{"all numbers", Tn(0, false, 0b1, "/proc/", "/status"), "/proc/42/status", nil},
		{"a number beside text", Tn(0, false, 0b01, "/tmp/", "", ".log"), "/tmp/7abc.log", []Span{{Start: 5, End: 9}}},
		{"mislabelled", Tn(0, false, 0b1, "/tmp/", ""), "/tmp/../etc/passwd", []Span{{Start: 5, End: 18}}},
		{"no mask", T(0, false, "/tmp/", ""), "/tmp/1", []Span{{Start: 5, End: 6}}},
	} {
		var buf [MaxSpans]Span
		n, ok := tc.tm.textSpans(tc.v, &buf)
		if !ok || n != len(tc.want) {
			t.Errorf("%s: n=%d ok=%v, want %v", tc.name, n, ok, tc.want)
			continue
		}
		for i := 0; i < n; i++ {
			if buf[i] != tc.want[i] {
				t.Errorf("%s: span %d = %v, want %v", tc.name, i, buf[i], tc.want[i])
			}
		}
		if m, _ := tc.tm.Spans(tc.v, &buf); tc.tm.Num != 0 && m < n {
			t.Errorf("%s: spans found fewer ranges than textSpans", tc.name)
		}
	}
}

// Values that did not come from the request are judged by the template
// alone: the same code is blocked with an attack and quiet with safe values.
func TestTemplateDetection(t *testing.T) {
	sqlSite := &Site{Sink: "database/sql.(*DB).Query", Family: event.FamilySQL, Tmpls: []Tmpl{T(0, false, "SELECT price FROM products WHERE name = '", "'")}}
	shSite := &Site{Sink: "os/exec.Command", Family: event.FamilyExec, Tmpls: []Tmpl{T(2, false, "echo hello ", "")}}
	pathSite := &Site{Sink: "os.ReadFile", Family: event.FamilyFile, Tmpls: []Tmpl{T(0, true, "/srv/files/", "")}}
	withMode(t, policy.ModeBlock, func() {
		for _, q := range []string{"apple", "O''Brien", "x' OR '1'='1", "x' UNION SELECT secret FROM products--"} {
			err := judgeDBQuery(nil, sqlSite, nil, 0, "SELECT price FROM products WHERE name = '"+q+"'")
			if attack := strings.Contains(q, "OR") || strings.Contains(q, "UNION"); (err != nil) != attack {
				t.Errorf("sql %q: err = %v, attack %v", q, err, attack)
			}
		}
		for _, who := range []string{"world", "O-Brien", "x; id", "$(id)"} {
			err := judgeCmd(shSite, 0, exec.Command("sh", "-c", "echo hello "+who))
			if attack := strings.ContainsAny(who, ";$"); (err != nil) != attack {
				t.Errorf("sh %q: err = %v, attack %v", who, err, attack)
			}
		}
		for _, p := range []string{"/srv/files/report.pdf", "/srv/files/a/../b.txt", "/etc/passwd"} {
			err := judgeFileArg(pathSite, 0, p)
			if attack := p == "/etc/passwd"; (err != nil) != attack {
				t.Errorf("path %q: err = %v, attack %v", p, err, attack)
			}
		}
	})
}

var sink string

// The build leaves the argument's expression as the programmer wrote it
// and adds the template to the call site, so a rewritten call costs the
// original construction plus the check. These benchmarks show the three:
// the construction alone, with the context-free check (what an opaque site
// gets), and with the template check.
func benchSQL(b *testing.B, build func(string) string, site *Site, check bool) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		q := build("apple")
		if check {
			if err := judgeDBQuery(nil, site, nil, 0, q); err != nil {
				b.Fatal(err)
			}
		}
		sink = q
	}
}

func concatQuery(name string) string {
	return "SELECT id, name, price FROM products WHERE category = 'fruit' AND name = '" + name + "' ORDER BY price LIMIT 20"
}

func sprintfQuery(name string) string {
	return fmt.Sprintf("SELECT id, name, price FROM products WHERE category = 'fruit' AND name = '%s' ORDER BY price LIMIT 20", name)
}

var (
	concatSite  = &Site{Sink: "database/sql.(*DB).Query", Family: event.FamilySQL, Tmpls: []Tmpl{T(0, false, "SELECT id, name, price FROM products WHERE category = 'fruit' AND name = '", "' ORDER BY price LIMIT 20")}}
	opaqueSite  = &Site{Sink: "database/sql.(*DB).Query", Family: event.FamilySQL}
	sprintfSite = concatSite
)

func BenchmarkConcatOriginal(b *testing.B)   { benchSQL(b, concatQuery, nil, false) }
func BenchmarkConcatRewritten(b *testing.B)  { benchSQL(b, concatQuery, concatSite, true) }
func BenchmarkConcatOpaque(b *testing.B)     { benchSQL(b, concatQuery, opaqueSite, true) }
func BenchmarkSprintfOriginal(b *testing.B)  { benchSQL(b, sprintfQuery, nil, false) }
func BenchmarkSprintfRewritten(b *testing.B) { benchSQL(b, sprintfQuery, sprintfSite, true) }

// A script that does not fit its template is judged as an opaque one.
func TestTemplateMismatchFallsBack(t *testing.T) {
	s := &Site{Sink: "os/exec.Command", Family: event.FamilyExec, Tmpls: []Tmpl{T(2, false, "echo hello ", "")}}
	withMode(t, policy.ModeBlock, func() {
		if err := judgeCmd(s, 0, exec.Command("sh", "-c", "ls; id")); err == nil {
			t.Fatal("a script that left its template was not judged")
		}
	})
}
