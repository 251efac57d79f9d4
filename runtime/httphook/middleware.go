package httphook

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"unsafe"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/gate"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// maxBody bounds the bytes of a request body kept for input correlation.
const maxBody = 64 << 10

// Wrap returns handler (http.DefaultServeMux when nil) behind the request
// middleware. For each request it:
//
//   - takes the request ID from X-Request-Id and echoes it in the response;
//     without one, an ID is made when an event or a 403 needs it;
//   - makes the request known to every sink call made while serving it:
//     through the request's context, and through the goroutine (and the
//     goroutines the handler starts), so calls without a context, deep in
//     helpers or libraries, know it too;
//   - keeps a copy of the first 64 KiB of the body as the handler reads it,
//     so the inputs (query, form, JSON and XML bodies, path, cookies, headers) can be
//     read lazily, when a detector first asks;
//   - answers 403 when a sink call was blocked, whatever the handler then
//     wrote: JSON {"error":"blocked","rule":…,"request_id":…}, or HTML when
//     the client asks for it. The answer keeps the Set-Cookie headers the
//     handler set, before the block or after it, and none of its other
//     headers. If the handler had already sent its status before the
//     block, the connection is aborted instead, so a partial answer never
//     looks complete.
//
// Wrapping a wrapped handler returns it unchanged. In mode off the
// middleware only calls the handler.
func Wrap(handler http.Handler) http.Handler {
	if handler == nil {
		handler = http.DefaultServeMux
	}
	if _, ok := handler.(*middleware); ok {
		return handler
	}
	return &middleware{next: handler}
}

type middleware struct{ next http.Handler }

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if judge.CurrentMode() == policy.ModeOff {
		m.next.ServeHTTP(w, r)
		return
	}
	// One allocation holds the request, its context and the writer, which
	// has the optional interfaces of the server's writer, no more, no less
	// (HTTP/1 can hijack, HTTP/2 can push).
	x, rw := newExchange(w)
	// The client's request ID is echoed; without one, an ID is made only
	// when something needs it (an event, a 403), which keeps the common
	// answer as small as the handler made it.
	if id := clientRequestID(r.Header.Get("X-Request-Id")); id != "" {
		x.id[0] = id
		w.Header()["X-Request-Id"] = x.id[:]
	}
	x.req = &x.request
	x.gate = judge.CurrentPolicy().Gate()
	ip, client := x.client(r)
	x.request.Init(x.id[0], r.Method, r.URL.Path, ip, x)
	x.ctx = reqctx.RequestContext{Context: r.Context(), Request: x.req}
	x.r = withContext(&x.copy, r, &x.ctx)
	if x.gate.Active() {
		in := gate.Info{Method: r.Method, Path: r.URL.Path, Client: client, UserAgent: r.Header.Get("User-Agent")}
		if ref := gate.Check(x.gate, x.req, &in); ref != nil {
			answer(w, gateRefusal(ref, x.req.RequestID(), r.Header.Get("Accept")))
			return
		}
	}
	if r.Body != nil && r.Body != http.NoBody {
		x.tee.rc, x.tee.max, x.tee.hint = r.Body, maxBody, r.ContentLength
		x.body = notifyingBody{&x.tee, x.req}
		x.r.Body = &x.body
	}
	if routesFile != "" {
		defer x.observe()
	}
	defer x.finish(reqctx.Enter(x.req))
	m.next.ServeHTTP(rw, x.r)
}

// client returns the request's client IP, as events name it, and as an
// address when the gate needs one: the peer, or behind a trusted proxy
// the address its forwarding headers name (see package clientip).
func (x *exchange) client(r *http.Request) (string, netip.Addr) {
	ip, client, trusted := gateClient(r.RemoteAddr, x.gate, r.Header, x.ipText[:0])
	x.trusted = trusted
	return ip, client
}

// User names the request's user, for reqctx.Request.
func (x *exchange) User() string { return requestUser(x.r.Header, x.trusted, x.gate) }

