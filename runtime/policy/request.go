package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"net/textproto"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/bots"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/ipset"
	"github.com/rasp-instrument/rasp-instrument/runtime/ssrf"
)

// The rules of the request gate: judged by the middleware, before the
// handler runs, from who sends the request rather than from what reaches a
// sink. Their family is "request".
const (
	RuleIPBlocked    = "ip-blocked"     // the client IP is in block_ips (global or the route's)
	RuleIPNotAllowed = "ip-not-allowed" // allow_ips is set (global or the route's) and the client IP is not in it
	RuleBot          = "bot"            // the user agent is in a bot category whose mode is not off
	RuleRateLimit    = "rate-limit"     // a route's rate limit is exceeded (429)
	RuleUserBlocked  = "user-blocked"   // the user is in users.block
	RuleAttackWave   = "attack-wave"    // many findings or scanner probes from one client IP
)

// RuleEgressUnlisted is the rule of the outbound allowlist (egress): a
// connection or HTTP request to a host or port the list does not name.
// Its family is net.
const RuleEgressUnlisted = "egress-unlisted"

var requestRules = []string{RuleIPBlocked, RuleIPNotAllowed, RuleBot, RuleRateLimit, RuleUserBlocked, RuleAttackWave}

// Route configures the requests of one route: who may reach it and how
// often.
type Route struct {
	// Method limits the entry to one method; empty: every method.
	Method string `json:"method,omitempty"`
	// Path is a route pattern: literal segments, "{name}" for one
	// segment, "{name...}" or a trailing "*" for the rest of the path
	// ("/items/{id}", "/files/{path...}", "/admin/*"). Gin's ":name" and
	// "*name" are read the same way.
	Path string `json:"path"`
	// AllowIPs, when not empty, are the only clients the route serves
	// (rule ip-not-allowed); BlockIPs are clients it never serves (rule
	// ip-blocked). Entries as in Policy.BlockIPs.
	AllowIPs []string `json:"allow_ips,omitempty"`
	BlockIPs []string `json:"block_ips,omitempty"`
	// RateLimit limits the route's requests per client IP or per user.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
}

// RateLimit is max_requests per window, per key (rule rate-limit).
type RateLimit struct {
	// By is "ip" (the default) or "user" (requests without a user are
	// counted by IP).
	By string `json:"by,omitempty"`
	// MaxRequests is the number of requests a key may make in Window.
	MaxRequests int `json:"max_requests"`
	// Window is a Go duration: "1s", "1m", "1h".
	Window string `json:"window"`
}

// Users says how the runtime names the user of a request, and which users
// it refuses.
type Users struct {
	// Headers set by an authenticating proxy that name the user, believed
	// only from a trusted proxy. Default: X-Forwarded-User,
	// X-Auth-Request-User.
	Headers []string `json:"headers,omitempty"`
	// JWT, true by default, names the user by the sub claim of a bearer
	// token. The token is decoded, not verified: the user it names is
	// for events, rate limits and block lists, never for access.
	JWT *bool `json:"jwt,omitempty"`
	// Block lists users refused (rule user-blocked).
	Block []string `json:"block,omitempty"`
}

// AttackWave configures the detection of many findings or scanner probes
// (/.env, /.git/config, ...) from one client IP (rule attack-wave).
type AttackWave struct {
	// Threshold is the number of findings and probes within Window that
	// starts a wave; default 20.
	Threshold int `json:"threshold,omitempty"`
	// Window is a Go duration; default "1m".
	Window string `json:"window,omitempty"`
	// BlockFor, when set (a Go duration), is the consent to refuse every
	// request of the IP for that long once a wave starts, in block mode.
	BlockFor string `json:"block_for,omitempty"`
}

// Egress lists where the program may connect (rule egress-unlisted).
type Egress struct {
	// Hosts are names ("api.example.com"), "*.example.com" patterns,
	// addresses and CIDRs, each optionally with a port
	// ("api.example.com:443", "[2001:db8::1]:443", "10.0.0.0/8" takes no
	// port). Anything else the program connects to is a finding.
	Hosts []string `json:"hosts"`
}

