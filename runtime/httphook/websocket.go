package httphook

import (
	"io"
	"strings"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

// WebSocketSource is the Source of the inputs that the messages of a
// connection upgraded from a request carry.
const WebSocketSource = "websocket"

// Bounds of what an upgraded connection keeps of its messages: the most
// recent ones, each up to a size, and the inputs they give.
const (
	maxMessages       = 8       // messages kept, the most recent
	maxMessageBytes   = 8 << 10 // bytes kept of each message
	maxMessageInputs  = 64      // inputs of all the kept messages
	maxCloseReason    = 123     // bytes of a close frame's reason
	closeReasonPrefix = "rasp: blocked by rule "
)

// WebSocket is a connection upgraded from a request (a WebSocket), as the
// patched libraries (github.com/gorilla/websocket, github.com/coder/websocket,
// golang.org/x/net/websocket) tell the runtime of it: every message read
// inside the request's handler, or a goroutine it started, is an input of
// the request (Source "websocket": the message as "message", and, when it
// is JSON, its strings and numbers by path as for a JSON body), and the
// request's first refusal closes the connection with a policy-violation
// close frame (1008) whose reason names the rule and the request ID.
//
// The most recent 8 messages are kept, 8 KiB of each, in buffers reused
// from one message to the next; the inputs of a message are read when a
// detector first asks, once, and at most 64 inputs come from the messages.
type WebSocket struct {
	req *reqctx.Request

	mu      sync.Mutex
	msgs    [maxMessages][]byte        // a ring: msgs[(next-1)%maxMessages] is the latest
	ins     [maxMessages][]taint.Input // the inputs of each message, once read; nil: to read
	next    int                        // the slot of the next message
	kept    int                        // messages kept, at most maxMessages
	cur     int                        // the slot of the message being read, or -1
	closer  func(reason string)        // closes the connection; nil until the patch sets it
	refusal *callsite.BlockedError
	rd      messageReader
}

// CurrentWebSocket returns the upgraded connection of the request the
// calling goroutine serves, made on first use; nil outside a request (in
// mode off, or in a goroutine no request started).
func CurrentWebSocket() *WebSocket {
	r := reqctx.CurrentRequest(nil)
	if r == nil {
		return nil
	}
	if w, ok := r.Attached().(*WebSocket); ok {
		return w
	}
	w, _ := r.Attach(newWebSocket(r)).(*WebSocket)
	return w
}

func newWebSocket(r *reqctx.Request) *WebSocket {
	w := &WebSocket{req: r, cur: -1}
	w.rd.w = w
	return w
}

// HasCloser reports whether the connection's closer is set.
func (w *WebSocket) HasCloser() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closer != nil
}

// SetCloser sets the function that closes the connection with a
// policy-violation close frame carrying reason, unless one is set. If the
// request was refused already, it runs now.
func (w *WebSocket) SetCloser(close func(reason string)) {
	w.mu.Lock()
	if w.closer != nil {
		w.mu.Unlock()
		return
	}
	w.closer = close
	e := w.refusal
	w.mu.Unlock()
	if e != nil {
		w.fire(close, e)
	}
}

// Refused closes the connection for the request's first refusal (for
// reqctx.Attachment), now if the closer is set, else when it is.
func (w *WebSocket) Refused(e *callsite.BlockedError) {
	w.mu.Lock()
	if w.refusal != nil {
		w.mu.Unlock()
		return
	}
	w.refusal = e
	close := w.closer
	w.mu.Unlock()
	if close != nil {
		w.fire(close, e)
	}
}

// fire calls the closer; a library that panics there fails open.
func (w *WebSocket) fire(close func(string), e *callsite.BlockedError) {
	defer func() {
		if p := recover(); p != nil {
			metrics.NoteInternalError()
			metrics.CountInternalError("middleware")
			events.Logf("internal error closing the connection of request %s: %v", e.RequestID, p)
		}
	}()
	close(closeReason(e.Rule, e.RequestID))
}

// closeReason is the reason of the close frame of a refused connection:
// "rasp: blocked by rule R (request ID)", cut to the 123 bytes a close
// frame holds (a long request ID loses its end).
func closeReason(rule, id string) string {
	s := closeReasonPrefix + rule + " (request " + id + ")"
	if len(s) <= maxCloseReason {
		return s
	}
	s = closeReasonPrefix + rule + " (request "
	if len(s) >= maxCloseReason {
		return s[:maxCloseReason]
	}
	return s + id[:maxCloseReason-len(s)-1] + ")"
}

// Message adds a whole message to the request's inputs.
func (w *WebSocket) Message(b []byte) {
	w.Received(true, b)
}

// Received adds bytes read of a message: the start of a new one when next
// is set, else more of the message being read.
func (w *WebSocket) Received(next bool, b []byte) {
	w.mu.Lock()
	if next || w.cur < 0 {
		w.cur = w.next
		w.next = (w.next + 1) % maxMessages
		w.kept = min(w.kept+1, maxMessages)
		w.msgs[w.cur] = w.msgs[w.cur][:0]
	}
	w.ins[w.cur] = nil
	m := w.msgs[w.cur]
	if room := maxMessageBytes - len(m); room > 0 && len(b) > 0 {
		if cap(m) == 0 {
			m = make([]byte, 0, min(max(len(b), 512), maxMessageBytes))
		}
		w.msgs[w.cur] = append(m, b[:min(len(b), room)]...)
	}
	w.mu.Unlock()
	w.req.InputsChanged()
}

// Reader returns r, a message's reader, as a reader whose reads add the
// message to the request's inputs. The reader is the connection's own,
// reused for the next message: the libraries end a message's reader when
// the next one starts.
func (w *WebSocket) Reader(r io.Reader) io.Reader {
	w.mu.Lock()
	w.rd.r, w.rd.started = r, false
	w.mu.Unlock()
	return &w.rd
}

// messageReader reads a message, adding what it reads to the inputs.
type messageReader struct {
	w       *WebSocket
	r       io.Reader
	started bool // a read returned bytes: the message is in the ring
}

func (m *messageReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if n > 0 && n <= len(p) {
		m.w.Received(!m.started, p[:n])
		m.started = true
	}
	return n, err
}

// Inputs returns the inputs the kept messages carry, the most recent
// message first (for reqctx.Attachment).
func (w *WebSocket) Inputs() []taint.Input {
	w.mu.Lock()
	defer w.mu.Unlock()
	var all []taint.Input
	for i := 0; i < w.kept && len(all) < maxMessageInputs; i++ {
		k := (w.next - 1 - i + 2*maxMessages) % maxMessages
		if w.ins[k] == nil {
			w.ins[k] = messageInputs(w.msgs[k])
		}
		all = append(all, w.ins[k]...)
	}
	if len(all) > maxMessageInputs {
		all = all[:maxMessageInputs]
	}
	return all
}

// messageInputs returns the inputs of one message: the message, trimmed
// of white space too, and, when it is JSON, its strings and numbers by
// path. Never nil.
func messageInputs(b []byte) []taint.Input {
	c := collector{ins: make([]taint.Input, 0, 4)}
	if len(b) == 0 {
		return c.ins
	}
	c.add(WebSocketSource, "message", string(b))
	if t := strings.TrimSpace(string(b)); t != string(b) && t != "" {
		c.add(WebSocketSource, "message", t)
	}
	if looksJSON(b) {
		c.json(WebSocketSource, b)
	}
	return c.ins
}
