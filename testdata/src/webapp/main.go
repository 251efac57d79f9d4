// Command webapp is a small product catalogue service with the mistakes
// rasp-instrument exists to stop: a SQL query built by concatenation, a
// shell command with a user argument, a file path from the request, and a
// server-side fetch of a user URL. It is built with and without the tool by
// the integration tests.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite"
)

// blockedError is how the app recognises a refusal by the runtime without
// importing it: the runtime's errors match errors.Is(err, ErrBlocked) and
// say "blocked" in their message.
func isBlocked(err error) bool { return err != nil && strings.Contains(err.Error(), "blocked by rule") }

type app struct {
	db      *sql.DB
	dataDir string
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	dataDir := flag.String("data", ".", "directory of files served by /file")
	flag.Parse()

	db, err := openDB(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	a := &app{db: db, dataDir: *dataDir}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, a.routes()))
}

func openDB(ctx context.Context) (*sql.DB, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	stmts := []string{
		`CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price INTEGER, secret TEXT)`,
		`INSERT INTO products (name, price, secret) VALUES ('apple', 3, 'a-secret'), ('pear', 4, 'p-secret'), ('O''Brien tea', 7, 't-secret')`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return nil, err
		}
	}
	return db, nil
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/products", a.products)
	mux.HandleFunc("/product", a.product)
	mux.HandleFunc("/ping", a.ping)
	mux.HandleFunc("/file", a.file)
	mux.HandleFunc("/fetch", a.fetch)
	mux.HandleFunc("/preview", a.preview)
	mux.HandleFunc("/health", a.health)
	mux.HandleFunc("/redirect", a.redirect)
	mux.HandleFunc("/secret", a.secret)
	return mux
}

// products is vulnerable: the name is concatenated into the query.
func (a *app) products(w http.ResponseWriter, r *http.Request) {
	q := "SELECT name, price FROM products WHERE name = '" + r.URL.Query().Get("name") + "'"
	rows, err := a.db.Query(q)
	if err != nil {
		fail(w, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var price int
		if err := rows.Scan(&name, &price); err != nil {
			fail(w, err)
			return
		}
		fmt.Fprintf(w, "%s %d\n", name, price)
	}
}

// product is safe: a parameterised query through QueryRowContext.
func (a *app) product(w http.ResponseWriter, r *http.Request) {
	var price int
	err := a.db.QueryRowContext(r.Context(), "SELECT price FROM products WHERE name = ?", r.URL.Query().Get("name")).Scan(&price)
	if errors.Is(err, sql.ErrNoRows) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		fail(w, err)
		return
	}
	fmt.Fprintf(w, "%d\n", price)
}

// ping is vulnerable: the host goes through a shell.
func (a *app) ping(w http.ResponseWriter, r *http.Request) {
	out, err := exec.Command("sh", "-c", "echo pinging "+r.URL.Query().Get("host")).CombinedOutput()
	if err != nil {
		fail(w, err)
		return
	}
	w.Write(out)
}

// file is vulnerable: the name may climb out of the data directory.
func (a *app) file(w http.ResponseWriter, r *http.Request) {
	data, err := os.ReadFile(filepath.Join(a.dataDir, r.URL.Query().Get("name")))
	if err != nil {
		fail(w, err)
		return
	}
	w.Write(data)
}

// fetch is vulnerable: it fetches whatever URL it is given.
func (a *app) fetch(w http.ResponseWriter, r *http.Request) {
	resp, err := http.Get(r.URL.Query().Get("url"))
	if err != nil {
		fail(w, err)
		return
	}
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
}

// preview fetches a URL the code wrote, on this very server, whose answer
// is a redirect to a host chosen by the request: an open redirect turned
// into SSRF. The host of the first URL is static; the redirect is not.
func (a *app) preview(w http.ResponseWriter, r *http.Request) {
	_, port, _ := net.SplitHostPort(r.Host)
	resp, err := http.Get("http://127.0.0.1:" + port + "/redirect?host=" + url.QueryEscape(r.URL.Query().Get("host")))
	if err != nil {
		fail(w, err)
		return
	}
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
}

// health is vulnerable: it asks the host it is given for its status.
func (a *app) health(w http.ResponseWriter, r *http.Request) {
	resp, err := http.Get("http://" + r.URL.Query().Get("host") + "/secret")
	if err != nil {
		fail(w, err)
		return
	}
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
}

// redirect sends the client to /secret on the host it is given, on this
// server's port.
func (a *app) redirect(w http.ResponseWriter, r *http.Request) {
	_, port, _ := net.SplitHostPort(r.Host)
	http.Redirect(w, r, "http://"+net.JoinHostPort(r.URL.Query().Get("host"), port)+"/secret", http.StatusFound)
}

func (a *app) secret(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintln(w, "internal secret")
}

func fail(w http.ResponseWriter, err error) {
	if isBlocked(err) {
		http.Error(w, "blocked", http.StatusForbidden)
		return
	}
	http.Error(w, err.Error(), http.StatusInternalServerError)
}
