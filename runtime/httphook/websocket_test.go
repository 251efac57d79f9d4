package httphook

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// attached returns a request with one input of its own, and the WebSocket
// attached to it (as CurrentWebSocket attaches it in a request's
// goroutine, which a plain test build has no storage for).
func attached() (*reqctx.Request, *WebSocket) {
	r := reqctx.NewRequest("id-1", "GET", "/shell", "127.0.0.1", reqctx.Fixed{{Source: "query", Name: "t", Value: "tok"}})
	w := newWebSocket(r)
	if r.Attach(w) != reqctx.Attachment(w) {
		panic("not attached")
	}
	return r, w
}

func inputList(r *reqctx.Request) []string {
	var got []string
	for _, in := range r.Inputs() {
		got = append(got, in.Source+":"+in.Name+"="+in.Value)
	}
	return got
}

func TestWebSocketInputs(t *testing.T) {
	r, w := attached()
	if got := inputList(r); len(got) != 1 || got[0] != "query:t=tok" {
		t.Fatalf("before any message: %q", got)
	}
	w.Message([]byte("ls docs\n"))
	// A reader that yields a byte at a time: one message all the same.
	rd := w.Reader(iotest.OneByteReader(strings.NewReader(`{"cmd":"cat ../x","opts":{"n":[3]}}`)))
	if b, err := io.ReadAll(rd); err != nil || len(b) == 0 {
		t.Fatal(b, err)
	}
	got := inputList(r)
	want := []string{
		"query:t=tok",
		`websocket:message={"cmd":"cat ../x","opts":{"n":[3]}}`,
		"websocket:cmd=cat ../x",
		"websocket:opts.n[0]=3",
		"websocket:message=ls docs\n",
		"websocket:message=ls docs",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("inputs\n got %q\nwant %q", got, want)
	}
	// Bytes of a message read in several calls (x/net's Conn.Read).
	w.Received(true, []byte("echo "))
	w.Received(false, []byte("hi"))
	if got := inputList(r); got[1] != "websocket:message=echo hi" {
		t.Errorf("the latest message first: %q", got)
	}
}

func TestWebSocketBounds(t *testing.T) {
	r, w := attached()
	for i := 0; i < 3*maxMessages; i++ {
		w.Message([]byte(fmt.Sprintf("m%02d", i)))
	}
	got := inputList(r)[1:]
	if len(got) != maxMessages || got[0] != fmt.Sprintf("websocket:message=m%02d", 3*maxMessages-1) ||
		got[maxMessages-1] != fmt.Sprintf("websocket:message=m%02d", 2*maxMessages) {
		t.Errorf("the last %d messages, latest first: %q", maxMessages, got)
	}
	big := bytes.Repeat([]byte("a"), 3*maxMessageBytes)
	w.Message(big)
	if n := len(w.msgs[(w.next-1+maxMessages)%maxMessages]); n != maxMessageBytes {
		t.Errorf("kept %d bytes of a message, want %d", n, maxMessageBytes)
	}
	if in := r.Inputs()[1]; len(in.Value) != maxValueLen {
		t.Errorf("an input of %d bytes, want %d", len(in.Value), maxValueLen)
	}
	// JSON messages with many fields: the inputs stay bounded.
	var doc strings.Builder
	doc.WriteString("[")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&doc, `"v%d",`, i)
	}
	doc.WriteString(`"end"]`)
	for i := 0; i < maxMessages; i++ {
		w.Message([]byte(doc.String()))
	}
	if n := len(r.Inputs()) - 1; n != maxMessageInputs {
		t.Errorf("%d inputs from the messages, want %d", n, maxMessageInputs)
	}
}

