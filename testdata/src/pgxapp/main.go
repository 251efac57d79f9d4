// Command pgxapp queries PostgreSQL through pgx's own API (pgxpool), which
// never reaches database/sql. The pool connects lazily, so the program runs
// without a server: a refused query never connects, an allowed one fails
// to connect. That is enough to tell the two apart.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	dsn := flag.String("dsn", "postgres://app@127.0.0.1:1/app?connect_timeout=1", "database")
	flag.Parse()
	pool, err := pgxpool.New(context.Background(), *dsn)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/query", func(w http.ResponseWriter, r *http.Request) {
		rows, err := pool.Query(r.Context(), "SELECT name FROM items WHERE owner = '"+r.URL.Query().Get("owner")+"'")
		if err != nil {
			http.Error(w, "query: "+err.Error(), http.StatusInternalServerError)
			return
		}
		rows.Close()
	})
	mux.HandleFunc("/row", func(w http.ResponseWriter, r *http.Request) {
		var n int
		err := pool.QueryRow(r.Context(), "SELECT count(*) FROM items WHERE id = "+r.URL.Query().Get("id")).Scan(&n)
		if err != nil {
			http.Error(w, "row: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, n)
	})
	exec := pool.Exec // a stored method value
	mux.HandleFunc("/exec", func(w http.ResponseWriter, r *http.Request) {
		if _, err := exec(r.Context(), "DELETE FROM items WHERE name = '"+r.URL.Query().Get("name")+"'"); err != nil {
			http.Error(w, "exec: "+err.Error(), http.StatusInternalServerError)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}
