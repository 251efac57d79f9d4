package nethook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/configured"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
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
	program       bool   // the program wrote it: a static site, a template's static host, a string constant

	// slots are the entries of the inflight table the call holds (see
	// inflight.go); guarded by inflight.mu.
	slots  [maxSlotsPerMark]int16
	nslots int

	mu        sync.Mutex
	redirects []string // hosts an HTTP client was redirected to (see redirectPolicy)
	reported  []string // redirect hosts already reported when the redirect was followed
	// destHost and destPort are where the HTTP call's latest request goes
	// (its URL, then each redirect's), set by enter: what a dial to a
	// proxy is judged by against the egress list.
	destHost, destPort string
}

// redirectedTo reports whether an HTTP redirect of the call led to host.
func (m *dialMark) redirectedTo(host string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Contains(m.redirects, host)
}

// wasReported reports whether a finding was already reported for a
// redirect to host.
func (m *dialMark) wasReported(host string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Contains(m.reported, host)
}

// redirectPolicy returns c's redirect policy (net/http's default when nil)
// recording each redirect's host in the mark, so the dial it leads to is
// judged as a host the code did not write. Dials to other hosts (the
// resolver's name servers, a proxy, a custom DialContext's fixed address)
// are not redirects.
//
// A redirect to another host that is an internal or metadata address as
// written (a literal or numeric IP, localhost, a metadata name) is judged
// here, before anything is dialed: whatever dialer the client's transport
// has (one that drops the context, a SOCKS dialer), the redirect is
// refused. A name is judged at the dial, on the address it resolves to.
func (m *dialMark) redirectPolicy(c *http.Client) func(*http.Request, []*http.Request) error {
	next := c.CheckRedirect
	return func(req *http.Request, via []*http.Request) error {
		host := strings.TrimSuffix(strings.ToLower(req.URL.Hostname()), ".")
		m.mu.Lock()
		m.redirects = append(m.redirects, host)
		m.mu.Unlock()
		m.enterRedirect(req.URL)
		if host != m.host {
			if err := m.judgeRedirect(req.Context(), host); err != nil {
				return err
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// judgeRedirect judges a redirect to host by what its text says.
func (m *dialMark) judgeRedirect(ctx context.Context, host string) error {
	c := ssrf.ClassifyHost(host)
	if c == ssrf.Public || c == ssrf.Invalid {
		return nil
	}
	return judge.JudgeValue(m.site, reqctx.CurrentRequest(ctx), func() (Finding, bool) {
		if ssrfAllowlist().Allowed(host, netip.Addr{}) {
			return Finding{}, false
		}
		rule := ssrf.RuleInternal
		if c == ssrf.Metadata {
			rule = ssrf.RuleMetadata
		}
		m.mu.Lock()
		m.reported = append(m.reported, host)
		m.mu.Unlock()
		return Finding{Rule: rule, Detail: "a redirect led to " + host + " (" + c.String() + ")", Value: host}, true
	})
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
	dyn, known, input := hostOrigin(site, arg, raw, reqctx.CurrentRequest(ctx))
	m := &dialMark{site: site, host: hostOf(raw), hostDynamic: dyn || input != nil, hostFromInput: input != nil,
		program: known && !dyn && input == nil}
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

// dialCheck judges the address package net is about to connect to. address
// is the one given to the dialer, resolved is what it resolved to. A dial
// one of the hooks started (its context carries the mark), or that is part
// of an HTTP client call in progress (see inflight.go), is judged with what
// the hook knew; any other dial only for a name that resolves to a cloud
// metadata address.
//
// With an egress list in the policy, every dial is then judged against it
// too (egress.go); without one, that costs a nil check.
func dialCheck(ctx context.Context, network, address string, resolved net.Addr) error {
	m, _ := ctx.Value(markKey{}).(*dialMark)
	if m == nil {
		m = inflightMark(address)
	}
	var err error
	if m == nil {
		err = unmarkedCheck(ctx, address, resolved)
	} else {
		err = markedCheck(ctx, m, address, resolved)
	}
	if err != nil {
		return err
	}
	if p := judge.CurrentPolicy(); p.Egress() != nil {
		return egressCheck(ctx, p, m, address, resolved)
	}
	return nil
}

// markedCheck is dialCheck's SSRF judgement of a dial with a mark.
func markedCheck(ctx context.Context, m *dialMark, address string, resolved net.Addr) error {
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
	if redirected && m.wasReported(host) {
		return nil // reported when the redirect was followed
	}
	dynamic := m.hostDynamic || redirected
	req := reqctx.CurrentRequest(ctx)
	return judge.JudgeValue(m.site, req, func() (Finding, bool) {
		allow := ssrfAllowlist()
		// Outside a request, a host the program did not write may have
		// been stored at run time (below); whatever the template said.
		stored := req == nil && !m.program && !m.hostFromInput && !redirected && host == m.host
		f, ok := ssrf.CheckResolved(ip, host, dynamic, allow)
		if !ok && stored {
			if f, ok = ssrf.CheckResolved(ip, host, true, allow); f.Rule != ssrf.RuleInternal {
				ok = false // metadata: the first judgement's
			}
		}
		if !ok {
			return Finding{}, false
		}
		detail := "connecting to " + ip.String() + ", which " + host + " resolved to"
		if redirected {
			detail = "a redirect led to " + host + " (" + ip.String() + ")"
		} else if f.Rule == ssrf.RuleInternal && !m.hostFromInput {
			// An internal address is a finding when a request input or a
			// redirect chose the host (see templateNet.judge), or, outside
			// any request, when the host was stored at run time: written
			// neither in the program nor in its configuration.
			if !stored || configured.Host(host) {
				return Finding{}, false
			}
			detail = "a destination stored at run time (in neither the program nor its configuration) leads to " +
				ip.String() + "; allow.ssrf_hosts entry to allow it: " + strconv.Quote(ssrf.AllowEntry(host))
		}
		return Finding{Rule: f.Rule, Detail: detail, Value: address}, true
	})
}

// entryDialSite names dials no hook started in events.
var entryDialSite = callsite.NewEntry("net", event.FamilyNet)

// unmarkedCheck judges a dial no hook started: a name that resolves to a
// cloud metadata address is a finding whoever dials it; an address written
// as an IP (a cloud SDK's 169.254.169.254) and the metadata names
// (metadata.google.internal) are not.
func unmarkedCheck(ctx context.Context, address string, resolved net.Addr) error {
	if !maybeMetadata(resolved) {
		return nil
	}
	ip, ok := addrOf(resolved)
	if !ok || ssrf.ClassifyAddr(ip) != ssrf.Metadata {
		return nil
	}
	host := hostOf(address)
	if _, err := netip.ParseAddr(host); err == nil || ssrf.ClassifyHost(host) == ssrf.Metadata || isProxy(address) {
		return nil
	}
	return judge.JudgeValue(entryDialSite, reqctx.CurrentRequest(ctx), func() (Finding, bool) {
		if ssrfAllowlist().Allowed(host, ip) {
			return Finding{}, false
		}
		return Finding{Rule: ssrf.RuleMetadata, Detail: "the name " + host + " resolved to the metadata address " + ip.String(), Value: address}, true
	})
}

// maybeMetadata is a quick test, for the dials no hook started: false when
// the address cannot be a cloud metadata address (169.254/16, 100/8,
// 168.63/16 and their IPv4-in-IPv6 forms, fd00::/8).
func maybeMetadata(a net.Addr) bool {
	ip, ok := rawIP(a)
	if !ok {
		return false
	}
	if len(ip) == net.IPv6len && ip[0] == 0xfd {
		return true
	}
	if len(ip) < 4 {
		return false
	}
	switch ip[len(ip)-4] {
	case 169, 100, 168:
		return true
	}
	return false
}

// rawIP returns the IP of a TCP, UDP or IP address, as the dial holds it;
// ok is false for an address of another kind (a Unix socket).
func rawIP(a net.Addr) (ip net.IP, ok bool) {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP, true
	case *net.UDPAddr:
		return a.IP, true
	case *net.IPAddr:
		return a.IP, true
	}
	return nil, false
}

// addrOf returns the IP address a dial connects to; ok is false for an
// address that has none (a Unix socket). A TCP or UDP address without an
// IP (":8080") reaches the local system, as 0.0.0.0 does.
func addrOf(a net.Addr) (ip netip.Addr, ok bool) {
	raw, ok := rawIP(a)
	if !ok {
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

// ssrfAllowlist returns the SSRF allowlist of the policy in force; nil
// allows nothing.
func ssrfAllowlist() *ssrf.Allowlist { return judge.CurrentPolicy().SSRFAllowlist() }
