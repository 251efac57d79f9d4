// Package nethook holds the runtime's hooks for the network sinks: net.Dial
// and friends, and the net/http client functions. It is a package of its
// own so that a program that never dials is not linked with net/http.
package nethook

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/literal"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/span"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/ssrf"
)

// checkAddr judges an address; arg is its index among the sink's
// parameters. ctx (may be nil) or the goroutine tells the request.
func checkAddr(ctx context.Context, site *Site, arg int, network, address string) error {
	req := reqctx.CurrentRequest(ctx)
	return judge.JudgeCall(site, req, func() (Finding, bool) { return detector.CheckAddr(site, arg, network, address, req) })
}

// checkURL judges a URL; arg is its index among the sink's parameters (< 0:
// not one of them). ctx (may be nil) or the goroutine tells the request.
func checkURL(ctx context.Context, site *Site, arg int, rawURL string) error {
	req := reqctx.CurrentRequest(ctx)
	return judge.JudgeCall(site, req, func() (Finding, bool) { return detector.CheckURL(site, arg, rawURL, req) })
}

func dialErr(network, address string, err error) error {
	return &net.OpError{Op: "dial", Net: network, Err: err}
}

// NetDial is the hook for net.Dial.
func NetDial(site *Site, network, address string) (net.Conn, error) {
	ctx, err := dialContext(nil, site, 1, network, address)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// NetDialTimeout is the hook for net.DialTimeout.
func NetDialTimeout(site *Site, network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, err := dialContext(nil, site, 1, network, address)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: timeout}
	return d.DialContext(ctx, network, address)
}

// DialerDial is the hook for (*net.Dialer).Dial.
func DialerDial(site *Site, d *net.Dialer, network, address string) (net.Conn, error) {
	ctx, err := dialContext(nil, site, 1, network, address)
	if err != nil {
		return nil, err
	}
	return d.DialContext(ctx, network, address)
}

// DialerDialContext is the hook for (*net.Dialer).DialContext.
func DialerDialContext(site *Site, d *net.Dialer, ctx context.Context, network, address string) (net.Conn, error) {
	dctx, err := dialContext(ctx, site, 2, network, address)
	if err != nil {
		return nil, err
	}
	return d.DialContext(dctx, network, address)
}

// dialContext judges a dial's address at its call site and returns the
// context to dial with, carrying the mark. A dial that is part of an HTTP
// client call a hook made (a transport's custom DialContext: its context
// carries the call's mark, or it dropped the context and dials an address
// the call leads to) is the call's: its site judged the URL, and the
// mark's provenance and redirects judge the address connected to.
func dialContext(ctx context.Context, site *Site, arg int, network, address string) (context.Context, error) {
	if octx, ok := outerMark(ctx, address); ok {
		return octx, nil
	}
	if err := checkAddr(ctx, site, arg, network, address); err != nil {
		return nil, dialErr(network, address, err)
	}
	return markedContext(ctx, site, arg, address), nil
}

func urlErr(method, rawURL string, err error) error {
	return &url.Error{Op: method, URL: rawURL, Err: err}
}

// The http.Get family is rerouted through Client.Do with a request whose
// context carries the dial mark, as http.Client itself builds it.

// HTTPGet is the hook for http.Get.
func HTTPGet(site *Site, url string) (*http.Response, error) {
	return clientSend(site, http.DefaultClient, "GET", url, "", nil)
}

// HTTPHead is the hook for http.Head.
func HTTPHead(site *Site, url string) (*http.Response, error) {
	return clientSend(site, http.DefaultClient, "HEAD", url, "", nil)
}

// HTTPPost is the hook for http.Post.
func HTTPPost(site *Site, url, contentType string, body io.Reader) (*http.Response, error) {
	return clientSend(site, http.DefaultClient, "POST", url, contentType, body)
}

// HTTPPostForm is the hook for http.PostForm.
func HTTPPostForm(site *Site, url string, data url.Values) (*http.Response, error) {
	return clientSend(site, http.DefaultClient, "POST", url, formType, strings.NewReader(data.Encode()))
}

// ClientDo is the hook for (*http.Client).Do.
func ClientDo(site *Site, c *http.Client, req *http.Request) (*http.Response, error) {
	if req == nil || req.URL == nil {
		return c.Do(req)
	}
	u := req.URL.String()
	if err := checkURL(req.Context(), site, -1, u); err != nil {
		return nil, urlErr(urlOp(req.Method), u, err)
	}
	ctx, m := mark(req.Context(), site, -1, u)
	if programString(req.URL.Host) {
		m.program = true // url.Parse keeps the host of a constant URL as a part of it
	}
	m.enter(req.URL)
	defer m.leave()
	return markedClient(c, m).Do(req.WithContext(ctx))
}

// ClientGet is the hook for (*http.Client).Get.
func ClientGet(site *Site, c *http.Client, url string) (*http.Response, error) {
	return clientSend(site, c, "GET", url, "", nil)
}

