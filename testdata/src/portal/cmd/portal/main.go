// Command portal serves the portal with net/http's ServeMux.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"

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
	a.Routes(http.DefaultServeMux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	srv := &http.Server{} // nil handler: http.DefaultServeMux
	log.Fatal(srv.Serve(ln))
}
