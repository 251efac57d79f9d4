// Command fiberv3 serves one route of fiberapp's catalogue with Fiber v3,
// which also serves through fasthttp:
//
//	GET /items/:owner   route param -> SQL (vulnerable)
//
//	fiberv3 [-addr 127.0.0.1:0]
//
// It prints "listening on ADDR" once it listens.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v3"
	_ "modernc.org/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE products (owner TEXT, name TEXT, price INTEGER)`,
		`INSERT INTO products VALUES ('alice', 'apple', 3), ('bob', 'pear', 4), ('carol', 'safe', 99)`,
	} {
		if _, err := db.Exec(q); err != nil {
			log.Fatal(err)
		}
	}
	app := fiber.New()
	// items is vulnerable: the :owner route parameter is concatenated into
	// the query, which a helper runs.
	app.Get("/items/:owner", func(c fiber.Ctx) error {
		owner, err := url.PathUnescape(c.Params("owner"))
		if err != nil {
			return fiber.ErrBadRequest
		}
		return list(c, db, "SELECT name, price FROM products WHERE owner = '"+owner+"'")
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}))
}

// list writes "name price" lines for the query's rows.
func list(c fiber.Ctx, db *sql.DB, q string) error {
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		return err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var name string
		var price int
		if err := rows.Scan(&name, &price); err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d\n", name, price)
	}
	return c.SendString(b.String())
}
