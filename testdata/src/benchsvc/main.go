// Command benchsvc serves the bench's handlers (package app) on
// $ADDR (127.0.0.1:0 by default) and prints "listening on ADDR".
//
// With BENCH_PPROF=HOST:PORT it also serves net/http/pprof there, to
// profile the server under load; BENCH_MEMPROFILERATE=N sets
// runtime.MemProfileRate (1 records every allocation).
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strconv"

	"example.com/benchsvc/app"
)

func main() {
	if rate, err := strconv.Atoi(os.Getenv("BENCH_MEMPROFILERATE")); err == nil {
		runtime.MemProfileRate = rate
	}
	if addr := os.Getenv("BENCH_PPROF"); addr != "" {
		go func() { log.Fatal(http.ListenAndServe(addr, nil)) }()
	}
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
