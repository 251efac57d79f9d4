package ssrf

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
)

var (
	errMissingScheme = errors.New("ssrf: missing protocol scheme")
	errColonInPath   = errors.New("ssrf: first path segment in URL cannot contain colon")
)

// ParseURL parses a URL the way Go's net/url does (url.Parse, then
// u.Hostname()) and returns the host as the HTTP client will dial it (IDNA
// full-width forms mapped to ASCII), the address when the host is a literal
// or numeric IP form (127.1, 2130706433, 0177.0.0.1, 0x7f.1, [::ffff:127.0.0.1]),
// and the lower-cased scheme. A URL without an authority (mailto:x, a
// relative path) has an empty host. Tricky inputs (userinfo, percent
// escapes, brackets, backslashes, non-ASCII) are handed to net/url itself,
// so the host is always the one Go connects to.
func ParseURL(raw string) (host string, addr netip.Addr, isLiteral bool, scheme string, err error) {
	h, sch, fast, err := parseURLFast(raw)
	if !fast {
		u, perr := url.Parse(raw)
		if perr != nil {
			return "", netip.Addr{}, false, "", perr
		}
		h, sch = u.Hostname(), u.Scheme
	} else if err != nil {
		return "", netip.Addr{}, false, "", err
	}
	host = normalizeHost(h)
	if host != "" {
		addr, isLiteral = parseNumericHost(trimDot(host))
	}
	return host, addr, isLiteral, sch, nil
}

// parseURLFast handles the common URL shapes without allocating. fast is
// false when the input needs the full net/url parser.
func parseURLFast(raw string) (host, scheme string, fast bool, err error) {
	for i := 0; i < len(raw); i++ {
		if slowURLByte[raw[i]] {
			return "", "", false, nil
		}
	}
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	rest := raw
	// Scheme, as url.getScheme.
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if isAlpha(c) {
			continue
		}
		if '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.' {
			if i == 0 {
				break
			}
			continue
		}
		if c == ':' {
			if i == 0 {
				return "", "", true, errMissingScheme
			}
			scheme, rest = raw[:i], raw[i+1:]
		}
		break
	}
	if scheme != "" {
		scheme = lowerScheme(scheme)
		if scheme == "" {
			return "", "", false, nil // unusual upper-case scheme: let net/url lower it
		}
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	if !strings.HasPrefix(rest, "/") {
		if scheme != "" {
			return "", scheme, true, nil // opaque
		}
		seg := rest
		if i := strings.IndexByte(seg, '/'); i >= 0 {
			seg = seg[:i]
		}
		if strings.IndexByte(seg, ':') >= 0 {
			return "", "", true, errColonInPath
		}
		return "", "", true, nil
	}
	if !strings.HasPrefix(rest, "//") || (scheme == "" && strings.HasPrefix(rest, "///")) {
		return "", scheme, true, nil
	}
	auth := rest[2:]
	if i := strings.IndexByte(auth, '/'); i >= 0 {
		auth = auth[:i]
	}
	h := auth
	if i := strings.LastIndexByte(auth, ':'); i >= 0 {
		port := auth[i+1:]
		for k := 0; k < len(port); k++ {
			if port[k] < '0' || port[k] > '9' {
				return "", "", false, nil // let net/url report the error
			}
		}
		h = auth[:i]
	}
	for k := 0; k < len(h); k++ {
		if !hostByte[h[k]] {
			return "", "", false, nil
		}
	}
	return h, scheme, true, nil
}

// slowURLByte marks bytes that send a URL to net/url; hostByte marks the
// bytes net/url accepts unescaped in a host.
var slowURLByte, hostByte [256]bool

func init() {
	for c := 0; c < 256; c++ {
		slowURLByte[c] = c < 0x21 || c >= 0x7f || c == '%' || c == '\\' || c == '@' || c == '[' || c == ']'
		hostByte[c] = isAlpha(byte(c)) || '0' <= c && c <= '9'
	}
	for _, c := range []byte("-._~!$&'()*+,;=<>\"") {
		hostByte[c] = true
	}
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// lowerScheme returns the lower-case scheme without allocating: s itself
// when already lower case, a constant for well-known schemes, "" otherwise.
func lowerScheme(s string) string {
	lower := true
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			lower = false
			break
		}
	}
	if lower {
		return s
	}
	for _, k := range knownSchemes {
		if strings.EqualFold(s, k) {
			return k
		}
	}
	return ""
}

var knownSchemes = [...]string{"http", "https", "ws", "wss", "ftp", "file", "gopher", "dict", "ldap", "ldaps", "tftp", "jar", "netdoc", "sftp", "telnet", "smb", "redis"}

// unusualScheme reports whether a URL scheme is one used to reach non-HTTP
// services or local files through a URL fetcher.
func unusualScheme(s string) bool {
	switch s {
	case "file", "gopher", "dict", "ftp", "ldap", "ldaps", "tftp", "jar", "netdoc", "sftp", "telnet", "smb", "redis", "php", "expect":
		return true
	}
	return false
}

