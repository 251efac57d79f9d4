// Command gqlapp is a small GraphQL service built with gqlgen, laid out as
// gqlgen's generator lays out a project (graph/schema.graphqls, the
// generated graph/generated.go and graph/model, the resolvers in
// graph/schema.resolvers.go), in the manner of public gqlgen applications
// on SQLite such as renanmav/GoExpert-GraphQL: a user directory queried
// with SQL and notes written to files, each with the mistake
// rasp-instrument exists to stop (a query built by concatenation, a file
// named by the client), and a safe twin. The generated code is committed:
// the build does not run gqlgen's generator (go run
// github.com/99designs/gqlgen generate, with gqlgen.yml, remakes it).
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"example.com/gqlapp/graph"

	_ "modernc.org/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	notes := flag.String("notes", ".", "folder of the notes")
	flag.Parse()

	db, err := openDB(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	srv := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{DB: db, NotesDir: *notes}}))
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})

	mux := http.NewServeMux()
	mux.Handle("/query", srv)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}

func openDB(ctx context.Context) (*sql.DB, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	stmts := []string{
		`CREATE TABLE users (name TEXT, email TEXT, hidden INTEGER)`,
		`INSERT INTO users VALUES ('alice', 'alice@example.com', 0), ('bob', 'bob@example.com', 0), ('root', 'root@internal.example', 1)`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return nil, err
		}
	}
	return db, nil
}
