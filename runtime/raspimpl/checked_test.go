package raspimpl

import (
	"context"
	"errors"
	"strings"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// batch and queuedQuery have the shape of pgx's Batch and QueuedQuery.
type queuedQuery struct {
	SQL       string
	Arguments []any
}

type batch struct{ QueuedQueries []*queuedQuery }

// TestCheckedSQLBatch: every queued query is judged; a refused batch is
// sent with a cancelled context whose cause is the refusal.
func TestCheckedSQLBatch(t *testing.T) {
	site := &callsite.Site{Sink: "github.com/jackc/pgx/v5.(*Conn).SendBatch", Family: event.FamilySQL}
	send := func(ctx context.Context, b *batch) error {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		return nil
	}
	req := reqctx.NewRequest("r", "GET", "/", "127.0.0.1", reqctx.Fixed{{Source: "query", Name: "id", Value: "1; DROP TABLE users"}})
	ctx := reqctx.WithRequest(context.Background(), req)
	withMode(t, policy.ModeBlock, func() {
		safe := &batch{QueuedQueries: []*queuedQuery{{SQL: "SELECT 1"}, {SQL: "SELECT * FROM t WHERE id = $1", Arguments: []any{"1; DROP TABLE users"}}}}
		if err := CheckedSQLBatch(site, "postgres", send, ctx, safe); err != nil {
			t.Errorf("a safe batch was refused: %v", err)
		}
		bad := &batch{QueuedQueries: []*queuedQuery{{SQL: "SELECT 1"}, {SQL: strings.Clone("SELECT * FROM t WHERE id = 1; DROP TABLE users")}}}
		if err := CheckedSQLBatch(site, "postgres", send, ctx, bad); !errors.Is(err, rasp.ErrBlocked) {
			t.Errorf("an injected batch: err = %v, want the refusal as the context's cause", err)
		}
		if qs := batchQueries((*batch)(nil)); qs != nil {
			t.Errorf("a nil batch: %q", qs)
		}
	})
}
