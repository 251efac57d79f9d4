// Command portal-chi serves the portal with the chi router.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/go-chi/chi/v5"

	"example.com/portal/app"
	"example.com/portal/internal/store"
)

func main() {
	docs := flag.String("docs", ".", "documents directory")
	flag.Parse()
	st, err := store.Open()
	if err != nil {
		log.Fatal(err)
	}
	a := &app.App{Store: st, DocsDir: *docs}
	r := chi.NewRouter()
	r.Post("/api/item", a.Item)
	r.Get("/api/owner", a.Owner)
	r.Get("/api/doc", a.Doc)
	r.Get("/api/greet", a.Greet)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, r))
}
