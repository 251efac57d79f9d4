package policy

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRequestProblems: every malformed key of the request rules is named
// by its field.
func TestRequestProblems(t *testing.T) {
	for _, tc := range []struct {
		name, json, field, want string
	}{
		{"bad CIDR", `{"block_ips": ["10.0.0.0/33"]}`, "block_ips[0]", "is not an address or a CIDR"},
		{"empty allow", `{"allow_ips": [" "]}`, "allow_ips[0]", "empty entry"},
		{"bad proxy", `{"trusted_proxies": ["proxy.local"]}`, "trusted_proxies[0]", "is not an address or a CIDR"},
		{"empty file", `{"bypass_ips": ["file:"]}`, "bypass_ips[0]", "names no file"},
		{"route path", `{"routes": [{"path": "items/{id}"}]}`, "routes[0].path", "does not start with /"},
		{"route rest", `{"routes": [{"path": "/a/{p...}/b"}]}`, "routes[0].path", "must be the last segment"},
		{"route ip", `{"routes": [{"path": "/admin/*", "allow_ips": ["office"]}]}`, "routes[0].allow_ips[0]", "is not an address"},
		{"limit by", `{"routes": [{"path": "/", "rate_limit": {"by": "session", "max_requests": 1, "window": "1s"}}]}`, "routes[0].rate_limit.by", "want ip or user"},
		{"limit max", `{"routes": [{"path": "/", "rate_limit": {"max_requests": 0, "window": "1s"}}]}`, "routes[0].rate_limit.max_requests", "1 or more"},
		{"limit window", `{"routes": [{"path": "/", "rate_limit": {"max_requests": 5, "window": "soon"}}]}`, "routes[0].rate_limit.window", "not a positive duration"},
		{"bot category", `{"bots": {"robots": "block"}}`, "bots.robots", "unknown category"},
		{"bot mode", `{"bots": {"scanners": "deny"}}`, "bots.scanners", "unknown mode"},
		{"bot patterns", `{"bot_patterns": {"mine": ["ab"]}}`, "bot_patterns", "mine"},
		{"user header", `{"users": {"headers": ["X User"]}}`, "users.headers[0]", "not a header name"},
		{"wave window", `{"attack_wave": {"window": "-1m"}}`, "attack_wave.window", "not a positive duration"},
		{"egress", `{"egress": {"hosts": ["api.example.com:http"]}}`, "egress.hosts[0]", "bad port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("p.json", []byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			probs := p.Problems()
			if len(probs) == 0 {
				t.Fatalf("no problem; want %s: %s", tc.field, tc.want)
			}
			if probs[0].Field != tc.field || !strings.Contains(probs[0].Problem, tc.want) {
				t.Errorf("problem %s: %s; want %s: …%s…", probs[0].Field, probs[0].Problem, tc.field, tc.want)
			}
		})
	}
}

// TestRouteMatches: route patterns in net/http's and gin's spellings.
func TestRouteMatches(t *testing.T) {
	for _, tc := range []struct {
		method, pattern, reqMethod, path string
		want                             bool
	}{
		{"", "/items/{id}", "GET", "/items/7", true},
		{"", "/items/{id}", "GET", "/items/7/x", false},
		{"", "/items/{id}", "GET", "/items/", false},
		{"", "/items/:id", "GET", "/items/7", true},
		{"POST", "/login", "GET", "/login", false},
		{"post", "/login", "POST", "/login", true},
		{"", "/admin/*", "GET", "/admin/users/1", true},
		{"", "/admin/*", "GET", "/admin", true},
		{"", "/admin/*", "GET", "/administrator", false},
		{"", "/files/{path...}", "GET", "/files/a/b/c", true},
		{"", "/", "GET", "/", true},
		{"", "/", "GET", "/x", false},
		{"", "/a/b", "GET", "/a/b/", false},
	} {
		segs, rest, err := compileRoutePattern(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		r := GateRoute{Method: strings.ToUpper(tc.method), segs: segs, rest: rest}
		if got := r.Matches(tc.reqMethod, tc.path); got != tc.want {
			t.Errorf("%s %s matches %s %s = %v, want %v", tc.method, tc.pattern, tc.reqMethod, tc.path, got, tc.want)
		}
	}
}

// TestGateCompiles: lists from files (relative to the policy), routes,
// bots, users and the egress list compile into what the gate reads.
func TestGateCompiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tor.txt"), []byte("# exits\n203.0.113.0/24\n2001:db8::/32 # v6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "policy.json")
	p, err := Parse(src, []byte(`{
  "trusted_proxies": ["10.0.0.0/8"],
  "block_ips": ["198.51.100.7", "file:tor.txt"],
  "routes": [{"path": "/admin/*", "allow_ips": ["192.0.2.0/24"]},
             {"method": "POST", "path": "/login", "rate_limit": {"max_requests": 5, "window": "1m"}}],
  "bots": {"scanners": "block", "ai_crawlers": "detect"},
  "users": {"block": ["mallory"]},
  "attack_wave": {"threshold": 10, "block_for": "10m"},
  "egress": {"hosts": ["api.example.com:443", "*.internal.example", "10.1.0.0/16"]}
}`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p, src)
	if err != nil {
		t.Fatal(err)
	}
	g := c.Gate()
	a := netip.MustParseAddr
	if !g.Active() || !g.Block.Contains(a("203.0.113.9")) || !g.Block.Contains(a("198.51.100.7")) || g.Block.Contains(a("192.0.2.1")) {
		t.Errorf("block list: %v", g.Block)
	}
	if len(g.Files) != 1 || g.Files[0] != filepath.Join(dir, "tor.txt") {
		t.Errorf("files = %v", g.Files)
	}
	if r := g.Route("GET", "/admin/x"); r == nil || !r.Allow.Contains(a("192.0.2.5")) {
		t.Errorf("admin route: %+v", r)
	}
	if r := g.Route("POST", "/login"); r == nil || r.Limit.MaxRequests != 5 || r.Window.Minutes() != 1 || r.LimitKey == "" {
		t.Errorf("login route: %+v", r)
	}
	if cat, _, ok := g.Bots.Match("sqlmap/1.8#stable (https://sqlmap.org)"); !ok || cat != "scanners" || g.BotModes[cat] != ModeBlock {
		t.Errorf("bots: %s %v", cat, ok)
	}
	if !g.BlockUser["mallory"] || !g.UserJWT || g.UserHdrs[0] != "X-Forwarded-User" {
		t.Errorf("users: %+v", g)
	}
	if g.Wave == nil || g.Wave.Threshold != 10 || g.Wave.BlockFor.Minutes() != 10 || g.Wave.Window.Minutes() != 1 {
		t.Errorf("wave: %+v", g.Wave)
	}
	e := c.Egress()
	for _, tc := range []struct {
		host string
		port int
		want bool
	}{
		{"api.example.com", 443, true}, {"api.example.com", 80, false}, {"db.internal.example", 5432, true},
		{"10.1.2.3", 6379, true}, {"evil.example", 443, false},
	} {
		addr, _ := netip.ParseAddr(tc.host)
		if got := e.Allowed(tc.host, addr, tc.port); got != tc.want {
			t.Errorf("egress %s:%d = %v, want %v", tc.host, tc.port, got, tc.want)
		}
	}
	// A missing list file fails the compile, naming the field.
	p.BlockIPs = []string{"file:missing.txt"}
	if _, err := Compile(p, src); err == nil || !strings.Contains(err.Error(), "block_ips[0]") {
		t.Errorf("missing file: %v", err)
	}
}
