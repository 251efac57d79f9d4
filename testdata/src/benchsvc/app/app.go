// Package app is the service scripts/bench loads: three handlers of
// growing weight over an in-process SQL driver, so that what a request
// costs is the server's own work and not a database's.
//
//	GET  /a              writes a constant
//	GET  /b?id=N         one parameterised query
//	POST /c?p1=..&p20=.. decodes a 2 KiB JSON body, one query built from an input
//	GET  /memstats       the process's allocation counters, for the bench
package app

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync"
)

// Open returns a database on the in-process driver, registered as
// "benchdb".
func Open() (*sql.DB, error) {
	register.Do(func() { sql.Register("benchdb", Driver()) })
	return sql.Open("benchdb", "")
}

// Driver returns the in-process driver, for a program that registers it
// under its own wrapper.
func Driver() driver.Driver { return drv{} }

var register sync.Once

// Handler serves the bench's routes with db.
func Handler(db *sql.DB) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /b", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.URL.Query().Get("id"))
		if err != nil {
			http.Error(w, "id: a number, please", http.StatusBadRequest)
			return
		}
		var name string
		if err := db.QueryRowContext(r.Context(), "SELECT name FROM items WHERE id = $1", id).Scan(&name); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, name)
	})
	mux.HandleFunc("POST /c", func(w http.ResponseWriter, r *http.Request) {
		var order struct {
			Customer string `json:"customer"`
			Lines    []struct {
				SKU   string  `json:"sku"`
				Name  string  `json:"name"`
				Qty   int     `json:"qty"`
				Price float64 `json:"price"`
			} `json:"lines"`
			Notes map[string]string `json:"notes"`
		}
		if err := json.NewDecoder(r.Body).Decode(&order); err != nil {
			http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
			return
		}
		q := r.URL.Query()
		query := "SELECT name FROM items WHERE category = '" + q.Get("category") + "' AND region = '" + q.Get("region") + "' ORDER BY id LIMIT 10"
		rows, err := db.QueryContext(r.Context(), query)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
		}
		fmt.Fprintf(w, "%s: %d lines, %d items, %d parameters\n", order.Customer, len(order.Lines), n, len(q))
	})
	mux.HandleFunc("GET /memstats", func(w http.ResponseWriter, r *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(w, "%d %d\n", m.Mallocs, m.TotalAlloc)
	})
	return mux
}

// drv is a SQL driver that answers every query with one row, at once.
type drv struct{}

func (drv) Open(string) (driver.Conn, error) { return conn{}, nil }

type conn struct{}

func (conn) Prepare(query string) (driver.Stmt, error) { return stmt{}, nil }
func (conn) Close() error                              { return nil }
func (conn) Begin() (driver.Tx, error)                 { return tx{}, nil }

type tx struct{}

func (tx) Commit() error   { return nil }
func (tx) Rollback() error { return nil }

type stmt struct{}

func (stmt) Close() error                                    { return nil }
func (stmt) NumInput() int                                   { return -1 }
func (stmt) Exec(args []driver.Value) (driver.Result, error) { return driver.RowsAffected(1), nil }
func (stmt) Query(args []driver.Value) (driver.Rows, error)  { return &rows{}, nil }

type rows struct{ done bool }

func (*rows) Columns() []string { return []string{"name"} }
func (*rows) Close() error      { return nil }
func (r *rows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0] = "apple"
	return nil
}
