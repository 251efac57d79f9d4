// Package app holds the portal's handlers, shared by the net/http, gin and
// chi front ends. Each is vulnerable in a way the call site of the sink
// cannot see: the request's inputs reach the sinks through helpers, a
// repository layer, a goroutine and a third-party module.
package app

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"regexp"
	"strings"

	"example.com/portal/internal/docs"
	"example.com/portal/internal/store"
	"example.com/shellhelper"
)

// App is the portal.
type App struct {
	Store   *store.Store
	DocsDir string
}

// numeric is the classic bypassable check: it anchors the start only.
var numeric = regexp.MustCompile(`^[0-9]+`)

// Item answers POST /api/item with a JSON body {"id": "..."}: the id
// passes the numeric check and is pasted into the query by the store.
func (a *App) Item(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !numeric.MatchString(body.ID) {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	names, err := a.Store.Items(r.Context(), store.Filter{ID: body.ID})
	if Fail(w, err) {
		return
	}
	fmt.Fprintln(w, strings.Join(names, "\n"))
}

// Owner answers GET /api/owner?name=...: the count runs in a goroutine the
// handler starts, without a context.
func (a *App) Owner(w http.ResponseWriter, r *http.Request) {
	type result struct {
		n   int
		err error
	}
	done := make(chan result)
	go func() {
		n, err := a.Store.Count(store.Filter{Owner: r.URL.Query().Get("name")})
		done <- result{n, err}
	}()
	res := <-done
	if Fail(w, res.err) {
		return
	}
	fmt.Fprintln(w, res.n)
}

// Doc answers GET /api/doc?name=...: the file is read two calls deep.
func (a *App) Doc(w http.ResponseWriter, r *http.Request) {
	data, err := docs.Read(a.DocsDir, r.URL.Query().Get("name"))
	if Fail(w, err) {
		return
	}
	w.Write(data)
}

// Greet answers GET /api/greet?who=...: a third-party module runs the
// shell script.
func (a *App) Greet(w http.ResponseWriter, r *http.Request) {
	out, err := shellhelper.Run("echo hello " + quote(r.URL.Query().Get("who")))
	if Fail(w, err) {
		return
	}
	fmt.Fprint(w, out)
}

// quote is a broken quoting helper: it wraps in double quotes, which
// still expand $(...) and backticks.
func quote(s string) string { return `"` + s + `"` }

// Fail answers 500 for err and reports whether there was one. It writes
// whatever the error says, as careless handlers do: after a blocked call
// the middleware must still answer 403.
func Fail(w http.ResponseWriter, err error) bool {
	if err == nil {
		return false
	}
	http.Error(w, "internal error: "+err.Error(), http.StatusInternalServerError)
	return true
}

// Routes registers the handlers on a ServeMux.
func (a *App) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/item", a.Item)
	mux.HandleFunc("GET /api/owner", a.Owner)
	mux.HandleFunc("GET /api/doc", a.Doc)
	mux.HandleFunc("GET /api/greet", a.Greet)
}

// Setup does what every front end does first: read the -docs flag, open
// the store, and listen on a free loopback port (announced as "listening
// on ADDR"). Each front end then starts its own server on the listener.
func Setup() (*App, net.Listener) {
	docs := flag.String("docs", ".", "documents directory")
	flag.Parse()
	st, err := store.Open()
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	return &App{Store: st, DocsDir: *docs}, ln
}
