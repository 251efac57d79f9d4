// Command hookd is a webhook deliverer in the shape of a Git hosting
// service's: an API stores webhook URLs, a background worker delivers
// events to them through an http.Client whose transport dials with its own
// function, and a test-delivery endpoint asks the worker for a delivery.
// The worker also checks the upstream services the operator configured, in
// an environment variable and in a configuration file.
//
//	hookd serve [-addr A] [-config FILE]   the service
//	hookd target [-addr A] -say TEXT       a server that answers TEXT
//	hookd redirect [-addr A] -to URL       a server that answers 302 to URL
//	hookd conf FILE UPSTREAM-URL           writes a configuration file
//
// Each server prints "listening on ADDR" when it is ready.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: hookd serve|target|redirect|conf ...")
	}
	cmd, args := os.Args[1], os.Args[2:]
	switch cmd {
	case "serve":
		serve(args)
	case "target":
		fs := flag.NewFlagSet("target", flag.ExitOnError)
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		say := fs.String("say", "hello", "what to answer")
		fs.Parse(args)
		listen(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			fmt.Fprintln(w, *say)
		}))
	case "redirect":
		fs := flag.NewFlagSet("redirect", flag.ExitOnError)
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		to := fs.String("to", "", "where to redirect")
		fs.Parse(args)
		listen(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, *to, http.StatusFound)
		}))
	case "conf":
		if len(args) != 2 {
			log.Fatal("usage: hookd conf FILE UPSTREAM-URL")
		}
		text := "# hookd configuration\nupstream = " + args[1] + "\n"
		if err := os.WriteFile(args[0], []byte(text), 0o644); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("unknown command %q", cmd)
	}
}

func listen(addr string, h http.Handler) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", l.Addr())
	log.Fatal(http.Serve(l, h))
}

// Hook is a stored webhook.
type Hook struct {
	ID  int    `json:"id"`
	URL string `json:"url"`
}

// store keeps the webhooks users created, as a database would.
type store struct {
	mu    sync.Mutex
	next  int
	hooks map[int]Hook
}

func (s *store) add(u string) Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	h := Hook{ID: s.next, URL: u}
	s.hooks[h.ID] = h
	return h
}

func (s *store) get(id int) (Hook, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hooks[id]
	return h, ok
}

// job is work for the background worker: a delivery to url, answered on
// reply.
type job struct {
	url   string
	event string
	reply chan string
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	config := fs.String("config", "", "configuration file (upstream = URL lines)")
	fs.Parse(args)

	var upstreams []string
	if u := os.Getenv("HOOKD_UPSTREAM"); u != "" {
		upstreams = append(upstreams, u)
	}
	if *config != "" {
		ups, err := readConfig(*config)
		if err != nil {
			log.Fatal(err)
		}
		upstreams = append(upstreams, ups...)
	}

	st := &store{hooks: map[int]Hook{}}
	jobs := make(chan job)
	go worker(jobs) // started before serving: it serves no request

	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/hooks", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			URL string `json:"url"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.URL == "" {
			http.Error(w, "a JSON body with a url", http.StatusBadRequest)
			return
		}
		h := st.add(in.URL)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(h)
	})
	mux.HandleFunc("POST /api/hooks/{id}/test", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		h, ok := st.get(id)
		if !ok {
			http.NotFound(w, r)
			return
		}
		answer(w, ask(jobs, h.URL, "ping"))
	})
	mux.HandleFunc("GET /api/upstreams/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n < 0 || n >= len(upstreams) {
			http.NotFound(w, r)
			return
		}
		answer(w, ask(jobs, upstreams[n], "health"))
	})
	listen(*addr, mux)
}

// ask hands a job to the worker and waits for its outcome.
func ask(jobs chan<- job, url, event string) string {
	j := job{url: url, event: event, reply: make(chan string, 1)}
	jobs <- j
	return <-j.reply
}

func answer(w http.ResponseWriter, outcome string) {
	if strings.HasPrefix(outcome, "failed: ") {
		http.Error(w, outcome, http.StatusBadGateway)
		return
	}
	io.WriteString(w, outcome)
}

// worker delivers in the background, with a client whose transport dials
// through a function of its own that ignores the context, as many
// deliverers do to set their own timeout.
func worker(jobs <-chan job) {
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext: func(_ context.Context, network, addr string) (net.Conn, error) {
				return net.DialTimeout(network, addr, 5*time.Second)
			},
			DisableKeepAlives: true,
		},
	}
	for j := range jobs {
		j.reply <- deliver(client, j.url, j.event)
	}
}

func deliver(client *http.Client, url, event string) string {
	payload, _ := json.Marshal(map[string]string{"event": event})
	req, err := http.NewRequest("POST", url, bytes.NewReader(payload))
	if err != nil {
		return "failed: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hookd-Event", event)
	resp, err := client.Do(req)
	if err != nil {
		return "failed: " + err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return fmt.Sprintf("delivered: %d %s", resp.StatusCode, body)
}

// readConfig reads "upstream = URL" lines.
func readConfig(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ups []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && strings.TrimSpace(k) == "upstream" {
			ups = append(ups, strings.TrimSpace(v))
		}
	}
	return ups, sc.Err()
}
