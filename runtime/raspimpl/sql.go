package raspimpl

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"reflect"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/detect"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/stdhook"
	"github.com/rasp-instrument/rasp-instrument/runtime/sqli"
)

// judgeDBQuery judges a query about to be sent through site, for the request
// ctx (may be nil) or the goroutine serves, in the dialect of
// db's driver (db may be nil: the union of all dialects is used).
// arg is the query's index among the sink's parameters.
func judgeDBQuery(ctx context.Context, site *Site, db *sql.DB, arg int, query string) error {
	return judgeQuery(ctx, site, dialectOf(db), arg, query)
}

// judgeQuery is judgeDBQuery in dialect d: the hooks of *sql.Tx and *sql.Conn
// tell it from their DB's driver (txDialect, connDialect).
func judgeQuery(ctx context.Context, site *Site, d sqli.Dialect, arg int, query string) error {
	req := reqctx.CurrentRequest(ctx)
	err := judge.JudgeCall(site, req, func() (judge.Finding, bool) { return detect.CheckSQL(site, arg, query, d, req) })
	if err == nil {
		reqctx.MarkQueryJudged(reqctx.StringData(query)) // for the entry point the sink calls next
	}
	return err
}

var dialects sync.Map // *sql.DB -> sqli.Dialect

// dialectOf tells the SQL dialect from the type of db's driver.
func dialectOf(db *sql.DB) sqli.Dialect {
	if db == nil {
		return sqli.Generic
	}
	if d, ok := dialects.Load(db); ok {
		return d.(sqli.Dialect)
	}
	d := sqli.DialectForDriver(reflect.TypeOf(db.Driver()).String())
	dialects.Store(db, d)
	return d
}

// DBQuery is the hook for (*sql.DB).Query.
func DBQuery(site *Site, db *sql.DB, query string, args ...any) (*sql.Rows, error) {
	if err := judgeDBQuery(nil, site, db, 0, query); err != nil {
		return nil, err
	}
	return db.Query(query, args...)
}

// DBQueryContext is the hook for (*sql.DB).QueryContext.
func DBQueryContext(site *Site, db *sql.DB, ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := judgeDBQuery(ctx, site, db, 1, query); err != nil {
		return nil, err
	}
	return db.QueryContext(ctx, query, args...)
}

// DBQueryRow is the hook for (*sql.DB).QueryRow.
func DBQueryRow(site *Site, db *sql.DB, query string, args ...any) *sql.Row {
	if err := judgeDBQuery(nil, site, db, 0, query); err != nil {
		return blockedRow(context.Background(), err)
	}
	return db.QueryRow(query, args...)
}

// DBQueryRowContext is the hook for (*sql.DB).QueryRowContext.
func DBQueryRowContext(site *Site, db *sql.DB, ctx context.Context, query string, args ...any) *sql.Row {
	if err := judgeDBQuery(ctx, site, db, 1, query); err != nil {
		return blockedRow(ctx, err)
	}
	return db.QueryRowContext(ctx, query, args...)
}

// DBExec is the hook for (*sql.DB).Exec.
func DBExec(site *Site, db *sql.DB, query string, args ...any) (sql.Result, error) {
	if err := judgeDBQuery(nil, site, db, 0, query); err != nil {
		return nil, err
	}
	return db.Exec(query, args...)
}

// DBExecContext is the hook for (*sql.DB).ExecContext.
func DBExecContext(site *Site, db *sql.DB, ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := judgeDBQuery(ctx, site, db, 1, query); err != nil {
		return nil, err
	}
	return db.ExecContext(ctx, query, args...)
}

// DBPrepare is the hook for (*sql.DB).Prepare.
func DBPrepare(site *Site, db *sql.DB, query string) (*sql.Stmt, error) {
	if err := judgeDBQuery(nil, site, db, 0, query); err != nil {
		return nil, err
	}
	return db.Prepare(query)
}

// DBPrepareContext is the hook for (*sql.DB).PrepareContext.
func DBPrepareContext(site *Site, db *sql.DB, ctx context.Context, query string) (*sql.Stmt, error) {
	if err := judgeDBQuery(ctx, site, db, 1, query); err != nil {
		return nil, err
	}
	return db.PrepareContext(ctx, query)
}

// TxQuery is the hook for (*sql.Tx).Query.
func TxQuery(site *Site, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if err := judgeQuery(nil, site, txDialect(site, tx), 0, query); err != nil {
		return nil, err
	}
	return tx.Query(query, args...)
}

// TxQueryContext is the hook for (*sql.Tx).QueryContext.
func TxQueryContext(site *Site, tx *sql.Tx, ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := judgeQuery(ctx, site, txDialect(site, tx), 1, query); err != nil {
		return nil, err
	}
	return tx.QueryContext(ctx, query, args...)
}

// TxQueryRow is the hook for (*sql.Tx).QueryRow.
func TxQueryRow(site *Site, tx *sql.Tx, query string, args ...any) *sql.Row {
	if err := judgeQuery(nil, site, txDialect(site, tx), 0, query); err != nil {
		return blockedRow(context.Background(), err)
	}
	return tx.QueryRow(query, args...)
}

