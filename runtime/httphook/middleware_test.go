package httphook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/eventstest"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

var sinkSite = &callsite.Site{Package: "example.com/app", File: "app.go", Line: 7, Sink: "example.Sink", Family: event.FamilySQL}

// sink stands for a hooked sink call: it is an attack when one of the
// request's inputs contains "attack".
func sink(r *http.Request) error {
	req := reqctx.CurrentRequest(r.Context())
	return judge.JudgeCall(sinkSite, req, func() (judge.Finding, bool) {
		for i, in := range req.Inputs() {
			if strings.Contains(in.Value, "attack") {
				return judge.Finding{Rule: "test-rule", Input: &req.Inputs()[i]}, true
			}
		}
		return judge.Finding{}, false
	})
}

// careless writes what it likes after the sink's error, as real handlers do.
func careless(w http.ResponseWriter, r *http.Request) {
	if r.Method == "POST" {
		var v map[string]any
		json.NewDecoder(r.Body).Decode(&v)
	}
	w.Header().Set("Content-Type", "text/plain")
	if err := sink(r); err != nil {
		w.Header().Set("X-Leak", "yes")
		http.Error(w, "internal error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	io.WriteString(w, "ok\n")
}

func inMode(t testing.TB, m policy.Mode) *eventstest.Recorder {
	t.Helper()
	old := judge.CurrentMode()
	judge.SetMode(m)
	t.Cleanup(func() { judge.SetMode(old) })
	return eventstest.Capture(t)
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestBenignRequest(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	h := Wrap(http.HandlerFunc(careless))
	w := serve(h, httptest.NewRequest("GET", "/items?q=lamp", nil))
	if w.Code != 200 || w.Body.String() != "ok\n" {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	if id := w.Header().Get("X-Request-Id"); id != "" {
		t.Errorf("a benign answer without a client request ID got one: %q", id)
	}
	r := httptest.NewRequest("GET", "/items", nil)
	r.Header.Set("X-Request-Id", "abc-123")
	if w := serve(h, r); w.Header().Get("X-Request-Id") != "abc-123" {
		t.Errorf("the client's request ID was not echoed: %q", w.Header().Get("X-Request-Id"))
	}
	r.Header.Set("X-Request-Id", "<script>")
	if w := serve(h, r); w.Header().Get("X-Request-Id") == "<script>" {
		t.Errorf("an unsafe request ID was echoed")
	}
	if len(events.Lines()) != 0 {
		t.Errorf("events: %s", events)
	}
}

func TestBlockedRequestGets403(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	h := Wrap(http.HandlerFunc(careless))
	r := httptest.NewRequest("POST", "/items?x=1", strings.NewReader(`{"name":"an attack"}`))
	r.Header.Set("X-Request-Id", "req-1")
	w := serve(h, r)
	if w.Code != 403 {
		t.Fatalf("status %d, body %q", w.Code, w.Body)
	}
	if got, want := w.Body.String(), `{"error":"blocked","rule":"test-rule","request_id":"req-1"}`+"\n"; got != want {
		t.Errorf("body %q, want %q", got, want)
	}
	if w.Header().Get("Content-Type") != "application/json" || w.Header().Get("X-Leak") != "" {
		t.Errorf("header %v", w.Header())
	}
	evs := events.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events: %s", len(evs), events)
	}
	e := evs[0]
	if e.RequestID != "req-1" || e.Method != "POST" || e.Path != "/items" || e.Input == nil ||
		e.Input.Source != "json" || e.Input.Name != "name" || e.Input.Value != "an attack" {
		t.Errorf("event %+v input %+v", e, e.Input)
	}

	w = serve(h, httptest.NewRequest("GET", "/items?q=attack", nil))
	id := w.Header().Get("X-Request-Id")
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) || !strings.Contains(w.Body.String(), `"request_id":"`+id+`"`) {
		t.Errorf("a blocked answer without a client request ID: header %q, body %q", id, w.Body)
	}

	r = httptest.NewRequest("GET", "/items?q=attack", nil)
	r.Header.Set("Accept", "text/html,application/xhtml+xml")
	w = serve(h, r)
	if w.Code != 403 || !strings.Contains(w.Body.String(), "<h1>Forbidden</h1>") || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("HTML answer: %d %q %v", w.Code, w.Body, w.Header())
	}
}

// TestBlockedRequestKeepsCookies: the 403 replaces the handler's status,
// body and headers, but the cookies it set, before the block and after it,
// stay: a fresh session or CSRF cookie is not lost.
func TestBlockedRequestKeepsCookies(t *testing.T) {
	inMode(t, policy.ModeBlock)
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/", HttpOnly: true})
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header()["set-cookie"] = []string{"lower=1"}
		if err := sink(r); err != nil {
			http.SetCookie(w, &http.Cookie{Name: "csrf", Value: "c2"})
			w.Header().Set("X-Leak", "yes")
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok\n")
	}))
	w := serve(h, httptest.NewRequest("GET", "/form?q=attack", nil))
	if w.Code != 403 || !strings.HasPrefix(w.Body.String(), `{"error":"blocked"`) {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	got := w.Header().Values("Set-Cookie")
	sort.Strings(got)
	if want := []string{"csrf=c2", "lower=1", "session=s1; Path=/; HttpOnly"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Set-Cookie %q, want %q", got, want)
	}
	for _, k := range []string{"X-Frame-Options", "X-Leak"} {
		if v := w.Header().Get(k); v != "" {
			t.Errorf("the handler's %s: %q survived the refusal", k, v)
		}
	}
	if _, ok := w.Header()["set-cookie"]; ok {
		t.Errorf("header %v", w.Header())
	}
	if w.Header().Get("Content-Type") != "application/json" || w.Header().Get("X-Request-Id") == "" {
		t.Errorf("header %v", w.Header())
	}

	// A refusal of a handler that set no cookie sets none.
	w = serve(Wrap(http.HandlerFunc(careless)), httptest.NewRequest("GET", "/items?q=attack", nil))
	if _, ok := w.Header()["Set-Cookie"]; w.Code != 403 || ok {
		t.Errorf("got %d %v", w.Code, w.Header())
	}
}

