// Package ssrf detects server-side request forgery at net.Dial* and HTTP
// client call sites.
//
// It parses URLs and host:port strings the way Go's net/url and net
// packages do, recognises the numeric IPv4 forms that C resolvers accept
// (127.1, 2130706433, 0177.0.0.1, 0x7f.1), IDNA full-width forms, trailing
// dots and IPv4-mapped, -compatible, NAT64 and 6to4 IPv6 forms, and
// classifies addresses (loopback, private, link-local, cloud metadata, ...).
// The dial hook should call CheckResolved on the address actually
// connected to, after DNS resolution, so that DNS rebinding fails.
//
// The package imports the standard library only and does not allocate on
// the clean path.
package ssrf

import (
	"errors"
	"net/netip"
	"strings"
)

// Class is the kind of network an address belongs to.
type Class uint8

// Address classes returned by ClassifyAddr.
const (
	Public      Class = iota // globally routable
	Loopback                 // 127.0.0.0/8, ::1, localhost
	Private                  // RFC 1918, CGNAT 100.64.0.0/10, fc00::/7, fec0::/10
	LinkLocal                // 169.254.0.0/16, fe80::/10
	Metadata                 // cloud metadata endpoints
	Unspecified              // 0.0.0.0/8, ::
	Multicast                // 224.0.0.0/4, ff00::/8
	Reserved                 // 240.0.0.0/4 incl. broadcast
	Invalid                  // the zero netip.Addr
)

var classNames = [...]string{"public", "loopback", "private", "link-local", "metadata", "unspecified", "multicast", "reserved", "invalid"}

// String returns the class name.
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "unknown"
}

// Internal reports whether the class is anything but Public.
func (c Class) Internal() bool { return c != Public }

// Finding names the rule that fired.
type Finding struct{ Rule string }

// Rule names reported in Finding.Rule.
const (
	// RuleInternal: a dynamic host reaches a loopback, private,
	// link-local, unspecified, multicast or reserved address.
	RuleInternal = "ssrf-internal"
	// RuleMetadata: a cloud metadata endpoint reached through a host that
	// was not written in the code.
	RuleMetadata = "ssrf-metadata"
	// RuleScheme: a dynamic URL with a scheme such as file, gopher or dict.
	RuleScheme = "ssrf-scheme"
)

// Rules returns the names of the rules this package reports.
func Rules() []string { return []string{RuleInternal, RuleMetadata, RuleScheme} }

var (
	md4a = netip.AddrFrom4([4]byte{169, 254, 169, 254})                           // AWS, GCP, Azure, OCI, ...
	md4b = netip.AddrFrom4([4]byte{169, 254, 170, 2})                             // AWS ECS task metadata
	md4c = netip.AddrFrom4([4]byte{100, 100, 100, 200})                           // Alibaba Cloud
	md4d = netip.AddrFrom4([4]byte{168, 63, 129, 16})                             // Azure wireserver
	md6a = netip.AddrFrom16([16]byte{0xfd, 0x00, 0x0e, 0xc2, 14: 0x02, 15: 0x54}) // fd00:ec2::254
)

