package httphook

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// The request rules for servers other than net/http's: fasthttp's (Begin)
// and gRPC's (BeginRPC).

// noRead is the rest of a request that the gate must not need.
func noRead(t *testing.T) func() RawRequest {
	return func() RawRequest {
		t.Error("the gate read the whole request")
		return RawRequest{}
	}
}

// served runs a request through Begin and End as the glue does, and
// returns End's answer (nil when the handler ran and nothing refused it)
// and whether the handler ran.
func served(method, path, peer string, raw Raw) (*Refusal, bool) {
	s := Begin(method, path, peer, raw)
	ran := !s.Refused()
	r, _ := s.End()
	return r, ran
}

// TestServedGateClientIP: behind a trusted proxy the client is the one
// its X-Forwarded-For lines name, the proxy's line last; from anyone else
// the header changes nothing.
func TestServedGateClientIP(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	withPolicy(t, `{"trusted_proxies": ["10.0.0.0/8"], "block_ips": ["203.0.113.7"]}`)
	r, ran := served("GET", "/", "10.0.0.2:5000", rawReq(noRead(t), "X-Forwarded-For", "1.2.3.4", "X-Forwarded-For", "203.0.113.7, 10.0.0.9", "X-Request-Id", "fb-9"))
	if ran || r == nil || r.Status != 403 || r.Body != `{"error":"blocked","rule":"ip-blocked","request_id":"fb-9"}`+"\n" ||
		!slices.Contains(r.Header, [2]string{"X-Request-Id", "fb-9"}) {
		t.Errorf("blocked client behind a trusted proxy: ran %v, %+v", ran, r)
	}
	if r, ran := served("GET", "/", "198.51.100.1:5000", rawReq(noRead(t), "X-Forwarded-For", "203.0.113.7")); !ran || r != nil {
		t.Errorf("spoofed header from an untrusted peer: ran %v, %+v", ran, r)
	}
	if r, ran := served("GET", "/", "203.0.113.7:5000", rawReq(noRead(t), "X-Forwarded-For", "198.51.100.1")); ran || r == nil {
		t.Errorf("spoofed header from the blocked peer: ran %v, %+v", ran, r)
	}
	evs := events.Events()
	if len(evs) != 2 || evs[0].ClientIP != "203.0.113.7" || evs[0].Rule != policy.RuleIPBlocked || evs[0].RequestID != "fb-9" {
		t.Errorf("events %+v", evs)
	}
}

// TestServedGateClientIPWithoutRules: trusted_proxies alone names the
// client of events, with no rule to check.
func TestServedGateClientIPWithoutRules(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	withPolicy(t, `{"trusted_proxies": ["10.0.0.0/8"]}`)
	s := Begin("GET", "/a%20attack", "10.0.0.2:5000", rawReq(func() RawRequest { return RawRequest{} }, "X-Real-Ip", "198.51.100.4"))
	if s.Refused() {
		t.Fatal("refused")
	}
	sinkHere(&s.request)
	s.End()
	if evs := events.Events(); len(evs) != 1 || evs[0].ClientIP != "198.51.100.4" {
		t.Errorf("events %+v", evs)
	}
}

// TestServedGateDetect: in detect mode the rule records and the handler
// runs.
func TestServedGateDetect(t *testing.T) {
	events := inMode(t, policy.ModeDetect)
	withPolicy(t, `{"routes": [{"path": "/admin/*", "allow_ips": ["192.0.2.0/24"]}]}`)
	if r, ran := served("GET", "/admin/users", "198.51.100.9:1", rawReq(noRead(t))); !ran || r != nil {
		t.Errorf("detect: ran %v, %+v", ran, r)
	}
	if evs := events.Events(); len(evs) != 1 || evs[0].Rule != policy.RuleIPNotAllowed || evs[0].Verdict != "detected" {
		t.Errorf("events %+v", evs)
	}
}

// TestServedGateRateLimit: 429 with Retry-After, in HTML when asked.
func TestServedGateRateLimit(t *testing.T) {
	inMode(t, policy.ModeBlock)
	withPolicy(t, `{"routes": [{"method": "POST", "path": "/login", "rate_limit": {"max_requests": 2, "window": "1h"}}]}`)
	var last *Refusal
	for i := 0; i < 3; i++ {
		r, ran := served("POST", "/login", "198.51.100.20:1", rawReq(noRead(t), "Accept", "text/html"))
		if ran != (i < 2) {
			t.Errorf("request %d: ran %v", i, ran)
		}
		last = r
	}
	if last == nil || last.Status != 429 || len(last.Header) != 5 || last.Header[4][0] != "Retry-After" || last.Header[4][1] < "1" ||
		!strings.Contains(last.Body, "<h1>Too Many Requests</h1>") || !strings.Contains(last.Body, "rate-limit") {
		t.Errorf("refusal %+v", last)
	}
	if r, ran := served("POST", "/login", "198.51.100.21:1", rawReq(noRead(t))); !ran || r != nil {
		t.Errorf("another client: ran %v, %+v", ran, r)
	}
}

