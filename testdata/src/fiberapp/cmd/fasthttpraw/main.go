// Command fasthttpraw is fiberapp's catalogue on plain fasthttp, without
// Fiber: one fasthttp.Server whose handler switches on the path.
//
//	GET /items?owner=   query arg              -> SQL    (vulnerable)
//	ANY /ping           form or query arg host -> sh -c  (vulnerable)
//
//	fasthttpraw [-addr 127.0.0.1:0] [-db FILE]
//
// It prints "listening on ADDR" once it listens.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net"
	"os/exec"
	"strings"

	"github.com/valyala/fasthttp"
	_ "modernc.org/sqlite"
)

type app struct{ db *sql.DB }

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	dbPath := flag.String("db", ":memory:", "SQLite database file, created and seeded if it has no products table")
	flag.Parse()

	db, err := openDB(*dbPath)
	if err != nil {
		log.Fatal(err)
	}
	a := &app{db: db}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: a.handle, Name: "fasthttpraw"}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(srv.Serve(ln))
}

// openDB opens the database and seeds it the first time, as fiberapp does.
func openDB(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY, owner TEXT, name TEXT, price INTEGER, secret TEXT)`); err != nil {
		return nil, err
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM products`).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		_, err := db.Exec(`INSERT INTO products (owner, name, price, secret) VALUES
			('alice', 'apple', 3, 'a-secret'), ('alice', 'pear', 4, 'p-secret'),
			('bob', 'O''Brien tea', 7, 't-secret'), ('carol', 'safe', 99, 'c-secret')`)
		if err != nil {
			return nil, err
		}
	}
	return db, nil
}

func (a *app) handle(ctx *fasthttp.RequestCtx) {
	switch string(ctx.Path()) {
	case "/items":
		a.items(ctx)
	case "/ping":
		a.ping(ctx)
	default:
		ctx.Error("not found", fasthttp.StatusNotFound)
	}
}

// items is vulnerable: the owner query arg is concatenated into the query.
// The query runs with the request as its context (*fasthttp.RequestCtx is
// a context.Context).
func (a *app) items(ctx *fasthttp.RequestCtx) {
	owner := string(ctx.QueryArgs().Peek("owner"))
	rows, err := a.db.QueryContext(ctx, "SELECT name, price FROM products WHERE owner = '"+owner+"'")
	if err != nil {
		fail(ctx, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var price int
		if err := rows.Scan(&name, &price); err != nil {
			fail(ctx, err)
			return
		}
		fmt.Fprintf(ctx, "%s %d\n", name, price)
	}
}

// ping is vulnerable: the host arg (query or urlencoded/multipart form
// body, as FormValue reads it) goes through a shell.
func (a *app) ping(ctx *fasthttp.RequestCtx) {
	out, err := exec.Command("sh", "-c", "echo pinging "+string(ctx.FormValue("host"))).CombinedOutput()
	if err != nil {
		fail(ctx, err)
		return
	}
	ctx.Write(out)
}

// fail answers as webapp's does: a refusal by the runtime is 403.
func fail(ctx *fasthttp.RequestCtx, err error) {
	if strings.Contains(err.Error(), "blocked by rule") {
		ctx.Error("blocked", fasthttp.StatusForbidden)
		return
	}
	ctx.Error(err.Error(), fasthttp.StatusInternalServerError)
}
