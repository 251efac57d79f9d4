package cli

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

func TestHostOf(t *testing.T) {
	for v, want := range map[string]string{
		"http://10.0.3.7:8080/hooks":          "10.0.3.7",
		"https://API.Internal./v1":            "api.internal",
		"db.internal:5432":                    "db.internal",
		"[fd00::1]:443":                       "fd00::1",
		"http://169.254.169.254/latest/meta/": "169.254.169.254",
		"mailto:x@example.com":                "",
	} {
		if got := hostOf(v); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestGlobQuote(t *testing.T) {
	if got, want := globQuote(`rm -f /tmp/*.lock ? \x`), `rm -f /tmp/\*.lock \? \\x`; got != want {
		t.Errorf("globQuote = %q, want %q", got, want)
	}
	if p := globQuote(`a\`); len(checkPolicy(policy.Policy{Allow: policy.Allow{ShellCommands: []string{p}}})) != 0 {
		t.Errorf("globQuote(`a\\`) = %q is not a valid pattern", p)
	}
}

// TestTriageEgress: egress-unlisted groups propose their destinations for
// egress.hosts as host:port entries, deduplicated and sorted after the
// base policy's own; a destination an entry of the base allows already is
// left out.
func TestTriageEgress(t *testing.T) {
	base := writeFile(t, "base.json", `{"egress": {"hosts": ["*.internal", "api.example.com:443"]}}`)
	dst := filepath.Join(t.TempDir(), "policy.json")
	out, errOut, err := runCLI(t, "", "triage", "testdata/triage-egress.jsonl", "--fp", "all", "--yes", "--policy", base, "-o", dst)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for _, hint := range []string{
		"1. egress-unlisted: added to egress.hosts: auth.payments.example:443, payments.example:443\n",
		"2. egress-unlisted: already allowed by egress.hosts: cache.internal:6379\n",
		"2. egress-unlisted: added to egress.hosts: [2001:db8::9]:4317, metrics.example:8125\n",
		"2. egress-unlisted: already in egress.hosts: api.example.com:443\n",
		"with 4 new entries",
	} {
		if !strings.Contains(out, hint) {
			t.Errorf("output lacks %q:\n%s", hint, out)
		}
	}
	pf, err := loadPolicy(dst)
	if err != nil {
		t.Fatalf("the proposal does not pass policy check: %v", err)
	}
	want := []string{"*.internal", "api.example.com:443",
		"[2001:db8::9]:4317", "auth.payments.example:443", "metrics.example:8125", "payments.example:443"}
	if pf.Policy.Egress == nil || !reflect.DeepEqual(pf.Policy.Egress.Hosts, want) {
		t.Errorf("egress.hosts = %+v, want %q", pf.Policy.Egress, want)
	}

	// Without a base policy, the list is the proposal's alone, with a note.
	out, errOut, err = runCLI(t, "", "triage", "testdata/triage-egress.jsonl", "--fp", "1", "--yes")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out, `"hosts": [
      "auth.payments.example:443",
      "payments.example:443"
    ]`) || !strings.Contains(errOut, "note: the base policy had no egress list") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
}

func TestEgressEntryOf(t *testing.T) {
	for v, want := range map[string]string{
		"API.Example.com.:443": "api.example.com:443",
		"[2001:DB8::1]:443":    "[2001:db8::1]:443",
		"10.0.0.1:0443":        "10.0.0.1:443",
		"10.0.0.1":             "10.0.0.1",
		"2001:db8::1":          "2001:db8::1",
		"example.com:http":     "",
		"example.com:0":        "",
		"http://example.com/":  "",
		"":                     "",
	} {
		if got, _, _, _ := egressEntryOf(v); got != want {
			t.Errorf("egressEntryOf(%q) = %q, want %q", v, got, want)
		}
	}
}

// requestEvent is an event of a request rule, as the gate writes it.
func requestEvent(rule, method, path, client, value string) string {
	b, _ := json.Marshal(map[string]any{
		"time": "2025-03-04T09:12:01Z", "level": "WARN", "msg": "rasp finding", "rule": rule, "family": "request",
		"mode": "detect", "verdict": "detected", "site": "request", "sink": "request", "value": value,
		"method": method, "path": path, "client_ip": client,
	})
	return string(b) + "\n"
}

// TestTriageRequestRules: ip-not-allowed adds the addresses seen, each
// alone, to the allow_ips that refused them (global, and the one route's);
// the other request rules only explain, naming the bot categories and
// their modes, the routes and the clients.
func TestTriageRequestRules(t *testing.T) {
	var log strings.Builder
	for _, e := range [][5]string{
		{"ip-not-allowed", "GET", "/admin/users", "192.0.2.55", "192.0.2.55"},           // not in the route's list
		{"ip-not-allowed", "GET", "/admin/users", "203.0.113.9", "203.0.113.9"},         // in neither
		{"ip-not-allowed", "POST", "/admin/reload", "192.0.2.55", "192.0.2.55"},         // same route
		{"bot", "GET", "/", "198.51.100.1", "python-requests/2.31.0"},                   // http_libraries
		{"bot", "GET", "/feed", "198.51.100.2", "Mozilla/5.0 (compatible; GPTBot/1.1)"}, // ai_crawlers
		{"bot", "GET", "/", "198.51.100.3", "curl/8.5.0"},
		{"rate-limit", "POST", "/login", "198.51.100.4", "198.51.100.4"},
		{"ip-blocked", "GET", "/", "203.0.113.66", "203.0.113.66"},
		{"user-blocked", "GET", "/", "198.51.100.5", "mallory"},
		{"attack-wave", "GET", "/.env", "198.51.100.6", "198.51.100.6"},
	} {
		log.WriteString(requestEvent(e[0], e[1], e[2], e[3], e[4]))
	}
	path := writeFile(t, "events.jsonl", log.String())
	dst := filepath.Join(t.TempDir(), "policy.json")
	out, errOut, err := runCLI(t, "", "triage", path, "--fp", "all", "--yes", "--policy", "testdata/policy-triage-request.json", "-o", dst)
	if err != nil {
		t.Fatalf("triage: %v\n%s", err, errOut)
	}
	_, proposal, _ := strings.Cut(out, "# proposal\n")
	for _, want := range []string{
		"ip-not-allowed: only if these clients are legitimate: each address is added alone, not its network\n",
		"ip-not-allowed: added to allow_ips: 203.0.113.9\n",
		"ip-not-allowed: added to routes[0].allow_ips: 192.0.2.55, 203.0.113.9\n",
		"bot: category ai_crawlers (bots.ai_crawlers: detect): 1 user agent, e.g. Mozilla/5.0 (compatible; GPTBot/1.1)\n",
		"bot: category http_libraries (bots.http_libraries: detect): 2 user agents, e.g. python-requests/2.31.0, curl/8.5.0\n",
		"bot: categories in detect mode seen: ai_crawlers, http_libraries; a category whose clients you do not want can be set to block instead\n",
		"rate-limit: no entry proposed: a limit is a number only you can choose; 1 client exceeded the rate limit of their route (routes[1] (POST /login)): 198.51.100.4.",
		"ip-blocked: no entry proposed: the address is in block_ips: 203.0.113.66.",
		"user-blocked: no entry proposed: users.block names these users: mallory.",
		"attack-wave: no entry proposed: 1 client sent many findings or scanner probes: 198.51.100.6.",
	} {
		if !strings.Contains(proposal, want) {
			t.Errorf("the proposal does not say %q:\n%s", want, proposal)
		}
	}
	pf, err := loadPolicy(dst)
	if err != nil {
		t.Fatalf("the proposal does not pass policy check: %v", err)
	}
	p := pf.Policy
	if want := []string{"192.0.2.0/24", "198.51.100.7", "203.0.113.9"}; !reflect.DeepEqual(p.AllowIPs, want) {
		t.Errorf("allow_ips %q, want %q", p.AllowIPs, want)
	}
	if want := []string{"192.0.2.10", "192.0.2.55", "203.0.113.9"}; !reflect.DeepEqual(p.Routes[0].AllowIPs, want) {
		t.Errorf("routes[0].allow_ips %q, want %q", p.Routes[0].AllowIPs, want)
	}
	if !reflect.DeepEqual(p.Routes[2].AllowIPs, []string{"192.0.2.20"}) || !reflect.DeepEqual(p.BlockIPs, []string{"203.0.113.66"}) ||
		p.Bots["http_libraries"] != "detect" || p.Routes[1].RateLimit.MaxRequests != 10 {
		t.Errorf("the proposal changed what it should not: %+v", p)
	}
}

// TestTriageIPNotAllowedSeveralRoutes: with requests under two routes
// with allow_ips, the proposal names them and adds to neither; without a
// policy it adds nothing.
func TestTriageIPNotAllowedSeveralRoutes(t *testing.T) {
	path := writeFile(t, "events.jsonl", requestEvent("ip-not-allowed", "GET", "/admin/x", "192.0.2.55", "192.0.2.55")+
		requestEvent("ip-not-allowed", "GET", "/internal/y", "192.0.2.56", "192.0.2.56"))
	out, errOut, err := runCLI(t, "", "triage", path, "--fp", "all", "--yes", "--policy", "testdata/policy-triage-request.json", "-o", filepath.Join(t.TempDir(), "p.json"))
	if err != nil {
		t.Fatalf("triage: %v\n%s", err, errOut)
	}
	if want := "not added to the routes' allow_ips: the requests fall under routes[0] (/admin/*), routes[2] (/internal/*)"; !strings.Contains(out, want) {
		t.Errorf("output does not say %q:\n%s", want, out)
	}
	out, errOut, err = runCLI(t, "", "triage", path, "--fp", "all", "--yes", "-o", filepath.Join(t.TempDir(), "p.json"))
	if err != nil {
		t.Fatalf("triage: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "ip-not-allowed: no entry proposed: the policy given (--policy) has no allow_ips") || !strings.Contains(out, "nothing to add to the policy") {
		t.Errorf("without a policy:\n%s", out)
	}
}
