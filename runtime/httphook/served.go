package httphook

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/gate"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/routetable"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// RawRequest is a request as a server other than net/http's (fasthttp, and
// Fiber on it) read it. The glue the build adds to such a server fills it
// only when a detector first asks for the request's inputs.
type RawRequest struct {
	RawQuery string
	Header   map[string][]string // canonical names, as in net/http
	Body     []byte              // as received; at most 64 KiB of it is read
}

// Raw is a request of a server other than net/http's, as the glue the
// build adds to the server reads it, without copying what is not asked
// for. Its methods are called on the goroutine that serves the request,
// between Begin and End.
type Raw interface {
	// Header returns the first line of the header name (canonical, as
	// "User-Agent"), or "" when the request has none.
	Header(name string) string
	// Values returns every line of the header name, in the order they
	// came, or nil; the name is matched without regard to case. Raw is so
	// a clientip.Headers, for the forwarding headers of a trusted proxy.
	Values(name string) []string
	// Read returns the rest of the request: called once, when a detector
	// first asks for the request's inputs.
	Read() RawRequest
}

// Served is one request of a server other than net/http's, from Begin to
// End: it gets what Wrap gives a net/http request, the request made known
// to every sink call of the goroutine (and the goroutines it starts), with
// its inputs read lazily, the request rules (the gate) checked before the
// handler runs, and the answer to give when the gate or a call refused it.
type Served struct {
	request  reqctx.Request
	rawPath  string
	entered  reqctx.Entered
	clientID string
	raw      Raw
	gate     *policy.Gate  // the request rules in force when the request came
	trusted  bool          // the peer is a trusted proxy
	refused  *gate.Refusal // the gate's refusal: the handler must not run
}

// Begin starts serving a request of a server other than net/http's.
// rawPath is the path as the request line sent it (escaped, not cleaned),
// remoteAddr the peer's address, raw the request's headers and the rest
// of it, read when needed. The client's X-Request-Id header is echoed when
// sane. The client IP is the peer's, or behind a trusted proxy
// (trusted_proxies) the one its forwarding headers name; when the policy
// has request rules, they are checked, and a request they refuse must not
// reach the handler (Refused). Begin returns nil in mode off, and End must
// be called on the same goroutine, when the handler returns or panics (or
// instead of the handler, when refused).
func Begin(method, rawPath, remoteAddr string, raw Raw) *Served {
	if judge.CurrentMode() == policy.ModeOff {
		return nil
	}
	s := &Served{clientID: clientRequestID(raw.Header("X-Request-Id")), rawPath: rawPath, raw: raw, gate: judge.CurrentPolicy().Gate()}
	path, err := url.PathUnescape(rawPath)
	if err != nil {
		path = rawPath
	}
	ip, client, trusted := gateClient(remoteAddr, s.gate, raw, nil)
	s.trusted = trusted
	s.request.Init(s.clientID, method, path, ip, s)
	if s.gate.Active() {
		in := gate.Info{Method: method, Path: path, Client: client, UserAgent: raw.Header("User-Agent")}
		s.refused = gate.Check(s.gate, &s.request, &in)
	}
	s.entered = reqctx.Enter(&s.request)
	return s
}

// Refused reports whether the request rules refused the request: the
// handler must not run, and End returns the answer to send (403, or 429
// with Retry-After for a rate limit).
func (s *Served) Refused() bool { return s.refused != nil }

// User names the request's user, for reqctx.Request: as for a net/http
// request, a trusted proxy's users.headers, else a bearer token's subject.
func (s *Served) User() string { return userFrom(s.raw.Header, s.trusted, s.gate) }

// Inputs reads the request's inputs, for reqctx.Request.
func (s *Served) Inputs() []taint.Input {
	raw := s.raw.Read()
	body := raw.Body
	if len(body) > maxBody {
		body = body[:maxBody]
	}
	r := &http.Request{URL: &url.URL{RawQuery: raw.RawQuery, Path: s.request.Path, RawPath: s.rawPath}, Header: http.Header(raw.Header)}
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(mediaType(ct), "multipart/") {
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.ParseMultipartForm(maxBody) != nil {
			r.MultipartForm = nil
		}
	}
	tee := &bodyTee{max: maxBody, buf: body}
	return inputs(r, tee)
}

// Refusal is the answer to a request the gate refused or one of whose
// sink calls was blocked: the same for every server.
type Refusal struct {
	Status int         // 403; 429 for the gate's rate limit, with Retry-After
	Header [][2]string // name and value: the request ID, Content-Type (JSON, or HTML when the client asked for it), no caching, no sniffing
	Body   string
}

// End ends the request: it restores the goroutine's request, and returns
// the answer to send instead of the handler's when the gate refused the
// request or a call was blocked (nil otherwise; it carries its own
// X-Request-Id), and the request ID to echo in the response's
// X-Request-Id header ("" when there is none).
func (s *Served) End() (*Refusal, string) {
	s.entered.Leave()
	if s.refused != nil {
		id := s.request.RequestID()
		r := gateRefusal(s.refused, id, s.raw.Header("Accept"))
		s.observe(r.Status)
		return r, id
	}
	b := s.request.Blocked()
	if b == nil {
		s.observe(0)
		return nil, s.clientID
	}
	id := s.request.RequestID()
	r := refusal(b.Rule, id, s.raw.Header("Accept"))
	s.observe(r.Status)
	return r, id
}

// observe records the request in the API inventory (RASP_ROUTES), by its
// path, which the inventory templates (fasthttp names no route), with
// status, or the handler's (0: ask the request).
func (s *Served) observe(status int) {
	if routesFile == "" {
		return
	}
	startRoutesWriter()
	if st, ok := s.raw.(interface{ Status() int }); ok && status == 0 {
		status = st.Status()
	}
	if status == 0 {
		status = http.StatusOK
	}
	routetable.Observe(s.request.Method, s.request.Path, s.request.Inputs(), authOf(s.raw.Header("Authorization")), status)
}

// refusal is the 403 answer to a request blocked by rule: a JSON body
// {"error":"blocked","rule":…,"request_id":…}, or HTML when accept asks
// for it.
func refusal(rule, id, accept string) *Refusal {
	return refusalWith(http.StatusForbidden, "blocked", rule, id, accept)
}

// refusalWith is the answer with status to a request refused by rule:
// what ("blocked", "rate limited") is the JSON body's error.
func refusalWith(status int, what, rule, id, accept string) *Refusal {
	r := &Refusal{Status: status, Header: [][2]string{
		{"X-Request-Id", id}, {"Cache-Control", "no-store"}, {"X-Content-Type-Options", "nosniff"}, {"Content-Type", "application/json"}}}
	if strings.Contains(accept, "text/html") {
		text := http.StatusText(status)
		r.Header[3][1] = "text/html; charset=utf-8"
		r.Body = "<!doctype html><title>" + strconv.Itoa(status) + " " + text + "</title><h1>" + text + "</h1><p>The request was blocked (rule " +
			html.EscapeString(rule) + "). Request ID: <code>" + html.EscapeString(id) + "</code></p>\n"
		return r
	}
	r.Body = `{"error":` + jsonString(what) + `,"rule":` + jsonString(rule) + `,"request_id":` + jsonString(id) + "}\n"
	return r
}
