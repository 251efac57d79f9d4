package clientip

import (
	"net/netip"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/ipset"
)

// Headers is the request headers Client reads: Values returns every line
// of the header key, in the order they came, or nil. http.Header
// implements it; HeaderFunc adapts a function. Client only asks for the
// canonical keys "X-Forwarded-For", "Forwarded" and "X-Real-Ip".
type Headers interface {
	Values(key string) []string
}

// HeaderFunc adapts a function to Headers, for servers whose headers are
// not an http.Header (fasthttp, gRPC metadata). It must match the key
// without regard to case.
type HeaderFunc func(key string) []string

// Values returns f(key).
func (f HeaderFunc) Values(key string) []string { return f(key) }

// The headers Client reads, canonical so that http.Header.Values does not
// allocate.
const (
	xForwardedFor = "X-Forwarded-For"
	forwarded     = "Forwarded"
	xRealIP       = "X-Real-Ip"
)

// Client returns the address of the client of a request whose connection
// came from peer, given the request's headers h (nil for none) and the
// proxies the policy trusts: peer itself unless peer is in trusted, else
// the nearest address left of the trusted proxies in X-Forwarded-For,
// Forwarded or X-Real-IP. The package's documentation gives the rule
// whole, and says when Client allocates (almost never).
func Client(peer netip.Addr, h Headers, trusted *ipset.Set) netip.Addr {
	if h == nil || !trusted.Contains(peer) {
		return peer
	}
	if v := h.Values(xForwardedFor); present(v) {
		return walk(v, peer, trusted, xffHop)
	}
	if v := h.Values(forwarded); present(v) {
		return walk(v, peer, trusted, forwardedHop)
	}
	if a, ok := realIP(h.Values(xRealIP)); ok {
		return a
	}
	return peer
}

// PeerAddr returns the address of remoteAddr, the peer of a connection
// as net/http's Request.RemoteAddr gives it: "192.0.2.1:1234",
// "[2001:db8::1]:443", "[fe80::1%eth0]:443" (the zone is kept). An
// address without a port is taken too. An IPv4-mapped IPv6 address is
// returned in its IPv4 form. It returns the zero Addr when remoteAddr is
// neither (a Unix socket's "@" or "").
func PeerAddr(remoteAddr string) netip.Addr {
	host, ok := splitPort(remoteAddr, false)
	if !ok {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// present reports whether a header's lines hold more than spaces and
// commas: an empty X-Forwarded-For does not hide a Forwarded.
func present(lines []string) bool {
	for _, l := range lines {
		for i := 0; i < len(l); i++ {
			if c := l[i]; c != ' ' && c != '\t' && c != ',' {
				return true
			}
		}
	}
	return false
}

// realIP returns the one address of X-Real-IP's lines.
func realIP(lines []string) (netip.Addr, bool) {
	if len(lines) != 1 {
		return netip.Addr{}, false
	}
	return parseHop(trim(lines[0]), false)
}