// exchange is the response writer the handler gets: it passes everything
// through until a sink call of the request is blocked, and swallows what
// the handler writes after that.
type exchange struct {
	http.ResponseWriter
	request reqctx.Request
	ctx     reqctx.RequestContext
	id      [1]string       // the X-Request-Id header's value
	req     *reqctx.Request // &request
	r       *http.Request   // the handler's request: &copy, or a copy WithContext made
	copy    http.Request
	tee     bodyTee
	body    notifyingBody // the handler's request body: reads tee
	sent    bool          // the handler's status went out
	dropped http.Header   // the header the handler edits after a block
	gate    *policy.Gate  // the request rules in force when the request came
	trusted bool          // the peer is a trusted proxy
	status  int           // the status the handler sent, for the API inventory
	ipText  [46]byte      // the client IP's text, behind a trusted proxy
}

// Inputs reads the request's inputs, for reqctx.Request.
func (x *exchange) Inputs() []taint.Input {
	return inputs(x.r, x.body.bodyTee)
}

func (x *exchange) blocked() bool { return x.req.Blocked() != nil }

// Header returns the response header; after a block, a throwaway one.
func (x *exchange) Header() http.Header {
	if x.blocked() {
		if x.dropped == nil {
			x.dropped = http.Header{}
		}
		return x.dropped
	}
	return x.ResponseWriter.Header()
}

// WriteHeader sends the status, unless a call was blocked.
func (x *exchange) WriteHeader(code int) {
	if x.blocked() {
		return
	}
	if code >= 200 {
		x.sent = true
		if x.status == 0 {
			x.status = code
		}
	}
	x.ResponseWriter.WriteHeader(code)
}

// Write sends body bytes, unless a call was blocked: they are then
// dropped, and reported written.
func (x *exchange) Write(b []byte) (int, error) {
	if x.blocked() {
		return len(b), nil
	}
	x.sent = true
	return x.ResponseWriter.Write(b)
}

// WriteString sends body bytes as Write does, without the copy to a
// byte slice that io.WriteString makes for a writer that lacks it.
func (x *exchange) WriteString(s string) (int, error) {
	if x.blocked() {
		return len(s), nil
	}
	x.sent = true
	if sw, ok := x.ResponseWriter.(io.StringWriter); ok {
		return sw.WriteString(s)
	}
	return x.ResponseWriter.Write([]byte(s))
}

// ReadFrom copies r to the response (io.Copy uses it).
func (x *exchange) ReadFrom(r io.Reader) (int64, error) {
	if x.blocked() {
		return io.Copy(io.Discard, r)
	}
	x.sent = true
	if rf, ok := x.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{x.ResponseWriter}, r)
}

// Flush flushes the response, unless a call was blocked.
func (x *exchange) Flush() {
	if x.blocked() {
		return
	}
	if f, ok := x.ResponseWriter.(http.Flusher); ok {
		x.sent = true
		f.Flush()
	}
}

// newExchange returns the writer for w, and the same as the
// http.ResponseWriter the handler gets, with w's Hijacker and Pusher.
func newExchange(w http.ResponseWriter) (*exchange, http.ResponseWriter) {
	_, hj := w.(http.Hijacker)
	_, pu := w.(http.Pusher)
	switch {
	case hj && pu:
		v := &hijackPushExchange{}
		v.ResponseWriter = w
		return &v.exchange, v
	case hj:
		v := &hijackExchange{}
		v.ResponseWriter = w
		return &v.exchange, v
	case pu:
		v := &pushExchange{}
		v.ResponseWriter = w
		return &v.exchange, v
	}
	x := &exchange{ResponseWriter: w}
	return x, x
}

type hijackExchange struct{ exchange }

// Hijack hands the connection to the handler.
func (x *hijackExchange) Hijack() (net.Conn, *bufio.ReadWriter, error) { return x.hijack() }

type pushExchange struct{ exchange }

// Push pushes a resource (HTTP/2), unless a call was blocked.
func (x *pushExchange) Push(target string, opts *http.PushOptions) error { return x.push(target, opts) }

type hijackPushExchange struct{ exchange }

