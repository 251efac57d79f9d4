// Command roads reaches its sinks along the roads a call-site rewriter
// cannot see: an interface-typed database handle, an ORM (gorm) and a
// library (sqlx) that call database/sql themselves, http.ServeFile, and an
// exec.Cmd built as a struct literal. Each is vulnerable; the build's
// standard-library entry points must catch them all.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os/exec"
	"strings"

	"github.com/glebarez/sqlite" // also registers the database/sql driver "sqlite"
	"github.com/jmoiron/sqlx"
	"gorm.io/gorm"
)

// querier is how the code passes its database around.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type server struct {
	q    querier
	x    *sqlx.DB
	orm  *gorm.DB
	docs string
}

// Item is the gorm model of the items table.
type Item struct {
	ID    int
	Name  string
	Owner string
}

func main() {
	docs := flag.String("docs", ".", "documents directory")
	flag.Parse()
	db, err := sql.Open("sqlite", "file:roads?mode=memory&cache=shared")
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	orm, err := gorm.Open(sqlite.Open("file:roads-orm?mode=memory&cache=shared"), &gorm.Config{})
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range []interface {
		Exec(string, ...any) (sql.Result, error)
	}{db} {
		seed(d)
	}
	if sdb, err := orm.DB(); err == nil {
		seed(sdb)
	}
	s := &server{q: db, x: sqlx.NewDb(db, "sqlite"), orm: orm, docs: *docs}
	mux := http.NewServeMux()
	mux.HandleFunc("/iface", s.iface)
	mux.HandleFunc("/gorm", s.gormRaw)
	mux.HandleFunc("/gorm-where", s.gormWhere)
	mux.HandleFunc("/sqlx", s.sqlx)
	mux.HandleFunc("/serve", s.serveFile)
	mux.HandleFunc("/count", s.count)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}

func seed(d interface {
	Exec(string, ...any) (sql.Result, error)
}) {
	for _, q := range []string{
		`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, owner TEXT)`,
		`CREATE TABLE users (name TEXT, password TEXT)`,
		`INSERT INTO items (id, name, owner) VALUES (1, 'lamp', 'ann'), (2, 'desk', 'bob')`,
		`INSERT INTO users VALUES ('ann', 'hunter2')`,
	} {
		if _, err := d.Exec(q); err != nil {
			log.Fatal(err)
		}
	}
}

func (s *server) answer(w http.ResponseWriter, names []string, err error) {
	if err != nil {
		http.Error(w, "internal error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, strings.Join(names, "\n"))
}

// iface queries through an interface-typed handle.
func (s *server) iface(w http.ResponseWriter, r *http.Request) {
	rows, err := s.q.QueryContext(r.Context(), "SELECT name FROM items WHERE owner = '"+r.URL.Query().Get("owner")+"'")
	if err != nil {
		s.answer(w, nil, err)
		return
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	s.answer(w, names, rows.Err())
}

// gormRaw runs raw SQL through gorm, which calls database/sql through its
// ConnPool interface.
func (s *server) gormRaw(w http.ResponseWriter, r *http.Request) {
	var names []string
	err := s.orm.Raw("SELECT name FROM items WHERE owner = '" + r.URL.Query().Get("owner") + "'").Scan(&names).Error
	s.answer(w, names, err)
}

// gormWhere pastes the input into a gorm condition.
func (s *server) gormWhere(w http.ResponseWriter, r *http.Request) {
	var items []Item
	err := s.orm.Where("owner = '" + r.URL.Query().Get("owner") + "'").Find(&items).Error
	var names []string
	for _, it := range items {
		names = append(names, it.Name)
	}
	s.answer(w, names, err)
}

// sqlx selects through sqlx.
func (s *server) sqlx(w http.ResponseWriter, r *http.Request) {
	var names []string
	err := s.x.Select(&names, "SELECT name FROM items WHERE owner = '"+r.URL.Query().Get("owner")+"'")
	s.answer(w, names, err)
}

// serveFile serves a document by a name from the query.
func (s *server) serveFile(w http.ResponseWriter, r *http.Request) {
	http.ServeFile(w, r, s.docs+"/"+r.URL.Query().Get("name"))
}

// count counts the bytes of a document with a command built as a struct
// literal, run through a shell.
func (s *server) count(w http.ResponseWriter, r *http.Request) {
	cmd := &exec.Cmd{Path: "/bin/sh", Args: []string{"sh", "-c", "wc -c < " + s.docs + "/" + r.URL.Query().Get("name")}}
	out, err := cmd.Output()
	if err != nil {
		http.Error(w, "internal error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Write(out)
}
