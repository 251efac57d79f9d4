package stdhook

import (
	"context"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/eventstest"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

func TestEntrySQLJudgesOnlyInputs(t *testing.T) {
	old := judge.CurrentMode()
	judge.SetMode(policy.ModeBlock)
	defer judge.SetMode(old)
	eventstest.Discard(t)
	q := strings.Clone("SELECT name FROM items WHERE owner = 'x' OR '1'='1'") // read at run time
	if err := EntrySQL(context.Background(), nil, q); err != nil {
		t.Errorf("outside a request the entry point judged: %v", err)
	}
	req := reqctx.NewRequest("r1", "GET", "/", "127.0.0.1", reqctx.Fixed{{Source: "query", Name: "owner", Value: "x' OR '1'='1"}})
	ctx := reqctx.WithRequest(context.Background(), req)
	if err := EntrySQL(ctx, nil, q); err == nil {
		t.Errorf("an input that changed the query was let through")
	}
	if err := EntrySQL(ctx, nil, "SELECT 1 OR 1=1 -- written in the code"); err != nil {
		t.Errorf("a query without the input was judged: %v", err)
	}
	reqctx.MarkEntryJudged(reqctx.StringData(q))
	if reqctx.EntryMark() != nil { // plain build: no goroutine field, nothing is skipped
		if err := EntrySQL(ctx, nil, q); err != nil {
			t.Errorf("a query judged at its call site was judged again: %v", err)
		}
	}
}

// BenchmarkEntrySQLOutsideRequest is what every query of a program built
// with the tool pays at database/sql's entry point when no request is
// known; BenchmarkEntrySQLInRequest when one is, with ten inputs.
func BenchmarkEntrySQLOutsideRequest(b *testing.B) {
	ctx := context.Background()
	q := "SELECT name, price FROM products WHERE category = ? ORDER BY name LIMIT 20"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if EntrySQL(ctx, nil, q) != nil {
			b.Fatal("blocked")
		}
	}
}

func BenchmarkEntrySQLInRequest(b *testing.B) {
	in := reqctx.Fixed{{Source: "query", Name: "page", Value: "2"}, {Source: "query", Name: "sort", Value: "name"}, {Source: "query", Name: "q", Value: "garden tools"},
		{Source: "header", Name: "User-Agent", Value: "Mozilla/5.0 (X11; Linux x86_64)"}, {Source: "cookie", Name: "session", Value: "3f2a9c0e1b"},
		{Source: "path", Name: "0", Value: "products"}, {Source: "query", Name: "lang", Value: "en-GB"}, {Source: "query", Name: "ids", Value: "1,2,3"}, {Source: "header", Name: "Referer", Value: "https://shop.example/"}, {Source: "query", Name: "x", Value: "y"}}
	req := reqctx.NewRequest("r", "GET", "/products", "127.0.0.1", in)
	ctx := reqctx.WithRequest(context.Background(), req)
	q := "SELECT name, price FROM products WHERE category = 'garden tools' ORDER BY name LIMIT 20"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if EntrySQL(ctx, nil, q) != nil {
			b.Fatal("blocked")
		}
	}
}

func BenchmarkEntryOpenOutsideRequest(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if EntryOpen("/srv/app/static/logo.png", 0) != nil {
			b.Fatal("blocked")
		}
	}
}
