package sqli

import (
	"strings"
	"testing"
)

// TestBadInput feeds malformed queries to every entry point: no panic and
// a defined verdict.
func TestBadInput(t *testing.T) {
	inputs := []string{
		"", "'", "\"", "`", "[", "/*", "/*!", "--", "#", "$$", "$a$", "E'\\", "N'", "x'", "@", "@@", "@'", ":",
		"SELECT '\x00' FROM t", "\x00\x00\x00", "SELECT \xff\xfe FROM \xc3(", "SELECT 'abc", "SELECT /* abc",
		"SELECT $tag$ abc", "SELECT 1 /*! UNION", "*/", "0x", "0b", "1e", "1e+", ".", "..", "$1$", "?", "?999999999999999999999",
		strings.Repeat("(", 1000), strings.Repeat("/*", 1000), strings.Repeat("'", 1001),
	}
	for _, q := range inputs {
		for d := Generic; d <= SQLServer; d++ {
			tz := NewTokenizer(q, d)
			n := 0
			for tk := tz.Next(); tk.Kind != KindEOF; tk = tz.Next() {
				if tk.End <= tk.Start || tk.End > len(q) {
					t.Fatalf("%v %q: bad token %+v", d, q, tk)
				}
				n++
			}
			Check(q, nil, d)
			Check(q, []Span{{Start: 0, End: len(q)}}, d)
			Check(q, []Span{{Start: -5, End: 3}, {Start: len(q) + 1, End: len(q) + 9}, {Start: 4, End: 2}}, d)
			Redact(q, d)
		}
	}
}

// An unterminated quote opened by a dynamic part is an injection.
func TestUnterminatedFromDynamic(t *testing.T) {
	for d := Generic; d <= SQLServer; d++ {
		for _, v := range []string{"abc'", "x' /*", "1 /*", "1 --"} {
			q, dyn := fill("SELECT * FROM t WHERE a = '%s", v)
			if v[0] == '1' {
				q, dyn = fill("SELECT * FROM t WHERE a = %s", v)
			}
			if _, ok := Check(q, dyn, d); !ok && !(d == MySQL && strings.HasSuffix(v, "--")) {
				t.Errorf("%v %q not flagged", d, q)
			}
		}
	}
}

// steps returns how many bytes the tokenizer passes of f stepped over, in
// all: the work of a check, counted rather than timed, so that the tests
// below hold on a loaded machine.
func steps(f func()) int {
	n := 0
	stepHook = func(b int) { n += b }
	defer func() { stepHook = nil }()
	f()
	return n
}

// TestLinear checks that 10 MB queries of pathological shapes are judged
// with work proportional to their length: the bytes the tokenizer steps
// over, in all its passes, are a bounded multiple of the query's length,
// the same multiple for 256 KiB and for 10 MiB.
func TestLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	shapes := map[string]string{
		"unterminated string":  "SELECT '",
		"unterminated comment": "SELECT /*",
		"ors":                  "x OR ",
		"or-comments":          "OR /**/ ",
		"parens":               "(",
		"unions":               "1 UNION SELECT ",
		"dollars":              "$a",
		"words":                "select ",
		"comments on a line":   "x /**/ ",
		"quotes":               "'a' ",
		"nested":               "/* /* ",
	}
	const big = 10 << 20
	for name, unit := range shapes {
		small := strings.Repeat(unit, (big/40)/len(unit))
		large := strings.Repeat(unit, big/len(unit))
		spanS := []Span{{Start: len(small) / 2, End: len(small)/2 + 3}}
		spanL := []Span{{Start: len(large) / 2, End: len(large)/2 + 3}}
		for _, d := range []Dialect{Generic, Postgres, MySQL} {
			ws := steps(func() { Check(small, nil, d); Check(small, spanS, d) })
			wl := steps(func() { Check(large, nil, d); Check(large, spanL, d) })
			perS := float64(ws) / float64(len(small))
			perL := float64(wl) / float64(len(large))
			// Two checks, each at most a few passes over the query.
			if perS > 8 || perL > 8 || perL > perS*1.05+0.01 {
				t.Errorf("%s (%v): %.2f bytes stepped per byte at 256 KiB, %.2f at 10 MiB: not linear", name, d, perS, perL)
			}
		}
	}
}

// Many ranges in query order keep one tokenizer pass (two for Generic,
// which reads a query also with backslash escapes).
func TestManySpansLinear(t *testing.T) {
	var b strings.Builder
	var dyn []Span
	b.WriteString("SELECT * FROM t WHERE id IN (")
	for i := 0; i < 20000; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		dyn = append(dyn, Span{Start: b.Len(), End: b.Len() + 3})
		b.WriteString("123")
	}
	b.WriteString(")")
	q := b.String()
	var f Finding
	var ok bool
	w := steps(func() { f, ok = Check(q, dyn, Generic) })
	if ok {
		t.Fatalf("flagged %+v", f)
	}
	if w > 3*len(q) {
		t.Errorf("20000 spans: the tokenizer stepped over %d bytes of a %d-byte query", w, len(q))
	}
}