// TxQueryRowContext is the hook for (*sql.Tx).QueryRowContext.
func TxQueryRowContext(site *Site, tx *sql.Tx, ctx context.Context, query string, args ...any) *sql.Row {
	if err := judgeQuery(ctx, site, txDialect(site, tx), 1, query); err != nil {
		return blockedRow(ctx, err)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// TxExec is the hook for (*sql.Tx).Exec.
func TxExec(site *Site, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if err := judgeQuery(nil, site, txDialect(site, tx), 0, query); err != nil {
		return nil, err
	}
	return tx.Exec(query, args...)
}

// TxExecContext is the hook for (*sql.Tx).ExecContext.
func TxExecContext(site *Site, tx *sql.Tx, ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := judgeQuery(ctx, site, txDialect(site, tx), 1, query); err != nil {
		return nil, err
	}
	return tx.ExecContext(ctx, query, args...)
}

// TxPrepare is the hook for (*sql.Tx).Prepare.
func TxPrepare(site *Site, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if err := judgeQuery(nil, site, txDialect(site, tx), 0, query); err != nil {
		return nil, err
	}
	return tx.Prepare(query)
}

// TxPrepareContext is the hook for (*sql.Tx).PrepareContext.
func TxPrepareContext(site *Site, tx *sql.Tx, ctx context.Context, query string) (*sql.Stmt, error) {
	if err := judgeQuery(ctx, site, txDialect(site, tx), 1, query); err != nil {
		return nil, err
	}
	return tx.PrepareContext(ctx, query)
}

// ConnQueryContext is the hook for (*sql.Conn).QueryContext.
func ConnQueryContext(site *Site, c *sql.Conn, ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := judgeQuery(ctx, site, connDialect(site, c), 1, query); err != nil {
		return nil, err
	}
	return c.QueryContext(ctx, query, args...)
}

// ConnQueryRowContext is the hook for (*sql.Conn).QueryRowContext.
func ConnQueryRowContext(site *Site, c *sql.Conn, ctx context.Context, query string, args ...any) *sql.Row {
	if err := judgeQuery(ctx, site, connDialect(site, c), 1, query); err != nil {
		return blockedRow(ctx, err)
	}
	return c.QueryRowContext(ctx, query, args...)
}

// ConnExecContext is the hook for (*sql.Conn).ExecContext.
func ConnExecContext(site *Site, c *sql.Conn, ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := judgeQuery(ctx, site, connDialect(site, c), 1, query); err != nil {
		return nil, err
	}
	return c.ExecContext(ctx, query, args...)
}

// ConnPrepareContext is the hook for (*sql.Conn).PrepareContext.
func ConnPrepareContext(site *Site, c *sql.Conn, ctx context.Context, query string) (*sql.Stmt, error) {
	if err := judgeQuery(ctx, site, connDialect(site, c), 1, query); err != nil {
		return nil, err
	}
	return c.PrepareContext(ctx, query)
}

// blockedRow returns a *sql.Row whose Scan (and Err) return err. database/sql
// gives no way to build a Row by hand, so the row comes from a query on a
// private in-memory driver whose only answer is the error carried by ctx.
func blockedRow(ctx context.Context, err error) *sql.Row {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx = context.WithoutCancel(ctx)
	return refusingDB().QueryRowContext(context.WithValue(ctx, refusalKey{}, err), "")
}

type refusalKey struct{}

var refusing struct {
	once sync.Once
	db   *sql.DB
}

func refusingDB() *sql.DB {
	refusing.once.Do(func() { refusing.db = sql.OpenDB(refusingConnector{}) })
	return refusing.db
}

// refusingConnector, refusingConn: a database/sql driver that refuses every
// query with the error stored in the query's context.
type refusingConnector struct{}

func (refusingConnector) Connect(context.Context) (driver.Conn, error) { return refusingConn{}, nil }
func (refusingConnector) Driver() driver.Driver                        { return refusingDriver{} }

type refusingDriver struct{}

func (refusingDriver) Open(string) (driver.Conn, error) { return refusingConn{}, nil }

type refusingConn struct{}

func (refusingConn) Prepare(string) (driver.Stmt, error) { return nil, callsite.ErrBlocked }
func (refusingConn) Close() error                        { return nil }
func (refusingConn) Begin() (driver.Tx, error)           { return nil, callsite.ErrBlocked }

func (refusingConn) QueryContext(ctx context.Context, _ string, _ []driver.NamedValue) (driver.Rows, error) {
	if err, ok := ctx.Value(refusalKey{}).(error); ok {
		return nil, err
	}
	return nil, callsite.ErrBlocked
}

var _ driver.QueryerContext = refusingConn{}

// txDialect tells the SQL dialect of a transaction's driver, in a program
// built with the tool (the standard library's database/sql then has an
// accessor for it); Generic otherwise, and for a site whose query is all
// static, which is never judged.
func txDialect(site *Site, tx *sql.Tx) sqli.Dialect {
	if tx == nil || site.Static {
		return sqli.Generic
	}
	return stdhook.TxDialect(tx)
}

// connDialect is txDialect for a connection.
func connDialect(site *Site, c *sql.Conn) sqli.Dialect {
	if c == nil || site.Static {
		return sqli.Generic
	}
	return stdhook.ConnDialect(c)
}
