// Command portal serves the portal with net/http's ServeMux.
package main

import (
	"log"
	"net/http"

	"example.com/portal/app"
)

func main() {
	a, ln := app.Setup()
	a.Routes(http.DefaultServeMux)
	srv := &http.Server{} // nil handler: http.DefaultServeMux
	log.Fatal(srv.Serve(ln))
}
