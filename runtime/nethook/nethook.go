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

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/ssrf"
)

// checkAddr judges an address; arg is its index among the sink's parameters.
func checkAddr(site *Site, arg int, network, address string) error {
	return rasp.Judge(site, func() (Finding, bool) { return detector.CheckAddr(site, arg, network, address) })
}

// checkURL judges a URL; arg is its index among the sink's parameters (< 0:
// not one of them).
func checkURL(site *Site, arg int, rawURL string) error {
	return rasp.Judge(site, func() (Finding, bool) { return detector.CheckURL(site, arg, rawURL) })
}

func dialErr(network, address string, err error) error {
	return &net.OpError{Op: "dial", Net: network, Err: err}
}

// NetDial is the hook for net.Dial.
func NetDial(site *Site, network, address string) (net.Conn, error) {
	if err := checkAddr(site, 1, network, address); err != nil {
		return nil, dialErr(network, address, err)
	}
	return net.Dial(network, address)
}

// NetDialTimeout is the hook for net.DialTimeout.
func NetDialTimeout(site *Site, network, address string, timeout time.Duration) (net.Conn, error) {
	if err := checkAddr(site, 1, network, address); err != nil {
		return nil, dialErr(network, address, err)
	}
	return net.DialTimeout(network, address, timeout)
}

// DialerDial is the hook for (*net.Dialer).Dial.
func DialerDial(site *Site, d *net.Dialer, network, address string) (net.Conn, error) {
	if err := checkAddr(site, 1, network, address); err != nil {
		return nil, dialErr(network, address, err)
	}
	return d.Dial(network, address)
}

// DialerDialContext is the hook for (*net.Dialer).DialContext.
func DialerDialContext(site *Site, d *net.Dialer, ctx context.Context, network, address string) (net.Conn, error) {
	if err := checkAddr(site, 2, network, address); err != nil {
		return nil, dialErr(network, address, err)
	}
	return d.DialContext(ctx, network, address)
}

func urlErr(method, rawURL string, err error) error {
	return &url.Error{Op: method, URL: rawURL, Err: err}
}

// HTTPGet is the hook for http.Get.
func HTTPGet(site *Site, url string) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Get", url, err)
	}
	return http.Get(url)
}

// HTTPHead is the hook for http.Head.
func HTTPHead(site *Site, url string) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Head", url, err)
	}
	return http.Head(url)
}

// HTTPPost is the hook for http.Post.
func HTTPPost(site *Site, url, contentType string, body io.Reader) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Post", url, err)
	}
	return http.Post(url, contentType, body)
}

// HTTPPostForm is the hook for http.PostForm.
func HTTPPostForm(site *Site, url string, data url.Values) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Post", url, err)
	}
	return http.PostForm(url, data)
}

// ClientDo is the hook for (*http.Client).Do.
func ClientDo(site *Site, c *http.Client, req *http.Request) (*http.Response, error) {
	if req != nil && req.URL != nil {
		if err := checkURL(site, -1, req.URL.String()); err != nil {
			return nil, urlErr(req.Method, req.URL.String(), err)
		}
	}
	return c.Do(req)
}

// ClientGet is the hook for (*http.Client).Get.
func ClientGet(site *Site, c *http.Client, url string) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Get", url, err)
	}
	return c.Get(url)
}

// ClientHead is the hook for (*http.Client).Head.
func ClientHead(site *Site, c *http.Client, url string) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Head", url, err)
	}
	return c.Head(url)
}

// ClientPost is the hook for (*http.Client).Post.
func ClientPost(site *Site, c *http.Client, url, contentType string, body io.Reader) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Post", url, err)
	}
	return c.Post(url, contentType, body)
}

// ClientPostForm is the hook for (*http.Client).PostForm.
func ClientPostForm(site *Site, c *http.Client, url string, data url.Values) (*http.Response, error) {
	if err := checkURL(site, 0, url); err != nil {
		return nil, urlErr("Post", url, err)
	}
	return c.PostForm(url, data)
}

// NetDetector judges an address about to be dialed or a URL about to be
// fetched.
type NetDetector interface {
	CheckAddr(site *Site, arg int, network, address string) (Finding, bool)
	CheckURL(site *Site, arg int, rawURL string) (Finding, bool)
}

// basicNet flags connections to cloud metadata endpoints.
type basicNet struct{}

var metadataHosts = map[string]bool{
	"169.254.169.254": true, "fd00:ec2::254": true, "100.100.100.200": true,
	"168.63.129.16": true, "metadata.google.internal": true,
}

func (basicNet) CheckAddr(_ *Site, _ int, _, address string) (Finding, bool) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	if metadataHosts[strings.TrimSuffix(strings.ToLower(host), ".")] {
		return Finding{Rule: "ssrf-metadata", Detail: "cloud metadata endpoint", Value: address}, true
	}
	return Finding{}, false
}

func (b basicNet) CheckURL(site *Site, arg int, raw string) (Finding, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return Finding{}, false
	}
	return b.CheckAddr(site, arg, "tcp", u.Host)
}

// templateNet judges addresses and URLs with package ssrf: a host that came
// from a dynamic part may not be internal; a metadata address never may,
// unless the programmer wrote it.
type templateNet struct{}

func (n templateNet) CheckAddr(site *Site, arg int, _, address string) (Finding, bool) {
	return n.judge(site, arg, address)
}

func (n templateNet) CheckURL(site *Site, arg int, raw string) (Finding, bool) {
	return n.judge(site, arg, raw)
}

func (templateNet) judge(site *Site, arg int, raw string) (Finding, bool) {
	t := site.Template(arg)
	if t == nil {
		if f, ok := (basicNet{}).CheckAddr(site, arg, "tcp", hostPortOf(raw)); ok {
			return f, true
		}
		return Finding{}, false
	}
	var buf [rasp.MaxSpans]rasp.Span
	n, ok := t.Spans(raw, &buf)
	hostDynamic := !ok
	if ok {
		hs, he := hostRange(raw)
		for i := 0; i < n; i++ {
			if buf[i].Start < he && buf[i].End > hs {
				hostDynamic = true
			}
		}
	}
	f, found := ssrf.Check(raw, hostDynamic, nil)
	if !found {
		return Finding{}, false
	}
	return Finding{Rule: f.Rule, Detail: "the host came from a dynamic part", Value: raw}, true
}

// hostRange returns the byte range of the authority of a URL, or the whole
// of a host:port.
func hostRange(raw string) (int, int) {
	i := strings.Index(raw, "//")
	if i < 0 {
		return 0, len(raw)
	}
	start := i + 2
	end := len(raw)
	if j := strings.IndexAny(raw[start:], "/?#"); j >= 0 {
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
	Site    = rasp.Site
	Finding = rasp.Finding
)

var detector NetDetector = templateNet{}

// SetDetector replaces the network detector; nil keeps the current one. It
// is meant for tests and start-up, before sinks are called concurrently.
func SetDetector(d NetDetector) {
	if d != nil {
		detector = d
	}
}
