// Command portal-chi serves the portal with the chi router.
package main

import (
	"log"
	"net/http"

	"github.com/go-chi/chi/v5"

	"example.com/portal/app"
)

func main() {
	a, ln := app.Setup()
	r := chi.NewRouter()
	r.Post("/api/item", a.Item)
	r.Get("/api/owner", a.Owner)
	r.Get("/api/doc", a.Doc)
	r.Get("/api/greet", a.Greet)
	log.Fatal(http.Serve(ln, r))
}
