package taint

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/span"
)

func spanInputs(vals ...string) []Input {
	ins := make([]Input, len(vals))
	for i, v := range vals {
		ins[i] = Input{Source: "query", Name: fmt.Sprint("p", i), Value: v}
	}
	return ins
}

func TestInputSpans(t *testing.T) {
	const union = "1 UNION SELECT password FROM users"
	q := "SELECT name FROM items WHERE id = " + union + " LIMIT 10"
	uStart := strings.Index(q, union)
	tests := []struct {
		name   string
		v      string
		inputs []Input
		spans  []span.Span
		which  []int
	}{
		{
			name:   "union payload",
			v:      q,
			inputs: spanInputs("42", "abc", union, "1,2,3"),
			spans:  []span.Span{{Start: uStart, End: uStart + len(union)}},
			which:  []int{2},
		},
		{
			name:   "insignificant inputs ignored",
			v:      "SELECT * FROM t WHERE id IN (1,2,3) AND n = 42 AND name = 'abc' AND x = 4, 5 AND u = my_user",
			inputs: spanInputs("42", "abc", "1,2,3", "4, 5", "my_user", "-7,8", "", "ab"),
		},
		{
			name:   "two occurrences",
			v:      "a = '; x' OR b = '; x'",
			inputs: spanInputs("'; x'"),
			spans:  []span.Span{{Start: 4, End: 9}, {Start: 17, End: 22}},
			which:  []int{0, 0},
		},
		{
			name:   "overlapping inputs merged, longest names the range",
			v:      "SELECT * FROM t WHERE a = '' OR 1=1 -- '",
			inputs: spanInputs("' OR 1=1", "1=1 --", "zzz;"),
			spans:  []span.Span{{Start: 27, End: 38}},
			which:  []int{0},
		},
		{
			name:   "quotes doubled by hand",
			v:      `SELECT * FROM t WHERE a = '\'' UNION SELECT secret FROM u#'`,
			inputs: spanInputs(`\' UNION SELECT secret FROM u#`),
			spans:  []span.Span{{Start: 27, End: 58}},
			which:  []int{0},
		},
		{
			name:   "quotes backslashed by hand",
			v:      `SELECT * FROM t WHERE a = 'x\' OR 1=1#'`,
			inputs: spanInputs(`x' OR 1=1#`),
			spans:  []span.Span{{Start: 27, End: 38}},
			which:  []int{0},
		},
		{
			name:   "adjacent inputs merged",
			v:      "rm -rf /tmp/a;b|c",
			inputs: spanInputs("/a;", "b|c"),
			spans:  []span.Span{{Start: 11, End: 17}},
			which:  []int{0},
		},
		{
			name:   "longer later input names the merged range",
			v:      "x '; DROP TABLE users; -- y",
			inputs: spanInputs("; D", "'; DROP TABLE users; --"),
			spans:  []span.Span{{Start: 2, End: 25}},
			which:  []int{1},
		},
		{
			name:   "which points at the input",
			v:      "cat /srv/../etc/passwd; id",
			inputs: spanInputs("abc", "42", "../etc/passwd", "x y", "; id"),
			spans:  []span.Span{{Start: 9, End: 26}},
			which:  []int{2},
		},
		{
			name:   "separate spans name their inputs",
			v:      "curl 'http://a.example/x?q=1' && echo $(id)",
			inputs: spanInputs("$(id)", "http://a.example/x?q=1"),
			spans:  []span.Span{{Start: 6, End: 28}, {Start: 38, End: 43}},
			which:  []int{1, 0},
		},
		{
			name:   "double-encoded input found decoded",
			v:      "SELECT * FROM t WHERE a = '' OR 1=1'",
			inputs: spanInputs("%27%20OR%201%3D1"),
			spans:  []span.Span{{Start: 27, End: 35}},
			which:  []int{0},
		},
		{
			name:   "plus stays plus when decoding",
			v:      "x = 'a+b' OR 'a b'",
			inputs: spanInputs("a+b%27"),
			spans:  []span.Span{{Start: 5, End: 9}},
			which:  []int{0},
		},
		{
			name:   "decoded form that is a word is ignored",
			v:      "SELECT * FROM t WHERE a = 'abc'",
			inputs: spanInputs("%61%62%63"),
		},
		{
			name:   "raw and decoded forms both found",
			v:      "a%2Fb and a/b",
			inputs: spanInputs("a%2Fb"),
			spans:  []span.Span{{Start: 0, End: 5}, {Start: 10, End: 13}},
			which:  []int{0, 0},
		},
		{
			name:   "input longer than the value",
			v:      "abc;",
			inputs: spanInputs("abc; def"),
		},
		{
			name:   "more than MaxSpans ranges merge into the last",
			v:      "ab; ab; ab; ab; ab; ab; ab; ab; ab; ab;",
			inputs: spanInputs("ab;"),
			spans:  []span.Span{{Start: 0, End: 3}, {Start: 4, End: 7}, {Start: 8, End: 11}, {Start: 12, End: 15}, {Start: 16, End: 19}, {Start: 20, End: 23}, {Start: 24, End: 27}, {Start: 28, End: 39}},
			which:  []int{0, 0, 0, 0, 0, 0, 0, 0},
		},
		{
			name:   "out of order inputs come sorted",
			v:      "<x> {y} [z]",
			inputs: spanInputs("[z]", "<x>", "{y}"),
			spans:  []span.Span{{Start: 0, End: 3}, {Start: 4, End: 7}, {Start: 8, End: 11}},
			which:  []int{1, 2, 0},
		},
		{
			name:   "an input covering several ranges merges them",
			v:      "a;b;c;d",
			inputs: spanInputs("a;b", "c;d", "b;c"),
			spans:  []span.Span{{Start: 0, End: 7}},
			which:  []int{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out [MaxSpans]span.Span
			var which [MaxSpans]int
			n := InputSpans(tt.v, tt.inputs, &out, &which)
			got := append([]span.Span(nil), out[:n]...)
			gotW := append([]int(nil), which[:n]...)
			if len(tt.spans) == 0 {
				if n != 0 {
					t.Fatalf("got spans %v, want none", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.spans) {
				t.Fatalf("spans = %v, want %v", got, tt.spans)
			}
			if !reflect.DeepEqual(gotW, tt.which) {
				t.Fatalf("which = %v, want %v", gotW, tt.which)
			}
		})
	}
}

func TestSignificant(t *testing.T) {
	for s, want := range map[string]bool{
		"":            false,
		"a'":          false,
		"abc":         false,
		"user_name42": false,
		"42":          false,
		"123456":      false,
		"1,2,3":       false,
		"4, 5":        false,
		"-1, -2,3":    false,
		" 7 ":         false,
		"1--2":        true,
		"1,--2":       true,
		"- 1":         true,
		"-":           false,
		"---":         true,
		",,,":         true,
		"1.5":         true,
		"a b":         true,
		"my-file.txt": true,
		"../x":        true,
		"' OR 1=1":    true,
	} {
		if got := significant(s); got != want {
			t.Errorf("significant(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestInputSpansCaps(t *testing.T) {
	var out [MaxSpans]span.Span
	var which [MaxSpans]int

	// 16 occurrences per input.
	v := strings.Repeat("x;y ", 40)
	n := InputSpans(v, spanInputs("x;y"), &out, &which)
	if n != MaxSpans || out[n-1].End != 16*4-1 {
		t.Fatalf("occurrence cap: n=%d last=%v, want the last range to end at %d", n, out[n-1], 16*4-1)
	}

	// maxSearchedInputs searched inputs: the next significant one is not
	// searched, the insignificant ones do not count.
	var ins []Input
	for i := 0; i < 100; i++ {
		ins = append(ins, Input{Value: "word"})
	}
	for i := 0; i < maxSearchedInputs; i++ {
		ins = append(ins, Input{Value: fmt.Sprintf("no;%d", i)})
	}
	ins = append(ins, Input{Value: "' OR 1=1"})
	if n := InputSpans("a = '' OR 1=1", ins, &out, &which); n != 0 {
		t.Fatalf("input cap: got %v", out[:n])
	}
	ins = append(ins[:100], ins[100+maxSearchedInputs:]...)
	if n := InputSpans("a = '' OR 1=1", ins, &out, &which); n != 1 || which[0] != 100 {
		t.Fatalf("got %v %v, want the payload", out[:n], which[:n])
	}

	// The working set overflows: everything past the seventh range stays
	// dynamic.
	var b strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "%02d; ", i)
	}
	ins = ins[:0]
	for i := 99; i >= 0; i-- {
		ins = append(ins, Input{Value: fmt.Sprintf("%02d;", i)})
	}
	v = b.String()
	n = InputSpans(v, ins[:64], &out, &which)
	if n != MaxSpans || out[0] != (span.Span{Start: 36 * 4, End: 36*4 + 3}) || out[n-2] != (span.Span{Start: 42 * 4, End: 42*4 + 3}) ||
		out[n-1] != (span.Span{Start: 43 * 4, End: 99*4 + 3}) {
		t.Fatalf("overflow: got %v", out[:n])
	}
}

func TestInputSpansAllocs(t *testing.T) {
	ins := benchInputs()
	attack := spanInputs("%27%20OR%201%3D1", "' OR 1=1", "1,2", "a;b")
	var out [MaxSpans]span.Span
	var which [MaxSpans]int
	if a := testing.AllocsPerRun(100, func() {
		InputSpans(benchQuery, ins, &out, &which)
		InputSpans("SELECT * FROM t WHERE a = '' OR 1=1' AND b IN (1,2) AND c = 'a;b'", attack, &out, &which)
	}); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}

const benchQuery = "SELECT id, name, price, created_at FROM products WHERE category = 'garden-tools' AND price < 50 ORDER BY name LIMIT 20"

func benchInputs() []Input {
	return []Input{
		{"query", "category", "garden-tools"},
		{"query", "max_price", "50"},
		{"query", "sort", "name"},
		{"query", "page", "2"},
		{"query", "limit", "20"},
		{"path", "0", "products"},
		{"cookie", "session", "b7f3c2a9e1d04f6a8c5b"},
		{"cookie", "lang", "en"},
		{"header", "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"},
		{"header", "Referer", "https://shop.example.com/products?category=garden-tools"},
	}
}

func BenchmarkInputSpans(b *testing.B) {
	ins := benchInputs()
	var out [MaxSpans]span.Span
	var which [MaxSpans]int
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if n := InputSpans(benchQuery, ins, &out, &which); n != 1 {
			b.Fatalf("n = %d", n)
		}
	}
}

// TestPathInputSpansForms: the decoded forms of an input are found in a
// path; InputSpans, shared with the other families, stays as it was.
func TestPathInputSpansForms(t *testing.T) {
	for _, c := range []struct {
		name, path, input string
		found             bool
	}{
		{"raw", "/u/../x", "../x", true},
		{"once", "/u/../x", "..%2fx", true},
		{"twice", "/u/../x", "%252e%252e%252fx", true},
		{"overlong", "/u/../x", "%c0%ae%c0%ae/x", true},
		{"%u", "/u/../x", "%u002e%u002e/x", true},
		{"fullwidth", "/u/../x", "．．／x", true},
		{"backslash turned into a slash by the application", "/u/../x", `..\x`, true},
		{"backslash kept", "/u/..\\x", `..\x`, true},
		{"link, backslash turned", "/srv/data/link/secret.txt", `link\secret.txt`, true},
		{"word", "/u/abc/x", "abc", false},
	} {
		var out [MaxSpans]span.Span
		var which [MaxSpans]int
		n := PathInputSpans(c.path, []Input{{Value: c.input}}, &out, &which, "linux")
		if (n > 0) != c.found {
			t.Errorf("%s: %q in %q: %d spans, want found %v", c.name, c.input, c.path, n, c.found)
		}
	}
}