// Hijack hands the connection to the handler.
func (x *hijackPushExchange) Hijack() (net.Conn, *bufio.ReadWriter, error) { return x.hijack() }

// Push pushes a resource (HTTP/2), unless a call was blocked.
func (x *hijackPushExchange) Push(target string, opts *http.PushOptions) error {
	return x.push(target, opts)
}

func (x *exchange) hijack() (net.Conn, *bufio.ReadWriter, error) {
	x.sent = true
	return x.ResponseWriter.(http.Hijacker).Hijack()
}

func (x *exchange) push(target string, opts *http.PushOptions) error {
	if x.blocked() {
		return http.ErrNotSupported
	}
	return x.ResponseWriter.(http.Pusher).Push(target, opts)
}

// Unwrap returns the server's writer, for http.ResponseController.
func (x *exchange) Unwrap() http.ResponseWriter { return x.ResponseWriter }

// finish runs when the handler returns (or panics): it restores the
// goroutine's request and answers for a blocked call.
func (x *exchange) finish(e reqctx.Entered) {
	e.Leave()
	b := x.req.Blocked()
	if b == nil {
		return
	}
	if x.sent {
		panic(http.ErrAbortHandler) // the status is out: cut the answer short
	}
	// The refusal replaces the handler's answer, except for the cookies it
	// set, before the block or after it (in the throwaway header): a
	// fresh session or CSRF cookie lost would log the user out.
	h := x.ResponseWriter.Header()
	cookies := setCookies(nil, h)
	for k := range h {
		delete(h, k)
	}
	if cookies = setCookies(cookies, x.dropped); len(cookies) > 0 {
		h["Set-Cookie"] = cookies
	}
	r := refusal(b.Rule, x.req.RequestID(), x.r.Header.Get("Accept"))
	for _, kv := range r.Header {
		h.Set(kv[0], kv[1])
	}
	x.ResponseWriter.WriteHeader(r.Status)
	io.WriteString(x.ResponseWriter, r.Body)
}

// setCookies appends the Set-Cookie values of h to dst, under whatever
// spelling of the name the handler used.
func setCookies(dst []string, h http.Header) []string {
	for k, vs := range h {
		if k == "Set-Cookie" || http.CanonicalHeaderKey(k) == "Set-Cookie" {
			dst = append(dst, vs...)
		}
	}
	return dst
}

// notifyingBody tells the request its inputs grew when the handler reads
// more of the body.
type notifyingBody struct {
	*bodyTee
	req *reqctx.Request
}

func (b *notifyingBody) Read(p []byte) (int, error) {
	n, err := b.bodyTee.Read(p)
	if n > 0 {
		b.req.InputsChanged()
	}
	return n, err
}

// requestContext is the offset of http.Request's context field, found
// once; 0 when this Go release's Request has no such field.
var requestContext = func() uintptr {
	f, ok := reflect.TypeFor[http.Request]().FieldByName("ctx")
	if !ok || f.Type != reflect.TypeFor[context.Context]() {
		return 0
	}
	return f.Offset
}()

// withContext returns r.WithContext(ctx), made in dst: a request copied
// with its context replaced, as WithContext makes it, but in memory the
// caller already has. Without the field (requestContext is 0) it calls
// WithContext.
func withContext(dst, r *http.Request, ctx context.Context) *http.Request {
	if requestContext == 0 {
		return r.WithContext(ctx)
	}
	*dst = *r
	*(*context.Context)(unsafe.Add(unsafe.Pointer(dst), requestContext)) = ctx
	return dst
}

// clientRequestID returns the client's request ID when it is a sane
// token, else "".
func clientRequestID(in string) string {
	if in == "" || len(in) > 128 {
		return ""
	}
	for i := 0; i < len(in); i++ {
		if c := in[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' {
			return ""
		}
	}
	return in
}

// clientIP is the host of the connection's remote address. Forwarding
// headers are inputs, not identities: they are not trusted here.
func clientIP(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// jsonString quotes s as a JSON string (rule names and request IDs are
// plain ASCII; anything else is escaped).
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
