package nethook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
	"github.com/rasp-instrument/rasp-instrument/runtime/ssrf"
)

// The checks at the call judge the URL or address as written. Where it
// leads is known only when package net dials: after DNS resolution, and
// for each redirect an HTTP client follows. A program built with the tool
// has package net patched to call dialCheck with the address it is about
// to connect to; the hooks here put a mark in the context of the dials
// they start, telling dialCheck which call site led to it and whether that
// site's host was dynamic. Dials without a mark (code that reached net
// along a road that was not rewritten) are not judged: they carry no
// knowledge of where the host came from, and cloud SDKs dial metadata
// endpoints on purpose.

// dialMark is what a hook knows when its dial starts.
type dialMark struct {
	site          *Site
	host          string // the host the call site passed, without port
	hostDynamic   bool   // it came from a dynamic part
	hostFromInput bool   // a request input chose it

	mu        sync.Mutex
	redirects []string // hosts an HTTP client was redirected to (see redirectPolicy)
}

// redirectedTo reports whether an HTTP redirect of the call led to host.
func (m *dialMark) redirectedTo(host string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, h := range m.redirects {
		if h == host {
			return true
		}
	}
	return false
}

// redirectPolicy returns c's redirect policy (net/http's default when nil)
// recording each redirect's host in the mark, so the dial it leads to is
// judged as a host the code did not write. Dials to other hosts (the
// resolver's name servers, a proxy, a custom DialContext's fixed address)
// are not redirects.
func (m *dialMark) redirectPolicy(c *http.Client) func(*http.Request, []*http.Request) error {
	next := c.CheckRedirect
	return func(req *http.Request, via []*http.Request) error {
		m.mu.Lock()
		m.redirects = append(m.redirects, strings.TrimSuffix(strings.ToLower(req.URL.Hostname()), "."))
		m.mu.Unlock()
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

type markKey struct{}

// markedContext returns ctx carrying the mark of a call to rawURL or
// address through site. isURL tells which.
func markedContext(ctx context.Context, site *Site, arg int, raw string) context.Context {
	ctx, _ = mark(ctx, site, arg, raw)
	return ctx
}

// mark is markedContext returning the mark too.
func mark(ctx context.Context, site *Site, arg int, raw string) (context.Context, *dialMark) {
	if ctx == nil {
		ctx = context.Background()
	}
	dyn, _, input := hostOrigin(site, arg, raw, reqctx.CurrentRequest(ctx))
	m := &dialMark{site: site, host: hostOf(raw), hostDynamic: dyn || input != nil, hostFromInput: input != nil}
	return context.WithValue(ctx, markKey{}, m), m
}

// markedClient returns c (http.DefaultClient when nil) with a redirect
// policy that records redirects in m: a copy, sharing c's Transport.
func markedClient(c *http.Client, m *dialMark) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cc := *c
	cc.CheckRedirect = m.redirectPolicy(c)
	return &cc
}

// hostOf returns the host of a URL or host:port, lower case, without the
// port, brackets or trailing dot.
func hostOf(raw string) string {
	hp := raw
	if strings.Contains(raw, "//") {
		u, err := url.Parse(raw)
		if err != nil {
			return ""
		}
		hp = u.Host
	}
	h, _, err := net.SplitHostPort(hp)
	if err != nil {
		h = strings.Trim(hp, "[]")
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// dialCheck judges the address package net is about to connect to, for a
// dial that one of the hooks started. address is the one given to the
// dialer, resolved is what it resolved to.
func dialCheck(ctx context.Context, network, address string, resolved net.Addr) error {
	m, _ := ctx.Value(markKey{}).(*dialMark)
	if m == nil {
		return nil
	}
	ip, ok := addrOf(resolved)
	if !ok {
		return nil // a Unix socket
	}
	if isProxy(address) {
		return nil
	}
	host := hostOf(address)
	// A host an HTTP redirect chose: the code did not write it, whatever
	// the first URL was.
	redirected := host != m.host && m.redirectedTo(host)
	dynamic := m.hostDynamic || redirected
	return judge.JudgeValue((*callsite.Site)(m.site), reqctx.CurrentRequest(ctx), func() (Finding, bool) {
		f, ok := ssrf.CheckResolved(ip, host, dynamic, ssrfAllowlist())
		if !ok || f.Rule == ssrf.RuleInternal && !m.hostFromInput && !redirected {
			// An internal address is a finding when a request input or a
			// redirect chose the host (see templateNet.judge).
			return Finding{}, false
		}
		detail := "connecting to " + ip.String() + ", which " + host + " resolved to"
		if redirected {
			detail = "a redirect led to " + host + " (" + ip.String() + ")"
		}
		return Finding{Rule: f.Rule, Detail: detail, Value: address}, true
	})
}

// addrOf returns the IP address a dial connects to; ok is false for an
// address that has none (a Unix socket). A TCP or UDP address without an
// IP (":8080") reaches the local system, as 0.0.0.0 does.
func addrOf(a net.Addr) (ip netip.Addr, ok bool) {
	var raw net.IP
	switch a := a.(type) {
	case *net.TCPAddr:
		raw = a.IP
	case *net.UDPAddr:
		raw = a.IP
	case *net.IPAddr:
		raw = a.IP
	default:
		return netip.Addr{}, false
	}
	if len(raw) == 0 {
		return netip.IPv4Unspecified(), true
	}
	ip, ok = netip.AddrFromSlice(raw)
	return ip.Unmap(), ok
}

// proxyAddrs are the addresses (host:port, lower case) of the proxies the
// environment configures: an HTTP client dials them for every request, and
// they are the operator's choice, not a redirect's. Only the exact address
// is skipped: another port on the proxy's host is judged like any address.
var proxyAddrs = sync.OnceValue(func() map[string]bool {
	addrs := map[string]bool{}
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"} {
		if a := proxyAddr(os.Getenv(k)); a != "" {
			addrs[a] = true
		}
	}
	return addrs
})

// proxyAddr returns the host:port a proxy setting dials, with the port its
// scheme implies when it names none, as net/http does.
func proxyAddr(v string) string {
	if v == "" {
		return ""
	}
	if !strings.Contains(v, "://") {
		v = "http://" + v
	}
	u, err := url.Parse(v)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "socks5", "socks5h":
			port = "1080"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.ToLower(u.Hostname()), "."), port)
}

// isProxy reports whether address is the address of a configured proxy.
func isProxy(address string) bool {
	p := proxyAddrs()
	if len(p) == 0 {
		return false
	}
	h, port, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	return p[net.JoinHostPort(strings.TrimSuffix(strings.ToLower(h), "."), port)]
}

// allowCache holds the SSRF allowlist compiled from the policy in force.
var allowCache atomic.Pointer[struct {
	from  *policy.Compiled
	allow *ssrf.Allowlist
}]

// ssrfAllowlist returns the policy's SSRF allowlist, compiled once per
// policy; nil allows nothing.
func ssrfAllowlist() *ssrf.Allowlist {
	p := judge.CurrentPolicy()
	if c := allowCache.Load(); c != nil && c.from == p {
		return c.allow
	}
	var a *ssrf.Allowlist
	if len(p.Allow.SSRFHosts) > 0 {
		var err error
		if a, err = ssrf.NewAllowlist(p.Allow.SSRFHosts); err != nil {
			a = nil
			logOnce.Do(func() { events.Logf("policy %s: allow.ssrf_hosts: %v; the SSRF allowlist is empty", p.Source, err) })
		}
	}
	allowCache.Store(&struct {
		from  *policy.Compiled
		allow *ssrf.Allowlist
	}{p, a})
	return a
}

var logOnce sync.Once