// Gate is the compiled request configuration of a policy: what the
// middleware checks before the handler runs. Its methods are safe for
// concurrent use; the zero Gate checks nothing.
type Gate struct {
	Trusted   *ipset.Set // trusted_proxies
	Block     *ipset.Set // block_ips
	Allow     *ipset.Set // allow_ips; nil: every client
	Bypass    *ipset.Set // bypass_ips
	Routes    []GateRoute
	Bots      *bots.Matcher
	BotModes  map[string]Mode // category -> mode; a category not listed is off
	UserHdrs  []string        // users.headers, canonical
	UserJWT   bool            // users.jwt
	BlockUser map[string]bool // users.block
	Wave      *WaveConfig     // nil: no attack-wave detection
	Files     []string        // the list files the policy read, to watch
}

// GateRoute is a compiled Route.
type GateRoute struct {
	Method   string
	Pattern  string
	segs     []routeSeg
	rest     bool // the pattern ends with a rest-of-path parameter
	Allow    *ipset.Set
	Block    *ipset.Set
	Limit    *RateLimit
	LimitKey string        // identifies the limit across reloads: method, pattern, by, max, window
	Window   time.Duration // RateLimit.Window parsed
}

// WaveConfig is AttackWave compiled.
type WaveConfig struct {
	Threshold int
	Window    time.Duration
	BlockFor  time.Duration
}

// Active reports whether the gate checks anything at all: the middleware
// skips it otherwise.
func (g *Gate) Active() bool {
	return g != nil && (g.Block != nil || g.Allow != nil || len(g.Routes) > 0 || len(g.BotModes) > 0 ||
		len(g.BlockUser) > 0 || g.Wave != nil)
}

// Route returns the first route entry that matches method and path, or
// nil.
func (g *Gate) Route(method, path string) *GateRoute {
	for i := range g.Routes {
		if g.Routes[i].Matches(method, path) {
			return &g.Routes[i]
		}
	}
	return nil
}

// Matches reports whether a request with method and path is the route's.
// A rest-of-path parameter matches the rest of the path, even empty.
func (r *GateRoute) Matches(method, path string) bool {
	if r.Method != "" && !strings.EqualFold(r.Method, method) {
		return false
	}
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return false
	}
	done := false
	for i, s := range r.segs {
		if s.param && r.rest && i == len(r.segs)-1 {
			return true
		}
		if done {
			return false
		}
		var seg string
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			seg, rest = rest[:j], rest[j+1:]
		} else {
			seg, rest, done = rest, "", true
		}
		if s.param && seg == "" || !s.param && s.lit != seg {
			return false
		}
	}
	return done
}

// routeSeg is a segment of a route pattern: a literal, or a parameter.
type routeSeg struct {
	lit   string
	param bool
}

// compileRoutePattern splits a route pattern into its segments; rest
// reports a rest-of-path parameter at the end.
func compileRoutePattern(pattern string) (segs []routeSeg, rest bool, err error) {
	if !strings.HasPrefix(pattern, "/") {
		return nil, false, fmt.Errorf("%q does not start with /", pattern)
	}
	parts := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	for i, s := range parts {
		last := i == len(parts)-1
		switch {
		case s == "*" || strings.HasPrefix(s, "*") || strings.HasPrefix(s, "{") && strings.HasSuffix(s, "...}"):
			if !last {
				return nil, false, fmt.Errorf("%q: a rest-of-path parameter (%s) must be the last segment", pattern, s)
			}
			segs, rest = append(segs, routeSeg{param: true}), true
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"), strings.HasPrefix(s, ":") && len(s) > 1:
			segs = append(segs, routeSeg{param: true})
		case strings.ContainsAny(s, "{}*"):
			return nil, false, fmt.Errorf("%q: segment %q: want a literal, {name}, {name...} or a trailing *", pattern, s)
		default:
			segs = append(segs, routeSeg{lit: s})
		}
	}
	return segs, rest, nil
}

