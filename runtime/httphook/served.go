package httphook

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
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

// Served is one request of a server other than net/http's, from Begin to
// End: it gets what Wrap gives a net/http request, the request made known
// to every sink call of the goroutine (and the goroutines it starts), with
// its inputs read lazily, and the answer to give when a call was blocked.
type Served struct {
	request  reqctx.Request
	rawPath  string
	entered  reqctx.Entered
	clientID string
	read     func() RawRequest
	accept   string
}

// Begin starts serving a request of a server other than net/http's. id is
// the client's X-Request-Id header (echoed when sane), rawPath the path as
// the request line sent it (escaped, not cleaned), accept the Accept
// header; read returns the rest of the request, when needed. Begin returns
// nil in mode off, and End must be called on the same goroutine, when the
// handler returns or panics.
func Begin(id, method, rawPath, remoteAddr, accept string, read func() RawRequest) *Served {
	if judge.CurrentMode() == policy.ModeOff {
		return nil
	}
	s := &Served{clientID: clientRequestID(id), rawPath: rawPath, read: read, accept: accept}
	path, err := url.PathUnescape(rawPath)
	if err != nil {
		path = rawPath
	}
	s.request.Init(s.clientID, method, path, clientIP(remoteAddr), s)
	s.entered = reqctx.Enter(&s.request)
	return s
}

// Inputs reads the request's inputs, for reqctx.Request.
func (s *Served) Inputs() []taint.Input {
	raw := s.read()
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

// Refusal is the answer to a request one of whose sink calls was blocked:
// the same for every server.
type Refusal struct {
	Status int         // 403
	Header [][2]string // name and value: the request ID, Content-Type (JSON, or HTML when the client asked for it), no caching, no sniffing
	Body   string
}

// End ends the request: it restores the goroutine's request, and returns
// the answer to send instead of the handler's when a call was blocked
// (nil otherwise; it carries its own X-Request-Id), and the request ID to
// echo in the response's X-Request-Id header ("" when there is none).
func (s *Served) End() (*Refusal, string) {
	s.entered.Leave()
	b := s.request.Blocked()
	if b == nil {
		return nil, s.clientID
	}
	id := s.request.RequestID()
	return refusal(b.Rule, id, s.accept), id
}

// refusal is the 403 answer to a request blocked by rule: a JSON body
// {"error":"blocked","rule":…,"request_id":…}, or HTML when accept asks
// for it.
func refusal(rule, id, accept string) *Refusal {
	r := &Refusal{Status: http.StatusForbidden, Header: [][2]string{
		{"X-Request-Id", id}, {"Cache-Control", "no-store"}, {"X-Content-Type-Options", "nosniff"}, {"Content-Type", "application/json"}}}
	if strings.Contains(accept, "text/html") {
		r.Header[3][1] = "text/html; charset=utf-8"
		r.Body = "<!doctype html><title>403 Forbidden</title><h1>Forbidden</h1><p>The request was blocked (rule " +
			html.EscapeString(rule) + "). Request ID: <code>" + html.EscapeString(id) + "</code></p>\n"
		return r
	}
	r.Body = `{"error":"blocked","rule":` + jsonString(rule) + `,"request_id":` + jsonString(id) + "}\n"
	return r
}
