package nethook

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// The outbound allowlist (the policy's egress.hosts, rule egress-unlisted)
// is judged where every connection of the program passes: the dial hook
// of package net (dialCheck), with the address as the dialer was given it
// and the IP it resolved to. So are judged the program's own dials and
// HTTP requests (each redirect is a dial to its own host), and those of
// any library, whichever road led to package net. Never judged:
//
//   - the resolver's dials to its name servers, which the patched package
//     net does not hand to the hook (sinks.yaml, net.(*Resolver).dial);
//   - Unix sockets;
//   - loopback and the local system (127.0.0.0/8, ::1, an unspecified
//     address such as ":8080"), unless the list names one of them (a
//     loopback address or CIDR, localhost): a sidecar or a local agent is
//     not egress, but an operator who lists loopback entries wants the rest
//     of loopback judged too;
//   - a configured proxy's own address (HTTP_PROXY and the like): a dial to
//     it for an HTTP call a hook made is judged by the call's destination
//     (the URL's host and port, or its latest redirect's), by name; a dial
//     to it that no hook started is not judged, its destination unknown.
//
// The runtime itself makes no connection. A host is judged by its name
// when the dialer was given one (api.example.com matches the entry
// api.example.com or *.example.com), and by the address it resolved to
// (a CIDR entry); a host given as an address only by address. The port is
// the one connected to.

// egressCheck judges a dial against the egress list of policy p (not nil).
// m is the dial's mark, nil for a dial no hook started.
func egressCheck(ctx context.Context, p *policy.Compiled, m *dialMark, address string, resolved net.Addr) error {
	ip, ok := addrOf(resolved)
	if !ok {
		return nil // a Unix socket
	}
	port := portOf(resolved)
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address // an IP network's address has no port
	}
	if isProxy(address) {
		if m == nil {
			return nil
		}
		host, port = m.destination()
		if host == "" {
			return nil
		}
		ip, _ = netip.ParseAddr(host) // by name, unless the URL held an address
	}
	if (ip.IsLoopback() || ip.IsUnspecified()) && !loopbackListed(p) {
		return nil
	}
	el := p.Egress()
	if el.Allowed(host, ip, port) {
		return nil
	}
	site := entryDialSite
	if m != nil {
		site = m.site
	}
	return judge.JudgeValue(site, reqctx.CurrentRequest(ctx), func() (Finding, bool) {
		entry := egressEntry(host, port)
		detail := "connecting to " + entry
		if ip.IsValid() && ip.String() != strings.Trim(host, "[]") {
			detail += " (" + ip.String() + ")"
		}
		detail += ", which egress.hosts does not list; entry to allow it: " + strconv.Quote(entry)
		return Finding{Rule: policy.RuleEgressUnlisted, Detail: detail, Value: entry}, true
	})
}

// egressEntry returns the egress.hosts entry that allows host on port:
// host:port, lower case, an IPv6 address in brackets; host alone for
// port 0 (an IP network's dial).
func egressEntry(host string, port int) string {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if i := strings.IndexByte(h, '%'); i >= 0 {
		h = h[:i] // an IPv6 zone
	}
	if port == 0 {
		return h
	}
	return net.JoinHostPort(h, strconv.Itoa(port))
}

// portOf returns the port of a TCP or UDP address; 0 for another kind.
func portOf(a net.Addr) int {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.Port
	case *net.UDPAddr:
		return a.Port
	}
	return 0
}

// destination returns where the HTTP call of m sends its latest request:
// host and port ("" when the mark is not an HTTP call's).
func (m *dialMark) destination() (host string, port int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.destHost == "" {
		return "", 0
	}
	port, _ = strconv.Atoi(m.destPort)
	return m.destHost, port
}

// loopbackMemo remembers, for one policy, whether its egress list names a
// loopback destination.
type loopbackMemo struct {
	p      *policy.Compiled
	listed bool
}

var loopbackCache atomic.Pointer[loopbackMemo]

// loopbackListed reports whether p's egress list names a loopback or
// local-system destination: then loopback connections are judged like any
// other.
func loopbackListed(p *policy.Compiled) bool {
	if c := loopbackCache.Load(); c != nil && c.p == p {
		return c.listed
	}
	listed := false
	if p.Policy.Egress != nil {
		for _, e := range p.Policy.Egress.Hosts {
			if namesLoopback(e) {
				listed = true
				break
			}
		}
	}
	loopbackCache.Store(&loopbackMemo{p: p, listed: listed})
	return listed
}

var (
	loopback4 = netip.MustParsePrefix("127.0.0.0/8")
	loopback6 = netip.MustParsePrefix("::1/128")
)

// namesLoopback reports whether an egress.hosts entry names a loopback or
// unspecified address, a CIDR that holds one, or localhost.
func namesLoopback(entry string) bool {
	e := strings.TrimSpace(entry)
	if strings.Contains(e, "/") {
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return false
		}
		p = p.Masked()
		return p.Overlaps(loopback4) || p.Overlaps(loopback6) || p.Addr().Unmap().IsUnspecified() && p.Bits() == p.Addr().BitLen()
	}
	host := e
	switch {
	case strings.HasPrefix(e, "["):
		if end := strings.IndexByte(e, ']'); end > 0 {
			host = e[1:end]
		}
	case strings.Count(e, ":") == 1:
		host, _, _ = strings.Cut(e, ":")
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	return a.IsLoopback() || a.IsUnspecified()
}