// requestProblems lists what is wrong in the request configuration of p.
func (p Policy) requestProblems(add func(field, format string, args ...any)) {
	ips := func(field string, list []string) {
		for i, e := range list {
			f := fmt.Sprintf("%s[%d]", field, i)
			e = strings.TrimSpace(e)
			switch {
			case e == "":
				add(f, "empty entry: remove it")
			case strings.HasPrefix(e, "file:"):
				if strings.TrimSpace(e[len("file:"):]) == "" {
					add(f, `"file:" names no file: want file:/path/to/list.txt, one address or CIDR a line`)
				}
			default:
				if _, err := ipset.Parse([]string{e}); err != nil {
					add(f, "%q is not an address or a CIDR: want 192.0.2.1, 2001:db8::1 or 10.0.0.0/8, or file:PATH", e)
				}
			}
		}
	}
	ips("trusted_proxies", p.TrustedProxies)
	ips("block_ips", p.BlockIPs)
	ips("allow_ips", p.AllowIPs)
	ips("bypass_ips", p.BypassIPs)
	for i, r := range p.Routes {
		field := fmt.Sprintf("routes[%d]", i)
		if _, _, err := compileRoutePattern(r.Path); err != nil {
			add(field+".path", "%v", err)
		}
		ips(field+".allow_ips", r.AllowIPs)
		ips(field+".block_ips", r.BlockIPs)
		if rl := r.RateLimit; rl != nil {
			if rl.By != "" && rl.By != "ip" && rl.By != "user" {
				add(field+".rate_limit.by", "unknown key %q: want ip or user", rl.By)
			}
			if rl.MaxRequests < 1 {
				add(field+".rate_limit.max_requests", "%d: want a number of requests, 1 or more", rl.MaxRequests)
			}
			if d, err := time.ParseDuration(rl.Window); err != nil || d <= 0 {
				add(field+".rate_limit.window", "%q is not a positive duration: want 1s, 1m or 1h", rl.Window)
			}
		}
	}
	cats := bots.Builtin()
	for c, pats := range p.BotPatterns {
		field := "bot_patterns." + c
		if len(pats) == 0 {
			add(field, "no patterns: give user-agent substrings, or remove the category")
		}
		cats[c] = pats
	}
	if _, err := bots.New(p.BotPatterns); err != nil && len(p.BotPatterns) > 0 {
		add("bot_patterns", "%v", err)
	}
	for c, m := range p.Bots {
		if _, ok := cats[c]; !ok {
			add("bots."+c, "unknown category %q (known: %s); add it under bot_patterns", c, strings.Join(sortedKeys(cats), ", "))
		}
		if _, err := ParseMode(m); err != nil || strings.TrimSpace(m) == "" {
			add("bots."+c, "unknown mode %q: want off, detect or block", m)
		}
	}
	users := p.Users
	if users == nil {
		users = &Users{}
	}
	for i, h := range users.Headers {
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, " :\t") {
			add(fmt.Sprintf("users.headers[%d]", i), "%q is not a header name", h)
		}
	}
	for i, u := range users.Block {
		if u == "" {
			add(fmt.Sprintf("users.block[%d]", i), "empty entry: remove it")
		}
	}
	if w := p.AttackWave; w != nil {
		if w.Threshold < 0 {
			add("attack_wave.threshold", "%d: want a number of findings and probes, 1 or more (default 20)", w.Threshold)
		}
		for _, f := range []struct{ name, v string }{{"window", w.Window}, {"block_for", w.BlockFor}} {
			if f.v == "" {
				continue
			}
			if d, err := time.ParseDuration(f.v); err != nil || d <= 0 {
				add("attack_wave."+f.name, "%q is not a positive duration: want 1m, 10m or 1h", f.v)
			}
		}
	}
	if e := p.Egress; e != nil {
		for i, h := range e.Hosts {
			if _, _, err := splitEgressEntry(h); err != nil {
				add(fmt.Sprintf("egress.hosts[%d]", i), "%v", err)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// compileGate compiles the request configuration of a checked policy;
// source names the policy file, whose directory relative list files are
// read from.
func compileGate(p Policy, source string) (*Gate, error) {
	g := &Gate{}
	dir := "."
	if source != "" {
		dir = filepath.Dir(source)
	}
	set := func(field string, list []string) (*ipset.Set, error) {
		if len(list) == 0 {
			return nil, nil
		}
		var inline []string
		var sets []*ipset.Set
		for i, e := range list {
			e = strings.TrimSpace(e)
			if name, ok := strings.CutPrefix(e, "file:"); ok {
				name = strings.TrimSpace(name)
				if !filepath.IsAbs(name) {
					name = filepath.Join(dir, name)
				}
				s, err := ipset.ParseFile(name)
				if err != nil {
					return nil, fmt.Errorf("%s[%d]: %v", field, i, err)
				}
				g.Files = append(g.Files, name)
				sets = append(sets, s)
				continue
			}
			inline = append(inline, e)
		}
		s, err := ipset.Parse(inline)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", field, err)
		}
		return ipset.Union(append(sets, s)...), nil
	}
	var err error
	if g.Trusted, err = set("trusted_proxies", p.TrustedProxies); err != nil {
		return nil, err
	}
	if g.Block, err = set("block_ips", p.BlockIPs); err != nil {
		return nil, err
	}
	if g.Allow, err = set("allow_ips", p.AllowIPs); err != nil {
		return nil, err
	}
	if g.Bypass, err = set("bypass_ips", p.BypassIPs); err != nil {
		return nil, err
	}
	for i, r := range p.Routes {
		field := fmt.Sprintf("routes[%d]", i)
		gr := GateRoute{Method: strings.ToUpper(r.Method), Pattern: r.Path, Limit: r.RateLimit}
		if gr.segs, gr.rest, err = compileRoutePattern(r.Path); err != nil {
			return nil, fmt.Errorf("%s.path: %v", field, err)
		}
		if gr.Allow, err = set(field+".allow_ips", r.AllowIPs); err != nil {
			return nil, err
		}
		if gr.Block, err = set(field+".block_ips", r.BlockIPs); err != nil {
			return nil, err
		}
		if rl := r.RateLimit; rl != nil {
			gr.Window, _ = time.ParseDuration(rl.Window)
			by := rl.By
			if by == "" {
				by = "ip"
			}
			gr.LimitKey = gr.Method + " " + r.Path + " by " + by + " " + strconv.Itoa(rl.MaxRequests) + "/" + gr.Window.String()
		}
		g.Routes = append(g.Routes, gr)
	}
	if len(p.Bots) > 0 {
		cats := bots.Builtin()
		for c, pats := range p.BotPatterns {
			cats[c] = pats
		}
		if g.Bots, err = bots.New(cats); err != nil {
			return nil, fmt.Errorf("bot_patterns: %v", err)
		}
		g.BotModes = map[string]Mode{}
		for c, m := range p.Bots {
			g.BotModes[c], _ = ParseMode(m)
		}
	}
	users := p.Users
	if users == nil {
		users = &Users{}
	}
	g.UserHdrs = []string{"X-Forwarded-User", "X-Auth-Request-User"}
	if len(users.Headers) > 0 {
		g.UserHdrs = g.UserHdrs[:0]
		for _, h := range users.Headers {
			g.UserHdrs = append(g.UserHdrs, textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(h)))
		}
	}
	g.UserJWT = users.JWT == nil || *users.JWT
	if len(users.Block) > 0 {
		g.BlockUser = map[string]bool{}
		for _, u := range users.Block {
			g.BlockUser[u] = true
		}
	}
	if w := p.AttackWave; w != nil {
		g.Wave = &WaveConfig{Threshold: w.Threshold, Window: time.Minute}
		if g.Wave.Threshold == 0 {
			g.Wave.Threshold = 20
		}
		if w.Window != "" {
			g.Wave.Window, _ = time.ParseDuration(w.Window)
		}
		if w.BlockFor != "" {
			g.Wave.BlockFor, _ = time.ParseDuration(w.BlockFor)
		}
	}
	return g, nil
}

// EgressList is the compiled egress allowlist.
type EgressList struct {
	any    *ssrf.Allowlist         // entries without a port
	byPort map[int]*ssrf.Allowlist // entries with one
}

// Allowed reports whether the program may connect to host (a name or an
// address; addr, when valid, is its address) on port.
func (e *EgressList) Allowed(host string, addr netip.Addr, port int) bool {
	if e == nil {
		return true
	}
	return e.any.Allowed(host, addr) || e.byPort[port].Allowed(host, addr)
}

// splitEgressEntry reads an egress entry: a host pattern and an optional
// port (0: any).
func splitEgressEntry(entry string) (host string, port int, err error) {
	e := strings.TrimSpace(entry)
	bad := func(why string) (string, int, error) {
		return "", 0, fmt.Errorf("%q %s: want api.example.com, *.example.com, an address or a CIDR, with an optional :port", entry, why)
	}
	switch {
	case e == "":
		return bad("is empty")
	case strings.Contains(e, "/"):
		if _, err := netip.ParsePrefix(e); err != nil {
			return bad("is not a CIDR")
		}
		return e, 0, nil
	case strings.HasPrefix(e, "["):
		end := strings.IndexByte(e, ']')
		if end < 0 {
			return bad("has an unclosed [")
		}
		host, rest := e[1:end], e[end+1:]
		if _, err := netip.ParseAddr(host); err != nil {
			return bad("is not an IPv6 address in brackets")
		}
		if rest == "" {
			return host, 0, nil
		}
		if !strings.HasPrefix(rest, ":") {
			return bad("has text after the ]")
		}
		port, err = parsePort(rest[1:])
		if err != nil {
			return bad("has a bad port")
		}
		return host, port, nil
	case strings.Count(e, ":") > 1:
		if _, err := netip.ParseAddr(e); err != nil {
			return bad("is not an address")
		}
		return e, 0, nil
	}
	if h, p, ok := strings.Cut(e, ":"); ok {
		port, err = parsePort(p)
		if err != nil || h == "" {
			return bad("has a bad port")
		}
		e = h
	}
	if strings.ContainsAny(e, " \t*") && !strings.HasPrefix(e, "*.") || strings.Count(e, "*") > 1 {
		return bad("is not a host name")
	}
	return e, port, nil
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, errors.New("bad port")
	}
	return n, nil
}

// compileEgress compiles an egress list; nil when the policy has none.
func compileEgress(e *Egress) (*EgressList, error) {
	if e == nil {
		return nil, nil
	}
	anyPort := []string{}
	byPort := map[int][]string{}
	for i, h := range e.Hosts {
		host, port, err := splitEgressEntry(h)
		if err != nil {
			return nil, fmt.Errorf("egress.hosts[%d]: %v", i, err)
		}
		if port == 0 {
			anyPort = append(anyPort, host)
		} else {
			byPort[port] = append(byPort[port], host)
		}
	}
	l := &EgressList{byPort: map[int]*ssrf.Allowlist{}}
	var err error
	if len(anyPort) > 0 {
		if l.any, err = ssrf.NewAllowlist(anyPort); err != nil {
			return nil, fmt.Errorf("egress.hosts: %v", err)
		}
	}
	for p, hosts := range byPort {
		if l.byPort[p], err = ssrf.NewAllowlist(hosts); err != nil {
			return nil, fmt.Errorf("egress.hosts: %v", err)
		}
	}
	return l, nil
}
