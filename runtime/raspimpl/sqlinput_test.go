package raspimpl

import (
	"context"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// A SQL finding at a site whose template fit names the request input found
// in the offending span, and no input found elsewhere in the query.
func TestSQLFindingNamesInputWithTemplate(t *testing.T) {
	s := site(event.FamilySQL, "database/sql.(*DB).Query")
	s.Tmpls = []Tmpl{T(0, false, "SELECT * FROM u WHERE name = '", "'")}
	const payload = "x' OR '1'='1"
	query := "SELECT * FROM u WHERE name = '" + payload + "'"
	decoy := taint.Input{Source: "header", Name: "X-Decoy", Value: "FROM u"} // in the query's static part
	for _, c := range []struct {
		name   string
		inputs reqctx.Fixed
		want   *taint.Input
	}{
		{"attack", reqctx.Fixed{decoy, {Source: "query", Name: "name", Value: payload}}, &taint.Input{Source: "query", Name: "name", Value: payload}},
		{"no input in the span", reqctx.Fixed{decoy, {Source: "query", Name: "other", Value: "a'b'c"}}, nil},
		{"no inputs", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := reqctx.NewRequest("r", "GET", "/users", "127.0.0.1", c.inputs)
			ctx := reqctx.WithRequest(context.Background(), req)
			if reqctx.CurrentRequest(ctx) != req {
				t.Fatal("the context does not carry the request")
			}
			evs := withMode(t, policy.ModeDetect, func() {
				if err := judgeDBQuery(ctx, s, nil, 0, query); err != nil {
					t.Fatalf("detect mode blocked: %v", err)
				}
			})
			if len(evs) != 1 || evs[0].Rule != "sqli-dynamic" || len(evs[0].Span) != 2 {
				t.Fatalf("events %+v, want one sqli-dynamic finding with a span", evs)
			}
			e := evs[0]
			if e.RequestID != "r" {
				t.Errorf("request_id %q", e.RequestID)
			}
			switch {
			case c.want == nil && e.Input != nil:
				t.Errorf("input %+v, want none", *e.Input)
			case c.want != nil && (e.Input == nil || *e.Input != event.Input(*c.want)):
				t.Errorf("input %+v, want %+v", e.Input, *c.want)
			}
		})
	}
}
