package raspimpl

import (
	"context"
	"reflect"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
	"github.com/rasp-instrument/rasp-instrument/runtime/sqli"
)

// Libraries with their own wire protocol (github.com/jackc/pgx) never reach
// database/sql, and the runtime cannot import them to write hooks with
// their types. Their calls are listed in the sink spec with "check: DIALECT"
// and the build wraps each call in one of these generic functions, which
// take the sink's method value, judge the query (parameter 1, after the
// context) and call it, or refuse. Go infers the result types, so the
// rewritten call names no type of the library.
//
// Each of them puts back, when its call returns, the judged-query mark it
// found (reqctx.IsQueryJudged): a driver's own queries, such as pgx's while
// database/sql opens a connection for the application's query, must not
// take the place of that query's mark before it reaches the driver's call
// site.

// CheckedSQL judges query and calls f, or returns f's zero result and the
// refusal. For sinks shaped func(ctx, query string, args ...any) (R, error).
func CheckedSQL[R any](site *Site, dialect string, f func(context.Context, string, ...any) (R, error), ctx context.Context, query string, args ...any) (R, error) {
	defer reqctx.SetQueryMark(reqctx.QueryMark()) // put back the mark found (see above)
	if err := judgeLibQuery(ctx, site, query, dialect); err != nil {
		var zero R
		return zero, err
	}
	return f(ctx, query, args...)
}

// CheckedSQLRow is CheckedSQL for sinks that return one row and report
// errors through its Scan method (pgx's QueryRow): a refused call returns a
// row whose Scan returns the refusal.
func CheckedSQLRow[R any](site *Site, dialect string, f func(context.Context, string, ...any) R, ctx context.Context, query string, args ...any) R {
	defer reqctx.SetQueryMark(reqctx.QueryMark()) // put back the mark found (see above)
	if err := judgeLibQuery(ctx, site, query, dialect); err != nil {
		if r, ok := any(errorRow{err}).(R); ok {
			return r
		}
		// A row type errorRow cannot stand for: the call cannot be
		// refused without breaking the caller, so it goes ahead.
		metrics.NoteInternalError()
		metrics.CountInternalError("sqli")
		events.Logf("cannot refuse %s: its row type has no Scan(...any) error method (call allowed)", site)
	}
	return f(ctx, query, args...)
}

// CheckedSQLFunc wraps a function or method value of such a sink, for code
// that stores it (q := pool.Query).
func CheckedSQLFunc[R any](site *Site, dialect string, f func(context.Context, string, ...any) (R, error)) func(context.Context, string, ...any) (R, error) {
	return func(ctx context.Context, query string, args ...any) (R, error) {
		return CheckedSQL(site, dialect, f, ctx, query, args...)
	}
}

// CheckedSQLBatch judges every query queued in a batch before f sends it,
// for sinks shaped func(ctx, *Batch) R (pgx's SendBatch): b points to a
// struct whose QueuedQueries field lists pointers to structs with an SQL
// string field, read through reflection. A refused batch is not sent: f is
// called with a context already cancelled, with the refusal as its cause,
// so the results it returns report an error and nothing reaches the
// database. The batch's queries have no template: they are judged with the
// request's inputs and the context-free rules.
func CheckedSQLBatch[B, R any](site *Site, dialect string, f func(context.Context, B) R, ctx context.Context, b B) R {
	defer reqctx.SetQueryMark(reqctx.QueryMark()) // put back the mark found (see above)
	if judge.CurrentMode() != policy.ModeOff {
		for _, q := range batchQueries(b) {
			if err := judgeLibQuery(ctx, site, q, dialect); err != nil {
				if ctx == nil {
					ctx = context.Background()
				}
				refused, cancel := context.WithCancelCause(ctx)
				cancel(err)
				return f(refused, b)
			}
		}
	}
	return f(ctx, b)
}

// batchQueries returns the SQL of each query queued in b (see
// CheckedSQLBatch); nil for any other shape.
func batchQueries(b any) []string {
	v := reflect.ValueOf(b)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	qs := v.FieldByName("QueuedQueries")
	if qs.Kind() != reflect.Slice {
		return nil
	}
	out := make([]string, 0, qs.Len())
	for i := 0; i < qs.Len(); i++ {
		q := qs.Index(i)
		for q.Kind() == reflect.Pointer && !q.IsNil() {
			q = q.Elem()
		}
		if q.Kind() != reflect.Struct {
			continue
		}
		if s := q.FieldByName("SQL"); s.Kind() == reflect.String {
			out = append(out, s.String())
		}
	}
	return out
}

// errorRow is a row whose Scan reports a refusal.
type errorRow struct{ err error }

// Scan returns the refusal.
func (r errorRow) Scan(...any) error { return r.err }

// judgeLibQuery judges a query in the named dialect (sqli.ParseDialect;
// an unknown name: all of them).
//
// A query judged already (by the application's call site through
// database/sql, whose driver is pgx/stdlib, or by pgxpool before the pgx
// connection it calls) is not judged again: those inner call sites have
// no template, and would run the context-free rules on the program's own
// constant queries.
func judgeLibQuery(ctx context.Context, site *Site, query, dialect string) error {
	if reqctx.IsQueryJudged(reqctx.StringData(query)) {
		return nil
	}
	d, _ := sqli.ParseDialect(dialect) // the spec checked the name; Generic otherwise
	return judgeQuery(ctx, site, d, 1, query)
}
