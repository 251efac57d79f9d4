package httphook

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// withPolicy puts the policy text in force until the test ends.
func withPolicy(t *testing.T, text string) {
	t.Helper()
	old := judge.CurrentPolicy()
	t.Cleanup(func() { judge.Restore(old) })
	p, err := policy.Parse("test.json", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if err := judge.SetPolicy(p, "test.json"); err != nil {
		t.Fatal(err)
	}
}

// reached is a handler that says it ran.
var reached = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("reached")) })

func from(r *http.Request, peer string, headers ...string) *http.Request {
	r.RemoteAddr = peer
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

// bearer returns an unsigned token with the claims.
func bearer(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return "Bearer " + enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".c2ln"
}

// TestGateClientIP: forwarding headers are believed only from a trusted
// proxy, right to left; a spoofed one from anyone else changes nothing.
func TestGateClientIP(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	withPolicy(t, `{"trusted_proxies": ["10.0.0.0/8"], "block_ips": ["203.0.113.7"]}`)
	h := Wrap(reached)
	// The attacker, 203.0.113.7, spoofs a header: still refused.
	w := serve(h, from(httptest.NewRequest("GET", "/", nil), "203.0.113.7:5000", "X-Forwarded-For", "198.51.100.1"))
	if w.Code != 403 {
		t.Errorf("spoofed header from the blocked peer: %d", w.Code)
	}
	// An innocent peer spoofing the blocked address is not refused.
	if w := serve(h, from(httptest.NewRequest("GET", "/", nil), "198.51.100.1:5000", "X-Forwarded-For", "203.0.113.7")); w.Code != 200 {
		t.Errorf("spoofed blocked address from an untrusted peer: %d", w.Code)
	}
	// Behind two trusted proxies, the client is the first untrusted hop
	// from the right, whatever it prepended.
	w = serve(h, from(httptest.NewRequest("GET", "/", nil), "10.0.0.2:5000", "X-Forwarded-For", "1.2.3.4, 203.0.113.7, 10.0.0.9"))
	if w.Code != 403 {
		t.Errorf("blocked client behind trusted proxies: %d", w.Code)
	}
	evs := events.Events()
	if len(evs) == 0 || evs[len(evs)-1].ClientIP != "203.0.113.7" || evs[len(evs)-1].Rule != policy.RuleIPBlocked {
		t.Errorf("events %+v", evs)
	}
}

// TestGateDetectThenBlock: in detect mode a request rule records and the
// handler runs; in block mode it refuses with 403 and the request ID.
func TestGateDetectThenBlock(t *testing.T) {
	withPolicy(t, `{"routes": [{"path": "/admin/*", "allow_ips": ["192.0.2.0/24"]}]}`)
	for _, m := range []policy.Mode{policy.ModeDetect, policy.ModeBlock} {
		events := inMode(t, m)
		w := serve(Wrap(reached), from(httptest.NewRequest("GET", "/admin/users", nil), "198.51.100.9:1", "X-Request-Id", "req-1"))
		want := 200
		if m == policy.ModeBlock {
			want = 403
		}
		if w.Code != want || (want == 403) != strings.Contains(w.Body.String(), `"rule":"ip-not-allowed","request_id":"req-1"`) {
			t.Errorf("%s: %d %s", m, w.Code, w.Body)
		}
		evs := events.Events()
		if len(evs) != 1 || evs[0].Rule != policy.RuleIPNotAllowed || evs[0].Family != "request" || evs[0].Site != "request" {
			t.Errorf("%s: events %+v", m, evs)
		}
		if w := serve(Wrap(reached), from(httptest.NewRequest("GET", "/admin/users", nil), "192.0.2.4:1")); w.Code != 200 {
			t.Errorf("%s: office client refused: %d", m, w.Code)
		}
	}
}

// TestGateRateLimit: the route's limit answers 429 with Retry-After, and
// records one event per window per key.
func TestGateRateLimit(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	withPolicy(t, `{"routes": [{"method": "POST", "path": "/login", "rate_limit": {"max_requests": 3, "window": "1h"}}]}`)
	h := Wrap(reached)
	codes := []int{}
	for i := 0; i < 6; i++ {
		w := serve(h, from(httptest.NewRequest("POST", "/login", nil), "198.51.100.20:1"))
		codes = append(codes, w.Code)
		if w.Code == 429 && w.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if got := codes; got[2] != 200 || got[3] != 429 || got[5] != 429 {
		t.Errorf("codes %v", got)
	}
	if w := serve(h, from(httptest.NewRequest("POST", "/login", nil), "198.51.100.21:1")); w.Code != 200 {
		t.Errorf("another client limited: %d", w.Code)
	}
	if w := serve(h, from(httptest.NewRequest("GET", "/login", nil), "198.51.100.20:1")); w.Code != 200 {
		t.Errorf("another method limited: %d", w.Code)
	}
	if n := len(events.Events()); n != 1 {
		t.Errorf("%d events for one key in one window, want 1", n)
	}
}

// TestGateBotsAndUsers: a scanner's user agent, and a user blocked by the
// subject of a bearer token; the user is in the events.
func TestGateBotsAndUsers(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	withPolicy(t, `{"bots": {"scanners": "block", "ai_crawlers": "detect"}, "users": {"block": ["mallory"]}}`)
	h := Wrap(reached)
	if w := serve(h, from(httptest.NewRequest("GET", "/", nil), "198.51.100.1:1", "User-Agent", "sqlmap/1.8.2#stable (https://sqlmap.org)")); w.Code != 403 {
		t.Errorf("scanner: %d", w.Code)
	}
	if w := serve(h, from(httptest.NewRequest("GET", "/", nil), "198.51.100.1:1", "User-Agent", "Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)")); w.Code != 200 {
		t.Errorf("crawler in detect: %d", w.Code)
	}
	if w := serve(h, from(httptest.NewRequest("GET", "/", nil), "198.51.100.1:1", "Authorization", bearer(`{"sub":"mallory"}`))); w.Code != 403 {
		t.Errorf("blocked user: %d", w.Code)
	}
	if w := serve(h, from(httptest.NewRequest("GET", "/", nil), "198.51.100.1:1", "Authorization", bearer(`{"sub":"alice"}`))); w.Code != 200 {
		t.Errorf("other user: %d", w.Code)
	}
	// A proxy's user header is believed only from a trusted proxy.
	if w := serve(h, from(httptest.NewRequest("GET", "/", nil), "198.51.100.1:1", "X-Forwarded-User", "mallory")); w.Code != 200 {
		t.Errorf("user header from an untrusted peer: %d", w.Code)
	}
	var rules []string
	for _, e := range events.Records() {
		rules = append(rules, e["rule"].(string))
		if e["rule"] == policy.RuleUserBlocked && e["user"] != "mallory" {
			t.Errorf("user-blocked event without the user: %v", e)
		}
	}
	if strings.Join(rules, ",") != "bot,bot,user-blocked" {
		t.Errorf("rules %v", rules)
	}
}

// TestGateAttackWave: scanner probes from one client start one wave, and
// with block_for its later requests are refused.
func TestGateAttackWave(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	withPolicy(t, `{"attack_wave": {"threshold": 3, "window": "1h", "block_for": "1h"}}`)
	h := Wrap(reached)
	for _, p := range []string{"/.env", "/.git/config", "/wp-login.php"} {
		serve(h, from(httptest.NewRequest("GET", p, nil), "198.51.100.66:1"))
	}
	if w := serve(h, from(httptest.NewRequest("GET", "/", nil), "198.51.100.66:1")); w.Code != 403 {
		t.Errorf("after the wave: %d", w.Code)
	}
	if w := serve(h, from(httptest.NewRequest("GET", "/", nil), "198.51.100.67:1")); w.Code != 200 {
		t.Errorf("another client: %d", w.Code)
	}
	waves := 0
	for _, e := range events.Events() {
		if e.Rule == policy.RuleAttackWave && strings.Contains(e.Detail, "3 scanner probes") {
			waves++
		}
	}
	if waves != 1 {
		t.Errorf("%d wave events, want 1: %+v", waves, events.Events())
	}
}

// TestJWTClaimsAreInputs: the string claims of a bearer token are request
// inputs, named by their path.
func TestJWTClaimsAreInputs(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", bearer(`{"sub":"u1","org":{"name":"x' OR 1=1--"},"n":3}`))
	var got []string
	for _, in := range inputs(r, nil) {
		if in.Source == "jwt" {
			got = append(got, in.Name+"="+in.Value)
		}
	}
	if strings.Join(got, ";") != "sub=u1;org.name=x' OR 1=1--" {
		t.Errorf("jwt inputs %v", got)
	}
}
