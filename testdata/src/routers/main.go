// Command routers serves one product catalogue through five routers that
// run on net/http, each mounted under its own prefix of one ServeMux:
// echo v4 (/echo4/), echo v5 (/echo5/), chi (/chi/), gorilla/mux (/mux/)
// and a connect-go service (/routers.v1.Items/). Each has one vulnerable
// route that reads the request in the router's own way (a route param, a
// query param, a form value, a JSON field of a unary RPC) and builds a SQL
// query by concatenation, run by a helper that takes the whole query as a
// parameter: the build cannot see the template at the sink, so only the
// request's inputs can show the injection. It is built with and without
// rasp-instrument by the integration tests.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
	echo4 "github.com/labstack/echo/v4"
	echo5 "github.com/labstack/echo/v5"
	_ "modernc.org/sqlite"
)

type app struct{ db *sql.DB }

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()

	db, err := openDB(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	a := &app{db: db}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal((&http.Server{Handler: a.routes()}).Serve(ln))
}

func openDB(ctx context.Context) (*sql.DB, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	stmts := []string{
		`CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, owner TEXT, price INTEGER, secret TEXT)`,
		`INSERT INTO products (name, owner, price, secret) VALUES
			('apple', 'alice', 3, 'a-secret'),
			('pear', 'alice', 4, 'p-secret'),
			('O''Brien tea', 'bob', 7, 't-secret'),
			('safe', 'carol', 99, 's-secret')`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return nil, err
		}
	}
	return db, nil
}

// list runs the query it is given and prints "name price" lines. The
// query is a parameter: what the caller concatenated is not visible here.
func (a *app) list(ctx context.Context, q string) (string, error) {
	rows, err := a.db.QueryContext(ctx, q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var name string
		var price int
		if err := rows.Scan(&name, &price); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s %d\n", name, price)
	}
	return b.String(), rows.Err()
}

func (a *app) routes() http.Handler {
	m := http.NewServeMux()
	m.Handle("/echo4/", a.echo4())
	m.Handle("/echo5/", a.echo5())
	m.Handle("/chi/", http.StripPrefix("/chi", a.chi()))
	m.Handle("/mux/", a.mux())
	path, h := a.connect()
	m.Handle(path, h)
	return m
}

// echo4: GET /echo4/owners/:owner/items?like=PREFIX, vulnerable through
// the route param and the query param.
func (a *app) echo4() http.Handler {
	e := echo4.New()
	e.HideBanner = true
	e.GET("/echo4/owners/:owner/items", func(c echo4.Context) error {
		q := "SELECT name, price FROM products WHERE owner = '" + c.Param("owner") +
			"' AND name LIKE '" + c.QueryParam("like") + "%' ORDER BY id"
		out, err := a.list(c.Request().Context(), q)
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, out)
	})
	return e
}

// echo5: POST /echo5/search with a form field name, vulnerable through
// c.FormValue.
func (a *app) echo5() http.Handler {
	e := echo5.New()
	e.POST("/echo5/search", func(c *echo5.Context) error {
		q := "SELECT name, price FROM products WHERE name = '" + c.FormValue("name") + "' ORDER BY id"
		out, err := a.list(c.Request().Context(), q)
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, out)
	})
	return e
}

// chi, mounted under /chi by http.StripPrefix: GET /chi/owners/{owner},
// vulnerable through chi.URLParam.
func (a *app) chi() http.Handler {
	r := chi.NewRouter()
	r.Get("/owners/{owner}", func(w http.ResponseWriter, r *http.Request) {
		q := "SELECT name, price FROM products WHERE owner = '" + chi.URLParam(r, "owner") + "' ORDER BY id"
		out, err := a.list(r.Context(), q)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, out)
	})
	return r
}

// gorilla/mux, a subrouter for /mux: GET /mux/items/{name}, vulnerable
// through mux.Vars.
func (a *app) mux() http.Handler {
	r := mux.NewRouter()
	s := r.PathPrefix("/mux").Subrouter()
	s.HandleFunc("/items/{name}", func(w http.ResponseWriter, r *http.Request) {
		q := "SELECT name, price FROM products WHERE name = '" + mux.Vars(r)["name"] + "' ORDER BY id"
		out, err := a.list(r.Context(), q)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, out)
	}).Methods(http.MethodGet)
	return r
}

// FindRequest and FindResponse are the messages of routers.v1.Items/Find,
// plain Go structs carried by jsonCodec.
type FindRequest struct {
	Owner string `json:"owner"`
}

type FindResponse struct {
	Items []string `json:"items"`
}

// jsonCodec is connect's codec for plain structs: encoding/json, under
// the name "json", so it serves Content-Type application/json.
type jsonCodec struct{}

func (jsonCodec) Name() string                    { return "json" }
func (jsonCodec) Marshal(v any) ([]byte, error)   { return json.Marshal(v) }
func (jsonCodec) Unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// connect: the unary RPC routers.v1.Items/Find, vulnerable through the
// owner field of its JSON request.
func (a *app) connect() (string, http.Handler) {
	const procedure = "/routers.v1.Items/Find"
	h := connect.NewUnaryHandler(procedure,
		func(ctx context.Context, req *connect.Request[FindRequest]) (*connect.Response[FindResponse], error) {
			q := "SELECT name, price FROM products WHERE owner = '" + req.Msg.Owner + "' ORDER BY id"
			out, err := a.list(ctx, q)
			if err != nil {
				return nil, connect.NewError(connect.CodeInternal, err)
			}
			items := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if out == "" {
				items = []string{}
			}
			return connect.NewResponse(&FindResponse{Items: items}), nil
		},
		connect.WithCodec(jsonCodec{}),
	)
	return "/routers.v1.Items/", h
}
