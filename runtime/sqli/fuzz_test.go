package sqli

import (
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"SELECT * FROM users WHERE id = 1 OR 1=1 -- x",
	"SELECT $1::int, E'a\\'b', $tag$x'y$tag$ /* a /* b */ c */",
	"SELECT `a``b`, \"x\\\"y\", 0x1F, b'01' # c /*!50000 UNION*/",
	"SELECT [a]]b], N'x', @p1 FROM #tmp; WAITFOR DELAY '0:0:5'",
	"x = ?1 AND y = :n AND z = 'it''s' UNION ALL SELECT NULL,@@version",
	"'\x00\xff", "/*", "$$", "--", "E'\\",
}

// FuzzTokenizer checks the tokenizer's invariants on any input: tokens are
// non-empty, ordered, within bounds, separated only by whitespace; the
// checks and Redact never panic.
func FuzzTokenizer(f *testing.F) {
	for _, s := range fuzzSeeds {
		for d := uint8(0); d < 5; d++ {
			f.Add(s, d, uint16(0), uint16(3))
		}
	}
	f.Fuzz(func(t *testing.T, q string, d uint8, a, b uint16) {
		dl := Dialect(d % 5)
		tz := NewTokenizer(q, dl)
		prev := 0
		n := 0
		for {
			tk := tz.Next()
			if tk.Kind == KindEOF {
				if tk.Start != len(q) {
					t.Fatalf("EOF at %d", tk.Start)
				}
				break
			}
			if tk.Start < prev || tk.End <= tk.Start || tk.End > len(q) {
				t.Fatalf("bad token %+v after %d in %q", tk, prev, q)
			}
			if strings.Trim(q[prev:tk.Start], " \t\n\r\f\v") != "" {
				t.Fatalf("skipped %q", q[prev:tk.Start])
			}
			prev = tk.End
			n++
			if n > len(q)+1 {
				t.Fatal("no progress")
			}
		}
		if strings.Trim(q[prev:], " \t\n\r\f\v") != "" {
			t.Fatalf("trailing bytes skipped: %q", q[prev:])
		}
		Check(q, nil, dl)
		Check(q, []Span{{Start: int(a) % (len(q) + 1), End: int(b) % (len(q) + 2)}}, dl)
		Redact(q, dl)
	})
}

// FuzzEscapedValue checks the false-positive side of the dynamic-part
// check: any value escaped the dialect's way into a string literal is data.
func FuzzEscapedValue(f *testing.F) {
	for _, s := range append(fuzzSeeds, "O'Brien", "a\\", "\\'", "''", "%_") {
		for d := uint8(0); d < 5; d++ {
			f.Add(s, d)
		}
	}
	f.Fuzz(func(t *testing.T, v string, d uint8) {
		dl := Dialect(d % 5)
		e := strings.ReplaceAll(v, "'", "''")
		if dl == MySQL || dl == Generic {
			e = strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "'", "''")
		}
		q, dyn := fill("SELECT * FROM t WHERE a = '%s' AND b = 1", e)
		if f, ok := Check(q, dyn, dl); ok {
			t.Fatalf("%v: escaped value flagged: %q %+v", dl, q, f)
		}
		// the same value as the whole literal, quotes included
		q, dyn = fill("SELECT * FROM t WHERE a = %s", "'"+e+"'")
		if f, ok := Check(q, dyn, dl); ok {
			t.Fatalf("%v: quoted value flagged: %q %+v", dl, q, f)
		}
	})
}