// Check judges a target before dialing: a URL (with "//" after its scheme,
// or starting with "//") or a host:port. hostDynamic tells whether the host
// came from a dynamic part; allow (may be nil) lists hosts and CIDRs that
// are never findings. Rules: ssrf-scheme for a dynamic URL with an unusual
// scheme (file, gopher, dict, ...); ssrf-metadata and ssrf-internal for a
// dynamic host that is, or names, a metadata endpoint or an internal
// address. Host names are judged by name only here (localhost, metadata
// names); call CheckResolved on the resolved address. Unparsable targets
// are not findings (Go would not connect).
func Check(rawURLorHostPort string, hostDynamic bool, allow *Allowlist) (Finding, bool) {
	raw := rawURLorHostPort
	var (
		host      string
		addr      netip.Addr
		isLiteral bool
		scheme    string
		err       error
	)
	isURL := strings.Contains(raw, "://") || strings.HasPrefix(raw, "//")
	if isURL {
		host, addr, isLiteral, scheme, err = ParseURL(raw)
	} else {
		host, addr, isLiteral, err = ParseHostPort(raw)
	}
	if err != nil || !hostDynamic {
		return Finding{}, false
	}
	if unusualScheme(scheme) {
		return Finding{Rule: RuleScheme}, true
	}
	if host == "" {
		if isURL {
			return Finding{}, false // no host: the client refuses it
		}
		// ":8080" dials the local system, as "0.0.0.0:8080" does.
		addr, isLiteral = netip.IPv4Unspecified(), true
	}
	if allow.Allowed(host, addr) {
		return Finding{}, false
	}
	c := Public
	if isLiteral {
		c = ClassifyAddr(addr)
	} else {
		c = classifyName(host)
	}
	return judge(c)
}

func judge(c Class) (Finding, bool) {
	switch c {
	case Public:
		return Finding{}, false
	case Metadata:
		return Finding{Rule: RuleMetadata}, true
	}
	return Finding{Rule: RuleInternal}, true
}

// CheckResolved judges the IP actually dialed, after DNS resolution. host
// is the name that was resolved (or the literal) and hostDynamic tells
// whether it came from a dynamic part. A metadata address is a finding
// whenever the host was not written in the code as that metadata endpoint:
// also for a static name that resolves to it (DNS rebinding, stored
// values). Other internal addresses are findings only for dynamic hosts.
// Hosts and addresses in allow are never findings.
func CheckResolved(a netip.Addr, host string, hostDynamic bool, allow *Allowlist) (Finding, bool) {
	if allow.Allowed(host, a) {
		return Finding{}, false
	}
	c := ClassifyAddr(a)
	if c == Public {
		return Finding{}, false
	}
	if hostDynamic {
		return judge(c)
	}
	if c == Metadata && ClassifyHost(host) != Metadata {
		return Finding{Rule: RuleMetadata}, true
	}
	return Finding{}, false
}

// Allowlist lists hosts and networks a policy allows. Entries are CIDRs
// ("10.1.0.0/16", "fd00::/8"), addresses ("10.1.2.3"), host names matched
// case-insensitively without a trailing dot ("api.internal"), or
// "*.example.com", which matches every subdomain of example.com (not
// example.com itself). A nil *Allowlist allows nothing.
type Allowlist struct {
	prefixes []netip.Prefix
	hosts    []string
	suffixes []string // ".example.com"
}

// AllowEntry returns the allowlist entry that allows host (a name or an
// address, bracketed or not): what an event tells an operator to add.
func AllowEntry(host string) string { return strings.Trim(host, "[]") }

// NewAllowlist builds an allowlist from hosts and CIDRs.
func NewAllowlist(hostsOrCIDRs []string) (*Allowlist, error) {
	a := &Allowlist{}
	for _, e := range hostsOrCIDRs {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
			return nil, errors.New("ssrf: empty allowlist entry")
		case strings.IndexByte(e, '/') >= 0:
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, err
			}
			a.prefixes = append(a.prefixes, netip.PrefixFrom(p.Addr().Unmap(), unmapBits(p)).Masked())
		case strings.HasPrefix(e, "*."):
			a.suffixes = append(a.suffixes, strings.ToLower(trimDot(e[1:])))
		default:
			if ad, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
				ad = ad.WithZone("").Unmap()
				a.prefixes = append(a.prefixes, netip.PrefixFrom(ad, ad.BitLen()))
				continue
			}
			a.hosts = append(a.hosts, strings.ToLower(trimDot(e)))
		}
	}
	return a, nil
}

func unmapBits(p netip.Prefix) int {
	if p.Addr().Is4In6() {
		b := p.Bits() - 96
		if b < 0 {
			b = 0
		}
		return b
	}
	return p.Bits()
}

// Allowed reports whether host (a name or literal) or addr (if valid) is
// allowed.
func (a *Allowlist) Allowed(host string, addr netip.Addr) bool {
	if a == nil {
		return false
	}
	h := trimDot(host)
	for _, x := range a.hosts {
		if strings.EqualFold(h, x) {
			return true
		}
	}
	for _, s := range a.suffixes {
		if len(h) > len(s) && hasSuffixFold(h, s) {
			return true
		}
	}
	if len(a.prefixes) == 0 {
		return false
	}
	if !addr.IsValid() {
		if ad, ok := parseNumericHost(h); ok {
			addr = ad
		} else {
			return false
		}
	}
	addr = addr.WithZone("").Unmap()
	for _, p := range a.prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
