// Command egressapp is the program of the egress integration script: a
// client that reaches the servers its arguments name, and those servers.
//
//	egressapp target -addr ADDR -say TEXT [-redirect URL]
//	    serves TEXT at every path, and answers /go with a redirect to URL;
//	    prints "listening on ADDR" when it is ready
//	egressapp fetch [-timeout D] URL|tcp://HOST:PORT...
//	    GETs each URL (following redirects) or opens a TCP connection to
//	    each address, and prints "TARGET: STATUS BODY" or "TARGET: error:
//	    ERR", one a line
//	egressapp policy FILE ENTRY...
//	    writes a policy whose egress.hosts are the entries
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: egressapp target|fetch|policy ...")
	}
	switch os.Args[1] {
	case "target":
		target(os.Args[2:])
	case "fetch":
		fetch(os.Args[2:])
	case "policy":
		writePolicy(os.Args[2:])
	default:
		log.Fatalf("unknown command %q", os.Args[1])
	}
}

func target(args []string) {
	fs := flag.NewFlagSet("target", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	say := fs.String("say", "ok", "the answer")
	redirect := fs.String("redirect", "", "where /go redirects")
	fs.Parse(args)
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/go" && *redirect != "" {
			http.Redirect(w, r, *redirect, http.StatusFound)
			return
		}
		io.WriteString(w, *say)
	})
	fmt.Printf("listening on %s\n", l.Addr())
	log.Fatal(http.Serve(l, h))
}

func fetch(args []string) {
	fs := flag.NewFlagSet("fetch", flag.ExitOnError)
	timeout := fs.Duration("timeout", 5*time.Second, "per target")
	fs.Parse(args)
	client := &http.Client{Timeout: *timeout}
	for _, t := range fs.Args() {
		if addr, ok := strings.CutPrefix(t, "tcp://"); ok {
			conn, err := net.DialTimeout("tcp", addr, *timeout)
			if err != nil {
				fmt.Printf("%s: error: %v\n", t, err)
				continue
			}
			conn.Close()
			fmt.Printf("%s: connected\n", t)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		req, err := http.NewRequestWithContext(ctx, "GET", t, nil)
		if err != nil {
			cancel()
			fmt.Printf("%s: error: %v\n", t, err)
			continue
		}
		resp, err := client.Do(req)
		if err != nil {
			cancel()
			fmt.Printf("%s: error: %v\n", t, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		fmt.Printf("%s: %d %s\n", t, resp.StatusCode, body)
	}
}

func writePolicy(args []string) {
	if len(args) < 1 {
		log.Fatal("usage: egressapp policy FILE ENTRY...")
	}
	p := map[string]any{"egress": map[string]any{"hosts": append([]string{}, args[1:]...)}}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(args[0], append(data, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}