// ClassifyAddr classifies an IP address. IPv4-mapped (::ffff:a.b.c.d),
// IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16)
// addresses are judged by the IPv4 address they embed when that one is
// not public. A zone is ignored.
func ClassifyAddr(a netip.Addr) Class {
	if !a.IsValid() {
		return Invalid
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return classify4(a.As4())
	}
	if a == md6a {
		return Metadata
	}
	b := a.As16()
	if a.IsUnspecified() {
		return Unspecified
	}
	if a.IsLoopback() {
		return Loopback
	}
	var v4 [4]byte
	embedded := false
	switch {
	case allZero(b[:12]): // IPv4-compatible
		copy(v4[:], b[12:])
		embedded = true
	case b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && allZero(b[4:12]): // NAT64
		copy(v4[:], b[12:])
		embedded = true
	case b[0] == 0x20 && b[1] == 0x02: // 6to4
		copy(v4[:], b[2:6])
		embedded = true
	}
	if embedded {
		if c := classify4(v4); c != Public {
			return c
		}
	}
	switch {
	case b[0]&0xfe == 0xfc:
		return Private
	case b[0] == 0xfe && b[1]&0xc0 == 0x80:
		return LinkLocal
	case b[0] == 0xfe && b[1]&0xc0 == 0xc0:
		return Private // deprecated site-local
	case b[0] == 0xff:
		return Multicast
	}
	return Public
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func classify4(b [4]byte) Class {
	a := netip.AddrFrom4(b)
	if a == md4a || a == md4b || a == md4c || a == md4d {
		return Metadata
	}
	switch {
	case b[0] == 127:
		return Loopback
	case b[0] == 0:
		return Unspecified
	case b[0] == 10, b[0] == 172 && b[1]&0xf0 == 16, b[0] == 192 && b[1] == 168,
		b[0] == 100 && b[1]&0xc0 == 64:
		return Private
	case b[0] == 169 && b[1] == 254:
		return LinkLocal
	case b[0]&0xf0 == 224:
		return Multicast
	case b[0]&0xf0 == 240:
		return Reserved
	}
	return Public
}

// ClassifyHost classifies a host name without resolving it: localhost
// names are Loopback, metadata names (metadata.google.internal, ...) are
// Metadata, literal and numeric addresses are classified, other names are
// Public (judge them again on the resolved address).
func ClassifyHost(host string) Class {
	h := trimDot(host)
	if a, ok := parseNumericHost(h); ok {
		return ClassifyAddr(a)
	}
	return classifyName(h)
}

func classifyName(h string) Class {
	h = trimDot(h)
	if len(h) < 8 || len(h) > 26 {
		// All names below are 8 to 26 bytes long, except *.localhost.
		if len(h) > 10 && hasSuffixFold(h, ".localhost") {
			return Loopback
		}
		return Public
	}
	switch {
	case strings.EqualFold(h, "localhost"), hasSuffixFold(h, ".localhost"),
		strings.EqualFold(h, "localhost.localdomain"), strings.EqualFold(h, "ip6-localhost"),
		strings.EqualFold(h, "ip6-loopback"):
		return Loopback
	case strings.EqualFold(h, "metadata.google.internal"), strings.EqualFold(h, "metadata"),
		strings.EqualFold(h, "metadata.goog"), strings.EqualFold(h, "instance-data"),
		strings.EqualFold(h, "instance-data.ec2.internal"):
		return Metadata
	}
	return Public
}

func trimDot(h string) string {
	if len(h) > 1 && h[len(h)-1] == '.' {
		return h[:len(h)-1]
	}
	return h
}

func hasSuffixFold(s, suf string) bool {
	return len(s) >= len(suf) && strings.EqualFold(s[len(s)-len(suf):], suf)
}

// parseNumericHost parses a literal IP (IPv6 with optional zone, IPv4) or a
// numeric IPv4 form accepted by inet_aton: one to four parts, each decimal,
// octal (leading 0) or hexadecimal (0x), the last part filling the
// remaining bytes (127.1, 2130706433, 0177.0.0.1, 0x7f.1).
func parseNumericHost(h string) (netip.Addr, bool) {
	if h == "" {
		return netip.Addr{}, false
	}
	if strings.IndexByte(h, ':') < 0 {
		// IPv4 in every form (parseInetAton accepts dotted decimal too);
		// netip.ParseAddr would allocate an error for every host name.
		return parseInetAton(h)
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a, true
	}
	return netip.Addr{}, false
}

func parseInetAton(h string) (netip.Addr, bool) {
	var parts [4]uint64
	np := 0
	i := 0
	for {
		if np == 4 || i >= len(h) {
			return netip.Addr{}, false
		}
		base := uint64(10)
		if h[i] == '0' {
			base = 8
			if i+1 < len(h) && (h[i+1] == 'x' || h[i+1] == 'X') {
				base = 16
				i += 2
			}
		}
		var v uint64
		digits := 0
		for i < len(h) && h[i] != '.' {
			d, ok := digitVal(h[i])
			if !ok || d >= base {
				return netip.Addr{}, false
			}
			v = v*base + d
			if v > 0xffffffff {
				return netip.Addr{}, false
			}
			digits++
			i++
		}
		if digits == 0 && base != 8 {
			return netip.Addr{}, false // "0x" alone or empty part
		}
		parts[np] = v
		np++
		if i == len(h) {
			break
		}
		i++ // '.'
		if i == len(h) {
			return netip.Addr{}, false
		}
	}
	var ip uint32
	for k := 0; k < np-1; k++ {
		if parts[k] > 0xff {
			return netip.Addr{}, false
		}
		ip |= uint32(parts[k]) << (24 - 8*uint(k))
	}
	last := parts[np-1]
	if last > uint64(0xffffffff)>>(8*uint(np-1)) {
		return netip.Addr{}, false
	}
	ip |= uint32(last)
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}), true
}

func digitVal(c byte) (uint64, bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint64(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

var (
	errMissingBracket = errors.New("ssrf: missing ']' in address")
	errBadPort        = errors.New("ssrf: invalid port")
	errTooManyColons  = errors.New("ssrf: too many colons in address")
	errEmpty          = errors.New("ssrf: empty address")
)

// ParseHostPort parses "host:port", "[v6]:port", a bare host or a bare IPv6
// address the way net.SplitHostPort and the resolver would, and returns the
// host (brackets removed, IDNA full-width forms mapped to ASCII, trailing dot
// kept) and, when the host is a literal or numeric IP form, its address.
func ParseHostPort(hostport string) (host string, addr netip.Addr, isLiteral bool, err error) {
	if hostport == "" {
		return "", netip.Addr{}, false, errEmpty
	}
	h := hostport
	if h[0] == '[' {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", netip.Addr{}, false, errMissingBracket
		}
		rest := h[end+1:]
		h = h[1:end]
		if rest != "" && (rest[0] != ':' || !validPort(rest[1:])) {
			return "", netip.Addr{}, false, errBadPort
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		if strings.IndexByte(h[:i], ':') >= 0 {
			// More than one colon: only a bare IPv6 address is valid.
			if _, err := netip.ParseAddr(h); err != nil {
				return "", netip.Addr{}, false, errTooManyColons
			}
		} else {
			if !validPort(h[i+1:]) {
				return "", netip.Addr{}, false, errBadPort
			}
			h = h[:i]
		}
	}
	host = normalizeHost(h)
	addr, isLiteral = parseNumericHost(trimDot(host))
	return host, addr, isLiteral, nil
}

// validPort accepts a decimal port or a service name (net.Dial resolves
// names such as "http"); empty is accepted as Go's URL parser does.
func validPort(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// normalizeHost maps IDNA full-width forms and ideographic full stops to
// ASCII, as net/http does with idna.Lookup.ToASCII before dialing. ASCII
// hosts are returned unchanged, without allocation.
func normalizeHost(h string) string {
	ascii := true
	for i := 0; i < len(h); i++ {
		if h[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return h
	}
	var b strings.Builder
	for _, r := range h {
		switch {
		case r >= 0xff01 && r <= 0xff5e:
			r -= 0xfee0
		case r == 0x3002 || r == 0xff61 || r == 0xfe52:
			r = '.'
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
