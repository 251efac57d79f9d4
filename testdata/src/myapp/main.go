// Command myapp is a program as `go mod init myapp` starts one: a module
// path without a dot, a local dependency of the same kind, and two faces.
//
//	myapp cat FILE...     prints files, as a command-line tool does
//	myapp serve DIR       serves DIR over HTTP on a loopback port, and
//	                      fetches URLs for its clients (/fetch?url=)
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	"helpers"
	"myapp/files"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: myapp cat FILE... | myapp serve DIR")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "cat":
		status := 0
		for _, name := range os.Args[2:] {
			b, err := helpers.Read(name)
			if err != nil {
				fmt.Fprintln(os.Stderr, "myapp:", err)
				status = 1
				continue
			}
			os.Stdout.Write(b)
		}
		os.Exit(status)
	case "serve":
		serve(os.Args[2])
	default:
		fmt.Fprintln(os.Stderr, "myapp: unknown command", os.Args[1])
		os.Exit(2)
	}
}

func serve(dir string) {
	mux := http.NewServeMux()
	mux.Handle("/doc", files.Server{Dir: dir})
	mux.HandleFunc("/read", func(w http.ResponseWriter, r *http.Request) {
		b, err := helpers.Read(r.URL.Query().Get("f"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Write(b)
	})
	mux.HandleFunc("/open", func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(r.URL.Query().Get("f"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Write(b)
	})
	mux.HandleFunc("/fetch", func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(r.URL.Query().Get("url"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		io.Copy(w, resp.Body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "myapp:", err)
		os.Exit(1)
	}
	fmt.Println("listening on", ln.Addr())
	http.Serve(ln, mux)
}
