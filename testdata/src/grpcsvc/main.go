// Command grpcsvc is a small inventory service over gRPC with the mistakes
// rasp-instrument exists to stop: a SQL query built by concatenation, a
// shell command with a request argument, a file path from the request (read
// and, by a client stream, written), and a server-side fetch of a request
// URL. Each has a safe twin. Its API is proto/inventory/v1/inventory.proto;
// gen/inventoryv1 is generated from it by scripts/protogen.
//
//	grpcsvc serve [-addr 127.0.0.1:0] [-db FILE] [-docs DIR] [-uploads DIR] [-allow HOST,...]
//	grpcsvc call -addr ADDR [-md key=value]... METHOD JSON
//
// serve prints "listening on ADDR" once it listens, then serves until it is
// killed. call sends one request (JSON, as protojson reads it; for the
// client stream Upload, a JSON array of chunks) and prints the response as
// JSON on stdout, or the status code and message on stderr with exit status
// 1; the x-request-id trailer is printed on stderr as "x-request-id: VALUE".
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "call":
		os.Exit(call(os.Args[2:]))
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: grpcsvc serve [-addr ADDR] [-db FILE] [-docs DIR] [-uploads DIR] [-allow HOST,...]")
	fmt.Fprintln(os.Stderr, "       grpcsvc call -addr ADDR [-md key=value]... METHOD JSON")
	os.Exit(2)
}
