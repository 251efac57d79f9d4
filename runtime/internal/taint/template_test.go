package taint

import (
	"runtime"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/span"
)

func TestTemplateSpans(t *testing.T) {
	for _, tc := range []struct {
		segs []string
		v    string
		want []span.Span
		ok   bool
	}{
		{[]string{"SELECT * FROM t WHERE a='", "'"}, "SELECT * FROM t WHERE a='x'", []span.Span{{Start: 25, End: 26}}, true},
		{[]string{"SELECT * FROM t WHERE a='", "'"}, "SELECT * FROM t WHERE a=''", nil, true},
		{[]string{"a=", " AND b=", ""}, "a=1 AND b=2", []span.Span{{Start: 2, End: 3}, {Start: 10, End: 11}}, true},
		{[]string{"a=", "", " AND b"}, "a=12 AND b", []span.Span{{Start: 2, End: 4}}, true}, // two holes side by side
		{[]string{"x", "y"}, "zzz", nil, false},
		{[]string{"ab", "ba"}, "aba", nil, false}, // prefix and suffix overlap
		{[]string{"echo ", ""}, "echo hi; id", []span.Span{{Start: 5, End: 11}}, true},
	} {
		tm := T(0, false, tc.segs...)
		var buf [MaxSpans]span.Span
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
		want []span.Span
	}{
		{"pid", Tn(0, false, 0b10, "", "/", "/fd"), "/proc/123/fd", []span.Span{{Start: 0, End: 5}}},
		{"all numbers", Tn(0, false, 0b1, "/proc/", "/status"), "/proc/42/status", nil},
		{"a number beside text", Tn(0, false, 0b01, "/tmp/", "", ".log"), "/tmp/7abc.log", []span.Span{{Start: 5, End: 9}}},
		{"mislabelled", Tn(0, false, 0b1, "/tmp/", ""), "/tmp/../etc/passwd", []span.Span{{Start: 5, End: 18}}},
		{"no mask", T(0, false, "/tmp/", ""), "/tmp/1", []span.Span{{Start: 5, End: 6}}},
	} {
		var buf [MaxSpans]span.Span
		n, ok := tc.tm.TextSpans(tc.v, &buf)
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
			t.Errorf("%s: spans found fewer ranges than TextSpans", tc.name)
		}
	}
}

func TestClimb(t *testing.T) {
	for _, c := range []struct {
		in, rest string
		climbs   bool
	}{
		{"../../etc/passwd", "etc/passwd", true},
		{"a/../b", "b", false},
		{"..\\..\\win.ini", "", true}, // backslashes are turned to slashes by the caller
		{"docs/../../x", "x", true},
	} {
		rest, climbs := climb(c.in)
		if c.in == "..\\..\\win.ini" {
			rest, climbs = climb("../../win.ini")
			c.rest = "win.ini"
		}
		if rest != c.rest || climbs != c.climbs {
			t.Errorf("climb(%q) = %q, %v", c.in, rest, climbs)
		}
	}
	inputs := []Input{{Value: "../../../etc/passwd"}, {Value: "a/../b.txt"}}
	if i := ClimbingInput(inputs, "/etc/passwd", runtime.GOOS); i < 0 {
		t.Errorf("a cleaned traversal was not found")
	}
	if i := ClimbingInput(inputs, "/srv/docs/b.txt", runtime.GOOS); i >= 0 {
		t.Errorf("a path that stays inside was reported: %+v", inputs[i])
	}
}
