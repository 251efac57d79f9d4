package clientip

import (
	"net/netip"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/ipset"
)

// A hopFunc reads the element of a list header that ends at end in line,
// walking backwards. It returns where the element starts (the index of the
// comma before it, or -1), the address of the element, and how to go on.
type hopFunc func(line string, end int) (start int, a netip.Addr, s step)

// step is what a hopFunc found.
type step int

const (
	hop   step = iota // a is the address of a hop
	empty             // an empty element: skip it
	stop              // an element the walk cannot use: stop
)

// walk walks the elements of lines from the last one of the last line to
// the first one of the first, as the package's documentation says, and
// returns the client. last is the trusted hop to the right of the
// elements: the peer.
func walk(lines []string, last netip.Addr, trusted *ipset.Set, next hopFunc) netip.Addr {
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		for end := len(line); end >= 0; {
			start, a, s := next(line, end)
			switch s {
			case stop:
				return last
			case hop:
				if !trusted.Contains(a) {
					return a
				}
				last = a
			}
			end = start
		}
	}
	return last
}

// xffHop is the hopFunc of X-Forwarded-For: elements are addresses,
// separated by commas.
func xffHop(line string, end int) (int, netip.Addr, step) {
	start := end - 1
	for start >= 0 && line[start] != ',' {
		start--
	}
	elem := trim(line[start+1 : end])
	if elem == "" {
		return start, netip.Addr{}, empty
	}
	a, ok := parseHop(elem, false)
	if !ok {
		return start, netip.Addr{}, stop
	}
	return start, a, hop
}

// parseHop parses an address with an optional port ("192.0.2.1",
// "192.0.2.1:80", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:443");
// obfuscated allows an obfuscated port ("_p1"). It refuses a zone, and
// returns IPv4-mapped addresses in their IPv4 form.
func parseHop(s string, obfuscated bool) (netip.Addr, bool) {
	host, ok := splitPort(s, obfuscated)
	if !ok {
		return netip.Addr{}, false
	}
	if !addrChars(host) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// splitPort returns the address of s without its brackets and port, and
// false if s has a bracket or a port it cannot read. An address with two
// colons or more and no brackets is IPv6 without a port.
func splitPort(s string, obfuscated bool) (string, bool) {
	if s == "" {
		return "", false
	}
	if s[0] == '[' {
		for i := 1; i < len(s); i++ {
			if s[i] == ']' {
				rest := s[i+1:]
				if rest == "" {
					return s[1:i], true
				}
				return s[1:i], rest[0] == ':' && validPort(rest[1:], obfuscated)
			}
		}
		return "", false
	}
	colon, colons := -1, 0
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			colon, colons = i, colons+1
		}
	}
	if colons != 1 {
		return s, true
	}
	return s[:colon], validPort(s[colon+1:], obfuscated)
}

// validPort reports whether p is a port: a decimal number up to 65535,
// or, if obfuscated is set, an RFC 7239 obfuscated port ("_" and letters,
// digits, ".", "_" or "-").
func validPort(p string, obfuscated bool) bool {
	if obfuscated && len(p) > 1 && p[0] == '_' {
		for i := 1; i < len(p); i++ {
			if !isObfChar(p[i]) {
				return false
			}
		}
		return true
	}
	if len(p) == 0 || len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n <= 65535
}

// addrChars reports whether s is made of the bytes of an address without
// a zone: hexadecimal digits, dots and colons. It spares the error
// netip.ParseAddr would allocate for a host name or garbage.
func addrChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// isObfChar reports whether c may follow the "_" of an obfuscated node or
// port (RFC 7239, section 6.3).
func isObfChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// trim returns s without the spaces and tabs around it.
func trim(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
