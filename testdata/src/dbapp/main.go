// Command dbapp is a product catalogue served from live database servers,
// PostgreSQL and MySQL/MariaDB, through every access path a Go program
// commonly takes to them: database/sql with lib/pq, pgx's stdlib driver and
// go-sql-driver/mysql, pgx's own API (a connection, a pool and a batch),
// gorm and sqlx. Each path has vulnerable routes, which build the query
// from a request parameter by concatenation or fmt.Sprintf (in a string
// literal, in a number's place, in ORDER BY, in a statement run with Exec;
// some MySQL routes escape quotes by hand, badly), and safe twins that pass
// the value through a placeholder (also a long IN list, array and JSON
// parameters) or run a constant query. The integration tests
// (integration/testdata/databases.txtar) build it with and without the
// tool and attack it with each dialect's tricks.
//
// The tables are created anew and seeded at start, outside any request:
// dbapp_users holds a secret column that no route shows, dbapp_products a
// hidden row that no route lists, and dbapp_notes what stacked statements
// wrote. A leaked secret, the hidden product or a note in an answer is an
// injection that worked. (The tables have names of their own: the
// integration scripts share their database servers.)
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// product is one row of the answers: a product's name and price, or what
// an injection put in their place.
type product struct {
	Name  string
	Price int
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	pgDSN := flag.String("pg", "", "PostgreSQL DSN (postgres://...); empty: no PostgreSQL routes")
	myDSN := flag.String("mysql", "", "MySQL/MariaDB DSN (user:pass@tcp(host:port)/db); empty: no MySQL routes")
	flag.Parse()

	ctx := context.Background()
	mux := http.NewServeMux()
	if *pgDSN != "" {
		if err := postgresRoutes(ctx, mux, *pgDSN); err != nil {
			log.Fatalf("postgres: %v", err)
		}
	}
	if *myDSN != "" {
		if err := mysqlRoutes(ctx, mux, *myDSN); err != nil {
			log.Fatalf("mysql: %v", err)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}

// gormConfig keeps gorm's logger quiet: it would print every failed query.
var gormConfig = &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)}

// migrate runs the statements of a migration, in order, outside any
// request, on one connection between lock and unlock, which take and give
// back a lock of the server: two instances starting at once (a plain and an
// instrumented build) take turns.
func migrate(ctx context.Context, db *sql.DB, lock, unlock string, stmts []string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, lock); err != nil {
		return fmt.Errorf("%s: %w", lock, err)
	}
	defer conn.ExecContext(ctx, unlock)
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// collect reads name and price rows.
func collect(rows *sql.Rows, err error) ([]product, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []product
	for rows.Next() {
		var p product
		if err := rows.Scan(&p.Name, &p.Price); err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// answer writes one "name price" line a product, or the error, whose text
// the handlers pass on to the client as careless programs do.
func answer(w http.ResponseWriter, ps []product, err error) {
	if err != nil {
		http.Error(w, "internal error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	for _, p := range ps {
		fmt.Fprintf(w, "%s %d\n", p.Name, p.Price)
	}
}

// reply is answer for a handler's w, for the results of collect.
func reply(w http.ResponseWriter) func([]product, error) {
	return func(ps []product, err error) { answer(w, ps, err) }
}

// affected writes the count of rows a statement changed.
func affected(w http.ResponseWriter, n int64, err error) {
	if err != nil {
		http.Error(w, "internal error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "%d\n", n)
}

// result is affected for a database/sql result.
func result(w http.ResponseWriter, res sql.Result, err error) {
	if err != nil {
		affected(w, 0, err)
		return
	}
	n, err := res.RowsAffected()
	affected(w, n, err)
}

// ids parses a comma-separated list of product IDs.
func ids(r *http.Request) ([]int, error) {
	var out []int
	for _, f := range strings.Split(r.URL.Query().Get("ids"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// names parses a comma-separated list of names.
func names(r *http.Request) []string {
	return strings.Split(r.URL.Query().Get("names"), ",")
}