func TestBlockAfterStatusAbortsTheResponse(t *testing.T) {
	inMode(t, policy.ModeBlock)
	srv := httptest.NewServer(Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial ")
		w.(http.Flusher).Flush()
		if sink(r) != nil {
			io.WriteString(w, "and the rest after the block")
		}
	})))
	defer srv.Close()
	srv.Config.ErrorLog = nil
	resp, err := http.Get(srv.URL + "/?q=attack")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil || strings.Contains(string(body), "after the block") {
		t.Fatalf("the answer looked complete: %q, %v", body, err)
	}
}

func TestDetectAndOffModes(t *testing.T) {
	events := inMode(t, policy.ModeDetect)
	h := Wrap(http.HandlerFunc(careless))
	if w := serve(h, httptest.NewRequest("GET", "/?q=attack", nil)); w.Code != 200 || len(events.Lines()) == 0 {
		t.Errorf("detect: %d, events %q", w.Code, events)
	}
	judge.SetMode(policy.ModeOff)
	if w := serve(h, httptest.NewRequest("GET", "/?q=attack", nil)); w.Code != 200 || w.Header().Get("X-Request-Id") != "" {
		t.Errorf("off: %d %v", w.Code, w.Header())
	}
}

func TestWrap(t *testing.T) {
	h := Wrap(http.HandlerFunc(careless))
	if Wrap(h) != h {
		t.Errorf("wrapping twice wrapped again")
	}
	if m, ok := Wrap(nil).(*middleware); !ok || m.next != http.DefaultServeMux {
		t.Errorf("Wrap(nil) = %#v", Wrap(nil))
	}
	srv := &http.Server{}
	wrapServer(srv)
	wrapServer(srv)
	if m, ok := srv.Handler.(*middleware); !ok || m.next != http.DefaultServeMux {
		t.Errorf("server handler %#v", srv.Handler)
	}
}

func TestOutsideRequestTheSinkJustFails(t *testing.T) {
	inMode(t, policy.ModeBlock)
	err := judge.JudgeCall(sinkSite, nil, func() (judge.Finding, bool) { return judge.Finding{Rule: "test-rule"}, true })
	var be *rasp.BlockedError
	if !errors.As(err, &be) || be.RequestID != "" {
		t.Fatalf("err = %v", err)
	}
}

func benchServe(b *testing.B, h http.Handler) {
	r := httptest.NewRequest("GET", "/items?q=lamp&page=2", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Body.Reset()
		h.ServeHTTP(w, r)
	}
}

func queryHandler(w http.ResponseWriter, r *http.Request) {
	if err := sink(r); err != nil {
		panic(err)
	}
	io.WriteString(w, "ok\n")
}