// ClientHead is the hook for (*http.Client).Head.
func ClientHead(site *Site, c *http.Client, url string) (*http.Response, error) {
	return clientSend(site, c, "HEAD", url, "", nil)
}

// ClientPost is the hook for (*http.Client).Post.
func ClientPost(site *Site, c *http.Client, url, contentType string, body io.Reader) (*http.Response, error) {
	return clientSend(site, c, "POST", url, contentType, body)
}

// ClientPostForm is the hook for (*http.Client).PostForm.
func ClientPostForm(site *Site, c *http.Client, url string, data url.Values) (*http.Response, error) {
	return clientSend(site, c, "POST", url, formType, strings.NewReader(data.Encode()))
}

const formType = "application/x-www-form-urlencoded"

// clientSend checks rawURL (the sink's parameter 0) and sends the request
// as Client.Get, Head, Post and PostForm do, with the dial mark in its
// context.
func clientSend(site *Site, c *http.Client, method, rawURL, contentType string, body io.Reader) (*http.Response, error) {
	if err := checkURL(nil, site, 0, rawURL); err != nil {
		return nil, urlErr(urlOp(method), rawURL, err)
	}
	ctx, m := mark(nil, site, 0, rawURL)
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	m.enter(req.URL)
	defer m.leave()
	return markedClient(c, m).Do(req)
}

// urlOp spells a method as url.Error.Op does for Client.Do.
func urlOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}

// netDetector judges an address about to be dialed or a URL about to be
// fetched.
type netDetector interface {
	CheckAddr(site *Site, arg int, network, address string, req *reqctx.Request) (Finding, bool)
	CheckURL(site *Site, arg int, rawURL string, req *reqctx.Request) (Finding, bool)
}

// basicNet flags connections to cloud metadata endpoints.
type basicNet struct{}

var metadataHosts = map[string]bool{
	"169.254.169.254": true, "fd00:ec2::254": true, "100.100.100.200": true,
	"168.63.129.16": true, "metadata.google.internal": true,
}

func (basicNet) CheckAddr(_ *Site, _ int, _, address string, _ *reqctx.Request) (Finding, bool) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	if metadataHosts[strings.TrimSuffix(strings.ToLower(host), ".")] {
		return Finding{Rule: "ssrf-metadata", Detail: "cloud metadata endpoint", Value: address}, true
	}
	return Finding{}, false
}

func (b basicNet) CheckURL(site *Site, arg int, raw string, req *reqctx.Request) (Finding, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return Finding{}, false
	}
	return b.CheckAddr(site, arg, "tcp", u.Host, req)
}

// templateNet judges addresses and URLs with package ssrf: a host that came
// from a dynamic part may not be internal; a metadata address never may,
// unless the programmer wrote it.
type templateNet struct{}

func (n templateNet) CheckAddr(site *Site, arg int, network, address string, req *reqctx.Request) (Finding, bool) {
	if !dialable(network, address) {
		return Finding{}, false // package net refuses it: nothing is reached
	}
	return n.judge(site, arg, address, req)
}

// dialable reports whether package net would try to connect to address on
// network: TCP and UDP addresses need a port ("10" is refused), IP and Unix
// ones do not.
func dialable(network, address string) bool {
	if !strings.HasPrefix(network, "tcp") && !strings.HasPrefix(network, "udp") {
		return true
	}
	_, _, err := net.SplitHostPort(address)
	return err == nil
}

func (n templateNet) CheckURL(site *Site, arg int, raw string, req *reqctx.Request) (Finding, bool) {
	return n.judge(site, arg, raw, req)
}

func (templateNet) judge(site *Site, arg int, raw string, req *reqctx.Request) (Finding, bool) {
	dyn, known, input := hostOrigin(site, arg, raw, req)
	if !known {
		if f, ok := (basicNet{}).CheckAddr(site, arg, "tcp", hostPortOf(raw), req); ok {
			return f, true
		}
		return Finding{}, false
	}
	f, found := ssrf.Check(raw, dyn || input != nil, ssrfAllowlist())
	if !found || f.Rule == ssrf.RuleInternal && input == nil {
		// Programs reach their own internal services through hosts held
		// in variables (configuration, service discovery): an internal
		// address is a finding only when a request input chose it.
		return Finding{}, false
	}
	detail := "the host came from a dynamic part"
	if input != nil {
		detail = "the host came from a request input"
	}
	return Finding{Rule: f.Rule, Detail: detail, Value: raw, Input: input}, true
}

