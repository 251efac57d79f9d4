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
	tee := &BodyTee{max: maxBody, buf: body}
	return Inputs(r, tee)
}

// Refusal is the answer to a request one of whose sink calls was blocked.
type Refusal struct {
	Status      int    // 403
	ContentType string // JSON, or HTML when the client asked for it
	Body        string
}

// End ends the request: it restores the goroutine's request, and returns
// the answer to send instead of the handler's when a call was blocked
// (nil otherwise), and the request ID to put in the response's
// X-Request-Id header ("" when there is none to echo).
func (s *Served) End() (refusal *Refusal, requestID string) {
	s.entered.Leave()
	b := s.request.Blocked()
	if b == nil {
		return nil, s.clientID
	}
	id := s.request.RequestID()
	ct, body := refusalBody(b.Rule, id, strings.Contains(s.accept, "text/html"))
	return &Refusal{Status: http.StatusForbidden, ContentType: ct, Body: body}, id
}

// refusalBody is the body of a 403 answer: JSON
// {"error":"blocked","rule":…,"request_id":…}, or HTML.
func refusalBody(rule, id string, asHTML bool) (contentType, body string) {
	if asHTML {
		return "text/html; charset=utf-8", "<!doctype html><title>403 Forbidden</title><h1>Forbidden</h1><p>The request was blocked (rule " +
			html.EscapeString(rule) + "). Request ID: <code>" + html.EscapeString(id) + "</code></p>\n"
	}
	return "application/json", `{"error":"blocked","rule":` + jsonString(rule) + `,"request_id":` + jsonString(id) + "}\n"
}
