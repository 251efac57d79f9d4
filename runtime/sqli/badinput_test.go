package sqli

import (
	"strings"
	"testing"
	"time"
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
			Check(q, []Span{{0, len(q)}}, d)
			Check(q, []Span{{-5, 3}, {len(q) + 1, len(q) + 9}, {4, 2}}, d)
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

func timeIt(f func()) time.Duration {
	best := time.Duration(1 << 62)
	for i := 0; i < 2; i++ {
		s := time.Now()
		f()
		if e := time.Since(s); e < best {
			best = e
		}
	}
	return best
}

// TestLinear checks that 10 MB queries of pathological shapes are judged in
// time proportional to their length.
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
	// 256 KiB against 10 MiB: 40 times the bytes. Linear work takes about
	// 40 times as long, quadratic work 1600 times; the bound leaves room
	// for a loaded machine.
	const big = 10 << 20
	for name, unit := range shapes {
		small := strings.Repeat(unit, (big/40)/len(unit))
		large := strings.Repeat(unit, big/len(unit))
		spanS := []Span{{len(small) / 2, len(small)/2 + 3}}
		spanL := []Span{{len(large) / 2, len(large)/2 + 3}}
		for _, d := range []Dialect{Generic, Postgres, MySQL} {
			ts := timeIt(func() { Check(small, nil, d); Check(small, spanS, d) })
			tl := timeIt(func() { Check(large, nil, d); Check(large, spanL, d) })
			if tl > 300*ts+50*time.Millisecond {
				t.Errorf("%s (%v): 256 KiB %v, 10 MiB %v: not linear", name, d, ts, tl)
			}
		}
	}
}

// Many ranges in query order keep one tokenizer pass.
func TestManySpansLinear(t *testing.T) {
	var b strings.Builder
	var dyn []Span
	b.WriteString("SELECT * FROM t WHERE id IN (")
	for i := 0; i < 20000; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		dyn = append(dyn, Span{b.Len(), b.Len() + 3})
		b.WriteString("123")
	}
	b.WriteString(")")
	q := b.String()
	start := time.Now()
	if f, ok := Check(q, dyn, Generic); ok {
		t.Fatalf("flagged %+v", f)
	}
	if e := time.Since(start); e > time.Second {
		t.Errorf("20000 spans took %v", e)
	}
}
