// Command emulator is a local AWS Lambda runtime API, as AWS serves it to
// a function (GET /2018-06-01/runtime/invocation/next, POST
// .../invocation/{id}/response and .../invocation/{id}/error): it starts
// the function with AWS_LAMBDA_RUNTIME_API pointing at it, hands it the
// events given as ID=FILE one by one, and prints each answer:
//
//	ID response: BODY
//	ID error: BODY
//
// The function's output goes to the emulator's stderr.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type invocation struct {
	id      string
	payload []byte
}

func main() {
	fn := flag.String("fn", "", "the function's executable")
	name := flag.String("name", "orders-fn", "the function's name")
	flag.Parse()

	next := make(chan invocation)
	done := make(chan string)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		inv := <-next
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:"+*name)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
		h.Set("Content-Type", "application/json")
		w.Write(inv.payload)
	})
	answer := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.WriteHeader(http.StatusAccepted)
			done <- r.PathValue("id") + " " + kind + ": " + strings.TrimSpace(string(b))
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", answer("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", answer("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		log.Fatalf("init error: %s", b)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, mux)

	cmd := exec.Command(*fn)
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME="+*name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_REGION=us-east-1")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for _, arg := range flag.Args() {
		id, file, ok := strings.Cut(arg, "=")
		if !ok {
			log.Fatalf("not ID=FILE: %s", arg)
		}
		payload, err := os.ReadFile(file)
		if err != nil {
			log.Fatal(err)
		}
		select {
		case next <- invocation{id, payload}:
		case err := <-exited:
			log.Fatalf("the function exited: %v", err)
		}
		select {
		case line := <-done:
			fmt.Println(line)
		case err := <-exited:
			log.Fatalf("the function exited: %v", err)
		case <-time.After(60 * time.Second):
			log.Fatal("no answer")
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
	}
}