// hostOrigin tells where the host of a URL or address passed as the sink's
// parameter arg came from: dynamic when a dynamic part of its template
// covers it (or the value does not fit the template), input when one of
// the request's inputs does. known is false when neither a template nor an
// input tells.
func hostOrigin(site *Site, arg int, raw string, req *reqctx.Request) (dynamic, known bool, input *taint.Input) {
	if site.Static || programString(raw) {
		return false, true, nil
	}
	hs, he := hostRange(raw)
	var dyn [taint.MaxSpans]span.Span
	nd := -1 // dynamic spans of the template; -1: no template
	if t := site.Template(arg); t != nil {
		known = true
		n, ok := t.Spans(raw, &dyn)
		dynamic, nd = !ok, n
		if !ok {
			nd = -1 // the value does not fit: every byte may be dynamic
		}
		for i := 0; i < n; i++ {
			if coversHost(dyn[i], hs, he) {
				dynamic = true
			}
		}
		if !dynamic {
			return false, true, nil // the code wrote the host: an input equal to it is a coincidence
		}
	}
	if req != nil {
		// An input that is the whole host chose it, even one of letters or
		// digits alone (2130706433, LOCALHOST), which InputSpans passes over.
		host := strings.Trim(raw[hs:he], "[]")
		all := req.Inputs()
		after := authorityEnd(raw, he)
		dynAfter := spansOrNil(&dyn, nd)
		for i := range all {
			if v := all[i].Value; v != "" && (strings.EqualFold(v, host) || strings.EqualFold(v, raw[hs:he])) &&
				!explainedElsewhere(raw, after, v, all, dynAfter) {
				return true, true, &all[i]
			}
		}
		var buf [taint.MaxSpans]span.Span
		var which [taint.MaxSpans]int
		n := taint.InputSpans(raw, all, &buf, &which)
		for i := 0; i < n; i++ {
			if coversHost(buf[i], hs, he) && !explainedElsewhere(raw, after, all[which[i]].Value, all, dynAfter) {
				return true, true, &all[which[i]]
			}
		}
	}
	return dynamic, known, nil
}

// coversHost reports whether span s covers part of the host range
// [hs, he), or, for an empty host (":8080", the local system), the place
// where the host would be.
func coversHost(s span.Span, hs, he int) bool {
	if hs == he {
		return s.Start <= hs && hs <= s.End
	}
	return s.Start < he && s.End > hs
}

// spansOrNil returns the first n spans of buf, or nil when n < 0.
func spansOrNil(buf *[taint.MaxSpans]span.Span, n int) []span.Span {
	if n < 0 {
		return nil
	}
	return buf[:n]
}

// authorityEnd returns where the authority of a URL ends (its path, query
// or fragment starts) given the end of its host; len(raw) for a host:port.
func authorityEnd(raw string, he int) int {
	if !strings.Contains(raw, "//") {
		return len(raw)
	}
	if j := strings.IndexAny(raw[he:], "/?#\\"); j >= 0 {
		return he + j
	}
	return len(raw)
}

// explainedElsewhere reports whether the request's inputs whose value is v
// are all accounted for by occurrences of v after the authority, from
// offset after on: in the path, query or fragment, and inside a dynamic
// part when dyn (the template's dynamic spans) is not nil. The host's equal
// text then came from the program (a configured base URL), not from an
// input. Two inputs of the same value with one occurrence in the path are
// not explained: one of them chose the host.
func explainedElsewhere(raw string, after int, v string, all []taint.Input, dyn []span.Span) bool {
	if v == "" || after >= len(raw) {
		return false
	}
	occ := 0
	for from := after; from < len(raw); {
		i := strings.Index(raw[from:], v)
		if i < 0 {
			break
		}
		start, end := from+i, from+i+len(v)
		if dyn == nil || inSpans(dyn, start, end) {
			occ++
		}
		from = end
	}
	if occ == 0 {
		return false
	}
	same := 0
	for i := range all {
		if all[i].Value == v {
			same++
		}
	}
	return occ >= same
}

func inSpans(spans []span.Span, start, end int) bool {
	for _, s := range spans {
		if s.Start <= start && end <= s.End {
			return true
		}
	}
	return false
}

// hostRange returns the byte range of the host in a URL or host:port: after
// any userinfo, without the port. A dynamic port or userinfo does not make
// the host dynamic, unless it moved the host (a '@' or '/' in it).
func hostRange(raw string) (int, int) {
	start, end := 0, len(raw)
	if i := strings.Index(raw, "//"); i >= 0 {
		start = i + 2
		if j := strings.IndexAny(raw[start:], "/?#\\"); j >= 0 {
			end = start + j
		}
	}
	if at := strings.LastIndexByte(raw[start:end], '@'); at >= 0 {
		start += at + 1
	}
	if start < end && raw[start] == '[' {
		if j := strings.IndexByte(raw[start:end], ']'); j >= 0 {
			return start, start + j + 1
		}
		return start, end
	}
	if j := strings.LastIndexByte(raw[start:end], ':'); j >= 0 {
		end = start + j
	}
	return start, end
}

func hostPortOf(raw string) string {
	if !strings.Contains(raw, "//") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host
}

// Site and Finding are the runtime's.
type (
	Site    = callsite.Site
	Finding = judge.Finding
)

// detector is the network detector; a test may replace it with
// SetDetector (export_test.go).
var detector netDetector = templateNet{}

// programString reports whether s is one of the program's string
// constants (package literal): a URL or address written whole in the
// program, such as a cloud SDK's metadata endpoint, even when it reaches
// the call through a variable or a struct field. Tests replace it.
var programString = literal.Is
