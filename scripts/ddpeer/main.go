// Command ddpeer serves the bench's handlers (example.com/benchsvc/app,
// the same package testdata/src/benchsvc serves) behind Datadog's
// dd-trace-go with App and API Protection (AAP, formerly AppSec) and its
// RASP enabled: a peer to compare rasp-instrument's per-request cost
// against. Like benchsvc it listens on $ADDR (127.0.0.1:0 by default) and
// prints "listening on HOST:PORT" on stdout.
//
// Versions (go.mod): github.com/DataDog/dd-trace-go/v2 v2.12.0,
// github.com/DataDog/dd-trace-go/contrib/net/http/v2 v2.12.0,
// github.com/DataDog/dd-trace-go/contrib/database/sql/v2 v2.9.2 (the
// newest the module proxy serves of that module), which bring
// github.com/DataDog/go-libddwaf/v5 v5.0.0 (libddwaf 2.0.1, the default
// ruleset 1.18.1) and github.com/ebitengine/purego v0.10.0; built with
// go1.26.8.
//
// Package ddenv sets the configuration (DD_APPSEC_ENABLED=true,
// DD_APPSEC_RASP_ENABLED=true, ...) unless the environment sets it. The
// WAF is only compiled in with cgo (the default here) or with
// CGO_ENABLED=0 and -tags appsec; ddpeer exits when AppSec or RASP was
// asked for and is not running.
//
// The requests go through the net/http contrib (a span per request, the
// WAF on the request's URI, query, headers, cookies and client address;
// not on the body, which only the app could hand to it) and the queries
// through the database/sql contrib (a span per query, RASP's SQL
// injection check on the statement). The contrib only checks queries that
// reach the driver through its QueryContext and ExecContext, not prepared
// statements, and the bench's driver only knows Prepare; so its
// connections are given QueryContext and ExecContext here (prepare, run,
// close, as database/sql does without them), as real drivers (pq, pgx,
// mysql) have. RASP's default rules only detect (the trace gets the event
// and a stack trace); the query runs and the request is answered. With
// the ruleset raspblock.sh writes (DD_APPSEC_RULES), RASP blocks: the
// query is not run, the driver call fails with dd-trace-go's blocking
// error, and the bench's handler answers that error as its own 500
// ("request blocked by WAF"); dd-trace-go's 403 would need the handler to
// return without writing when events.IsSecurityError(err).
//
// No Datadog agent runs next to it: the tracer still builds, samples and
// encodes every trace and tries, once a second, to send them to the
// agent's address (localhost:8126 unless DD_TRACE_AGENT_URL or
// DD_AGENT_HOST say otherwise); the connection is refused, the payload is
// dropped (no retries), and "lost N traces" is logged as an error at most
// once a minute. Requests are served as usual.
package main

import (
	"context"
	"database/sql/driver"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"

	_ "example.com/ddpeer/ddenv" // first: the configuration

	"example.com/benchsvc/app"
	sqltrace "github.com/DataDog/dd-trace-go/contrib/database/sql/v2"
	httptrace "github.com/DataDog/dd-trace-go/contrib/net/http/v2"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"github.com/DataDog/dd-trace-go/v2/instrumentation"
)

func main() {
	if err := tracer.Start(); err != nil {
		log.Fatal(err)
	}
	defer tracer.Stop()
	checkAppSec()

	sqltrace.Register("benchdb", benchDriver{app.Driver()})
	db, err := sqltrace.Open("benchdb", "")
	if err != nil {
		log.Fatal(err)
	}

	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: httptrace.WrapHandler(app.Handler(db), "ddpeer", "")}
	log.Fatal(srv.Serve(ln))
}

// checkAppSec says on stderr whether AppSec and RASP run, and exits if
// the environment asks for them and they do not.
func checkAppSec() {
	in := instrumentation.Load(instrumentation.PackageDatabaseSQL)
	appsec, rasp := in.AppSecEnabled(), in.AppSecRASPEnabled()
	log.Printf("ddpeer: appsec %t, rasp %t", appsec, rasp)
	if (want("DD_APPSEC_ENABLED") && !appsec) || (want("DD_APPSEC_ENABLED") && want("DD_APPSEC_RASP_ENABLED") && !rasp) {
		log.Fatal("ddpeer: AppSec/RASP asked for but not running (the WAF needs cgo, or CGO_ENABLED=0 with -tags appsec; DD_TRACE_DEBUG=true says more)")
	}
}

func want(env string) bool {
	b, _ := strconv.ParseBool(os.Getenv(env))
	return b
}

// benchDriver is the bench's driver with connections that answer
// QueryContext and ExecContext.
type benchDriver struct{ driver.Driver }

func (d benchDriver) Open(name string) (driver.Conn, error) {
	c, err := d.Driver.Open(name)
	if err != nil {
		return nil, err
	}
	return benchConn{c}, nil
}

type benchConn struct{ driver.Conn }

func (c benchConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.Prepare(query)
	if err != nil {
		return nil, err
	}
	rows, err := s.Query(values(args))
	if err != nil {
		s.Close()
		return nil, err
	}
	return stmtRows{rows, s}, nil
}

func (c benchConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.Prepare(query)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Exec(values(args))
}

func values(args []driver.NamedValue) []driver.Value {
	v := make([]driver.Value, len(args))
	for i, a := range args {
		v[i] = a.Value
	}
	return v
}

// stmtRows closes its statement with the rows.
type stmtRows struct {
	driver.Rows
	stmt driver.Stmt
}

func (r stmtRows) Close() error {
	err := r.Rows.Close()
	if err2 := r.stmt.Close(); err == nil {
		err = err2
	}
	return err
}
