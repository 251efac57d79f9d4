// Command benchsvc serves the bench's handlers (package app) on
// $ADDR (127.0.0.1:0 by default) and prints "listening on ADDR".
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"example.com/benchsvc/app"
)

func main() {
	db, err := app.Open()
	if err != nil {
		log.Fatal(err)
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: app.Handler(db)}
	log.Fatal(srv.Serve(ln))
}