// TestServedGateUsers: the user of a bearer token, and of a trusted
// proxy's header; a user named by an untrusted peer's header is not.
func TestServedGateUsers(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	withPolicy(t, `{"trusted_proxies": ["10.0.0.0/8"], "users": {"block": ["mallory"]}}`)
	if _, ran := served("GET", "/", "198.51.100.1:1", rawReq(noRead(t), "Authorization", bearer(`{"sub":"mallory"}`))); ran {
		t.Error("blocked user of a bearer token served")
	}
	if _, ran := served("GET", "/", "10.0.0.2:1", rawReq(noRead(t), "X-Forwarded-User", "mallory")); ran {
		t.Error("blocked user of a trusted proxy's header served")
	}
	if _, ran := served("GET", "/", "198.51.100.1:1", rawReq(noRead(t), "X-Forwarded-User", "mallory")); !ran {
		t.Error("user header of an untrusted peer believed")
	}
	s := Begin("GET", "/", "198.51.100.1:1", rawReq(noRead(t), "Authorization", bearer(`{"sub":"alice"}`)))
	if u := s.request.User(); u != "alice" {
		t.Errorf("user %q", u)
	}
	s.End()
	for _, e := range events.Records() {
		if e["user"] != "mallory" {
			t.Errorf("event without the user: %v", e)
		}
	}
}

// rpcCall runs a call through BeginRPC and End as the glue does: it
// returns the refusing rule ("" when the handler ran), the request ID and
// RetryAfter.
func rpcCall(method, peer string, md map[string][]string) (rule, id, after string) {
	c := BeginRPC(context.Background(), method, peer, md)
	refused := c.Refused()
	after = c.RetryAfter()
	id, rule = c.End()
	if refused != (rule != "") {
		return "inconsistent", id, after
	}
	return rule, id, after
}

// TestRPCGate: the client IP from a trusted proxy's metadata, the full
// method as the route's path, the user of the authorization metadata.
func TestRPCGate(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	withPolicy(t, `{"trusted_proxies": ["10.0.0.0/8"], "block_ips": ["203.0.113.7"], "users": {"block": ["mallory"]},
		"routes": [{"path": "/inv.v1.Inventory/Find", "rate_limit": {"max_requests": 1, "window": "1m"}}]}`)
	if rule, id, _ := rpcCall("/inv.v1.Inventory/List", "10.0.0.2:9", map[string][]string{"x-forwarded-for": {"203.0.113.7"}, "x-request-id": {"g-1"}}); rule != policy.RuleIPBlocked || id != "g-1" {
		t.Errorf("blocked client behind a trusted proxy: %q %q", rule, id)
	}
	if rule, _, _ := rpcCall("/inv.v1.Inventory/List", "198.51.100.1:9", map[string][]string{"x-forwarded-for": {"203.0.113.7"}}); rule != "" {
		t.Errorf("spoofed metadata from an untrusted peer: %q", rule)
	}
	// Metadata given with other cases (not as gRPC keeps it) is found too.
	if rule, _, _ := rpcCall("/inv.v1.Inventory/List", "10.0.0.2:9", map[string][]string{"X-Real-IP": {"203.0.113.7"}}); rule != policy.RuleIPBlocked {
		t.Errorf("X-Real-IP: %q", rule)
	}
	if rule, _, _ := rpcCall("/inv.v1.Inventory/List", "198.51.100.1:9", map[string][]string{"authorization": {bearer(`{"sub":"mallory"}`)}}); rule != policy.RuleUserBlocked {
		t.Errorf("blocked user: %q", rule)
	}
	if rule, _, _ := rpcCall("/inv.v1.Inventory/List", "10.0.0.2:9", map[string][]string{"x-forwarded-user": {"mallory"}}); rule != policy.RuleUserBlocked {
		t.Errorf("blocked user of a trusted proxy: %q", rule)
	}
	if rule, _, _ := rpcCall("/inv.v1.Inventory/Find", "198.51.100.30:9", nil); rule != "" {
		t.Errorf("first call limited: %q", rule)
	}
	rule, id, after := rpcCall("/inv.v1.Inventory/Find", "198.51.100.30:9", nil)
	if rule != policy.RuleRateLimit || id == "" || after == "" || after == "0" {
		t.Errorf("second call: %q %q %q", rule, id, after)
	}
	var got []string
	for _, e := range events.Events() {
		got = append(got, e.Rule+" "+e.Method+" "+e.ClientIP)
	}
	want := "ip-blocked RPC 203.0.113.7;ip-blocked RPC 203.0.113.7;user-blocked RPC 198.51.100.1;user-blocked RPC 10.0.0.2;rate-limit RPC 198.51.100.30"
	if strings.Join(got, ";") != want {
		t.Errorf("events %q", got)
	}
}

// TestRPCGateDetect: in detect mode the call goes ahead, recorded.
func TestRPCGateDetect(t *testing.T) {
	events := inMode(t, policy.ModeDetect)
	withPolicy(t, `{"block_ips": ["198.51.100.0/24"]}`)
	if rule, _, after := rpcCall("/inv.v1.Inventory/List", "198.51.100.1:9", nil); rule != "" || after != "" {
		t.Errorf("detect: %q %q", rule, after)
	}
	if evs := events.Events(); len(evs) != 1 || evs[0].Rule != policy.RuleIPBlocked || evs[0].Verdict != "detected" {
		t.Errorf("events %+v", evs)
	}
}

// TestRPCJWTClaimsAreInputs: the string claims of the authorization
// metadata's bearer token are inputs, not the token.
func TestRPCJWTClaimsAreInputs(t *testing.T) {
	inMode(t, policy.ModeDetect)
	got := strings.Join(rpcInputs(t, map[string][]string{"authorization": {bearer(`{"sub":"u1","org":"x' OR 1=1--"}`)}}), ";")
	if !strings.Contains(got, "jwt:sub=u1") || !strings.Contains(got, "jwt:org=x' OR 1=1--") || strings.Contains(got, "Bearer") {
		t.Errorf("inputs %q", got)
	}
}
