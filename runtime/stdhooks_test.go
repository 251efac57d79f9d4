package rasp

import (
	"context"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

type fixedInputs []Input

func (f fixedInputs) Inputs() []Input { return f }

func TestEntrySQLJudgesOnlyInputs(t *testing.T) {
	old := CurrentMode()
	SetMode(policy.ModeBlock)
	defer SetMode(old)
	SetEventWriter(discard{})
	defer SetEventWriter(nil)
	q := "SELECT name FROM items WHERE owner = 'x' OR '1'='1'"
	if err := entrySQL(context.Background(), nil, q); err != nil {
		t.Errorf("outside a request the entry point judged: %v", err)
	}
	req := NewRequest("r1", "GET", "/", "127.0.0.1", fixedInputs{{Source: "query", Name: "owner", Value: "x' OR '1'='1"}})
	ctx := WithRequest(context.Background(), req)
	if err := entrySQL(ctx, nil, q); err == nil {
		t.Errorf("an input that changed the query was let through")
	}
	if err := entrySQL(ctx, nil, "SELECT 1 OR 1=1 -- written in the code"); err != nil {
		t.Errorf("a query without the input was judged: %v", err)
	}
	markEntryJudged(stringPtr(q))
	if entryMark() != nil { // plain build: no goroutine field, nothing is skipped
		if err := entrySQL(ctx, nil, q); err != nil {
			t.Errorf("a query judged at its call site was judged again: %v", err)
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
	req := NewRequest("r", "GET", "/", "", fixedInputs{{Value: "../../../etc/passwd"}, {Value: "a/../b.txt"}})
	if in := climbingInput(req, "/etc/passwd"); in == nil {
		t.Errorf("a cleaned traversal was not found")
	}
	if in := climbingInput(req, "/srv/docs/b.txt"); in != nil {
		t.Errorf("a path that stays inside was reported: %+v", in)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkEntrySQLOutsideRequest is what every query of a program built
// with the tool pays at database/sql's entry point when no request is
// known; BenchmarkEntrySQLInRequest when one is, with ten inputs.
func BenchmarkEntrySQLOutsideRequest(b *testing.B) {
	ctx := context.Background()
	q := "SELECT name, price FROM products WHERE category = ? ORDER BY name LIMIT 20"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if entrySQL(ctx, nil, q) != nil {
			b.Fatal("blocked")
		}
	}
}

func BenchmarkEntrySQLInRequest(b *testing.B) {
	in := fixedInputs{{"query", "page", "2"}, {"query", "sort", "name"}, {"query", "q", "garden tools"},
		{"header", "User-Agent", "Mozilla/5.0 (X11; Linux x86_64)"}, {"cookie", "session", "3f2a9c0e1b"},
		{"path", "0", "products"}, {"query", "lang", "en-GB"}, {"query", "ids", "1,2,3"}, {"header", "Referer", "https://shop.example/"}, {"query", "x", "y"}}
	req := NewRequest("r", "GET", "/products", "127.0.0.1", in)
	ctx := WithRequest(context.Background(), req)
	q := "SELECT name, price FROM products WHERE category = 'garden tools' ORDER BY name LIMIT 20"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if entrySQL(ctx, nil, q) != nil {
			b.Fatal("blocked")
		}
	}
}

func BenchmarkEntryOpenOutsideRequest(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if entryOpen("/srv/app/static/logo.png", 0) != nil {
			b.Fatal("blocked")
		}
	}
}