func TestWebSocketRefusal(t *testing.T) {
	be := &callsite.BlockedError{Rule: "path-traversal", RequestID: "id-1"}
	want := "rasp: blocked by rule path-traversal (request id-1)"

	// The closer is set, then the request is refused: it closes at once.
	r, w := attached()
	var got []string
	w.SetCloser(func(reason string) { got = append(got, reason) })
	w.SetCloser(func(string) { t.Error("a second closer replaced the first") })
	if !r.NoteBlocked(be) || r.NoteBlocked(&callsite.BlockedError{Rule: "other"}) {
		t.Fatal("NoteBlocked")
	}
	w.Refused(be) // a race with Attach: once all the same
	if len(got) != 1 || got[0] != want {
		t.Errorf("closed with %q, want once %q", got, want)
	}

	// Refused before any message set the closer: it closes when it is set.
	r, w = attached()
	got = nil
	r.NoteBlocked(be)
	w.SetCloser(func(reason string) { got = append(got, reason) })
	if len(got) != 1 || got[0] != want {
		t.Errorf("closed with %q, want once %q", got, want)
	}

	// Refused before the attachment: Attach passes the refusal on.
	r = reqctx.NewRequest("id-1", "GET", "/", "", nil)
	r.NoteBlocked(be)
	w = newWebSocket(r)
	r.Attach(w)
	got = nil
	w.SetCloser(func(reason string) { got = append(got, reason) })
	if len(got) != 1 {
		t.Errorf("closed %d times, want 1", len(got))
	}

	// A closer that panics fails open.
	r, w = attached()
	w.SetCloser(func(string) { panic("library") })
	r.NoteBlocked(be)
}

func TestCloseReason(t *testing.T) {
	if got := CloseReason("sqli-tautology", "abc"); got != "rasp: blocked by rule sqli-tautology (request abc)" {
		t.Errorf("got %q", got)
	}
	long := strings.Repeat("x", 128) // the longest client ID the middleware keeps
	got := CloseReason("cmdi-argument-injection", long)
	if len(got) != maxCloseReason || !strings.HasPrefix(got, "rasp: blocked by rule cmdi-argument-injection (request xxx") || !strings.HasSuffix(got, "x)") {
		t.Errorf("got %q (%d bytes)", got, len(got))
	}
	if got := CloseReason(strings.Repeat("r", 200), "id"); len(got) != maxCloseReason {
		t.Errorf("got %d bytes", len(got))
	}
}

// TestWebSocketMiddleware goes through the middleware: a handler hijacks
// the connection, reads a message and makes a sink call with it; the
// request is refused, the connection's closer runs with the request's ID,
// and the event names the message as the input.
func TestWebSocketMiddleware(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	var (
		mu      sync.Mutex
		reason  string
		sinkErr error
	)
	h := Wrap(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		req := reqctx.CurrentRequest(r.Context())
		w := newWebSocket(req)
		w, _ = req.Attach(w).(*WebSocket)
		w.SetCloser(func(s string) { mu.Lock(); reason = s; mu.Unlock() })
		io.ReadAll(w.Reader(strings.NewReader("cat attack")))
		sinkErr = sink(r)
	}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/shell", nil)
	req.Header.Set("X-Request-Id", "ws-9")
	h.ServeHTTP(rec, req)
	if sinkErr == nil {
		t.Fatal("the sink call was not refused")
	}
	mu.Lock()
	defer mu.Unlock()
	if reason != "rasp: blocked by rule test-rule (request ws-9)" {
		t.Errorf("closed with %q", reason)
	}
	if !strings.Contains(events.String(), `"input":{"source":"websocket","name":"message","value":"cat attack"}`) {
		t.Errorf("event: %s", events)
	}
}

// BenchmarkWebSocketMessage is the cost of a message read in an upgraded
// request that never has a finding: the bookkeeping of its bytes.
func BenchmarkWebSocketMessage(b *testing.B) {
	_, w := attached()
	msg := []byte(`{"cmd":"ls -la docs/reports"}`)
	var src bytes.Reader
	buf := make([]byte, 512)
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(msg)
		rd := w.Reader(&src)
		for {
			if _, err := rd.Read(buf); err != nil {
				break
			}
		}
	}
}

// BenchmarkWebSocketInputs is the cost of reading the inputs of the kept
// messages, once per message, when a sink call asks.
func BenchmarkWebSocketInputs(b *testing.B) {
	r, w := attached()
	for i := 0; i < maxMessages; i++ {
		w.Message([]byte(`{"cmd":"ls -la docs/reports"}`))
	}
	var sink []taint.Input
	b.ReportAllocs()
	for b.Loop() {
		w.Message([]byte(`{"cmd":"ls -la docs/reports"}`))
		sink = r.Inputs()
	}
	_ = sink
}