// BenchmarkHandler and BenchmarkMiddleware: the cost of the middleware on
// a request whose handler makes one checked sink call (inputs loaded).
func BenchmarkHandler(b *testing.B) {
	benchServe(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") }))
}

// BenchmarkMiddlewareClean: the middleware's own cost, on a request that
// calls no sink.
func BenchmarkMiddlewareClean(b *testing.B) {
	old := judge.CurrentMode()
	judge.SetMode(policy.ModeBlock)
	defer judge.SetMode(old)
	benchServe(b, Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })))
}

func BenchmarkMiddleware(b *testing.B) {
	old := judge.CurrentMode()
	judge.SetMode(policy.ModeBlock)
	defer judge.SetMode(old)
	benchServe(b, Wrap(http.HandlerFunc(queryHandler)))
}

// BenchmarkLoopback serves a small handler over loopback HTTP/1.1, plain
// and behind the middleware: the difference is what a request pays.
func BenchmarkLoopback(b *testing.B) {
	old := judge.CurrentMode()
	judge.SetMode(policy.ModeBlock)
	defer judge.SetMode(old)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "7\n") })
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"plain", h}, {"wrapped", Wrap(h)}} {
		b.Run(c.name, func(b *testing.B) {
			srv := httptest.NewServer(c.h)
			defer srv.Close()
			client := srv.Client()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resp, err := client.Get(srv.URL + "/product?name=apple")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

type pusherRecorder struct{ *httptest.ResponseRecorder }

func (pusherRecorder) Push(string, *http.PushOptions) error { return nil }

// TestOptionalInterfaces: the handler's writer can hijack and push exactly
// when the server's can.
func TestOptionalInterfaces(t *testing.T) {
	inMode(t, policy.ModeDetect)
	check := func(w http.ResponseWriter, wantHijack, wantPush bool) {
		t.Helper()
		Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, hj := w.(http.Hijacker)
			_, pu := w.(http.Pusher)
			_, fl := w.(http.Flusher)
			if hj != wantHijack || pu != wantPush || !fl {
				t.Errorf("hijacker %v pusher %v flusher %v, want %v %v true", hj, pu, fl, wantHijack, wantPush)
			}
		})).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	}
	check(httptest.NewRecorder(), false, false)
	check(pusherRecorder{httptest.NewRecorder()}, false, true)
	srv := httptest.NewServer(Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Hijacker); !ok {
			t.Errorf("an HTTP/1 writer lost Hijacker")
		}
	})))
	defer srv.Close()
	if resp, err := http.Get(srv.URL); err == nil {
		resp.Body.Close()
	}
}

// TestWithContext: the request made in place is the one WithContext
// makes, and this Go release's Request has the field it sets.
func TestWithContext(t *testing.T) {
	if requestContext == 0 {
		t.Fatal("http.Request has no ctx field of type context.Context: withContext falls back to WithContext, which allocates")
	}
	r := httptest.NewRequest("POST", "/items?q=1", strings.NewReader("a=b"))
	ctx := context.WithValue(context.Background(), struct{}{}, 1)
	var dst http.Request
	got := withContext(&dst, r, ctx)
	want := r.WithContext(ctx)
	if got != &dst || got.Context() != ctx || !reflect.DeepEqual(*got, *want) {
		t.Fatalf("withContext = %+v, want %+v", got, want)
	}
	if r.Context() == ctx {
		t.Fatal("withContext changed the original request's context")
	}
}

// TestMiddlewareAllocs: a request that calls no sink costs one allocation
// (request, context, writer and body reader in one block), with a body
// or without.
func TestMiddlewareAllocs(t *testing.T) {
	inMode(t, policy.ModeBlock)
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok\n")
	}))
	w := httptest.NewRecorder()
	get := httptest.NewRequest("GET", "/a", nil)
	body := []byte(`{"customer":"x"}`)
	rd := bytes.NewReader(body)
	post := httptest.NewRequest("POST", "/c", io.NopCloser(rd))
	post.ContentLength = int64(len(body))
	for _, c := range []struct {
		r    *http.Request
		want float64
	}{{get, 1}, {post, 2}} { // the body's copy is the second
		n := testing.AllocsPerRun(100, func() {
			rd.Reset(body)
			w.Body.Reset()
			h.ServeHTTP(w, c.r)
		})
		if n != c.want {
			t.Errorf("%s %s: %v allocations, want %v", c.r.Method, c.r.URL, n, c.want)
		}
	}
}
