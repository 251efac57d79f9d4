package nethook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/eventstest"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// inputs is a request's inputs, for tests.
type inputs []taint.Input

func (i inputs) Inputs() []taint.Input { return i }

// reqCtx returns a context carrying a request whose query inputs are vs.
func reqCtx(vs ...string) context.Context {
	var in inputs
	for _, v := range vs {
		in = append(in, taint.Input{Source: "query", Name: "u", Value: v})
	}
	return reqctx.WithRequest(context.Background(), reqctx.NewRequest("t", "GET", "/", "127.0.0.1", in))
}

func inBlockMode(t *testing.T, f func()) string {
	t.Helper()
	old := judge.CurrentMode()
	judge.SetMode(policy.ModeBlock)
	defer judge.SetMode(old)
	rec := eventstest.Capture(t)
	f()
	return rec.String()
}

func TestOpaqueMetadataBlocked(t *testing.T) {
	site := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet}
	events := inBlockMode(t, func() {
		_, err := HTTPGet(site, "http://169.254.169.254/latest/meta-data/")
		var ue *url.Error
		if !errors.As(err, &ue) || !errors.Is(err, rasp.ErrBlocked) {
			t.Fatalf("HTTPGet error = %#v", err)
		}
		if _, err := NetDial(site, "tcp", "169.254.169.254:80"); !errors.Is(err, rasp.ErrBlocked) {
			t.Fatalf("NetDial error = %v", err)
		}
	})
	if strings.Count(events, `"rule":"ssrf-metadata"`) != 2 {
		t.Fatalf("events: %s", events)
	}
}

func TestTemplateHost(t *testing.T) {
	dynHost := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(0, false, "http://", "/status")}}
	staticHost := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(0, false, "http://127.0.0.1:8080/items/", "")}}
	inBlockMode(t, func() {
		for _, u := range []string{"http://example.com/status", "http://169.254.169.254/status", "http://127.0.0.1/status", "http://0x7f.1/status"} {
			err := checkURL(reqCtx(hostOf(u)), dynHost, 0, u)
			if attack := !strings.Contains(u, "example"); (err != nil) != attack {
				t.Errorf("url %q: err = %v, attack %v", u, err, attack)
			}
		}
		if err := checkURL(reqCtx("42"), staticHost, 0, "http://127.0.0.1:8080/items/42"); err != nil {
			t.Errorf("a host the programmer wrote was judged: %v", err)
		}
		if err := checkURL(nil, dynHost, 0, "http://10.1.2.3/status"); err != nil {
			t.Errorf("an internal host from configuration (no request input) was judged: %v", err)
		}
	})
}

func TestDynamicPortIsNotADynamicHost(t *testing.T) {
	site := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(0, false, "http://127.0.0.1:", "/items")}}
	userinfo := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(0, false, "http://", "@api.example.com/")}}
	inBlockMode(t, func() {
		if err := checkURL(nil, site, 0, "http://127.0.0.1:8080/items"); err != nil {
			t.Errorf("a dynamic port made the written host dynamic: %v", err)
		}
		if err := checkURL(nil, site, 0, "http://127.0.0.1:80@169.254.169.254/items"); err == nil {
			t.Errorf("a dynamic port that moved the host was let through")
		}
		if err := checkURL(nil, userinfo, 0, "http://bob@api.example.com/"); err != nil {
			t.Errorf("dynamic userinfo made the host dynamic: %v", err)
		}
		if err := checkURL(reqCtx("x@127.0.0.1/#"), userinfo, 0, "http://x@127.0.0.1/#@api.example.com/"); err == nil {
			t.Errorf("userinfo that moved the host was let through")
		}
	})
}

func tcpAddr(s string) net.Addr {
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		panic(err)
	}
	return a
}

// TestDialCheck drives the dial-time check as the patched package net
// does: with the mark a hook put in the context, the address given to the
// dialer and the address it resolved to.
func TestDialCheck(t *testing.T) {
	dyn := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(0, false, "http://", "/status")}}
	static := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet, Static: true}
	opaque := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet}
	cases := []struct {
		name     string
		site     *callsite.Site
		url      string // what the call site passed
		address  string // what the dialer was given (a redirect changes it)
		resolved string
		blocked  bool
	}{
		{"dynamic name resolving to loopback (rebinding)", dyn, "http://rebind.example/status", "rebind.example:80", "127.0.0.1:80", true},
		{"dynamic name resolving to metadata", dyn, "http://meta.example/status", "meta.example:80", "169.254.169.254:80", true},
		{"dynamic name resolving to a public address", dyn, "http://example.com/status", "example.com:80", "93.184.215.14:80", false},
		{"static internal name", static, "http://db.internal/", "db.internal:80", "10.0.0.5:80", false},
		{"static name resolving to metadata", static, "http://cfg.example/", "cfg.example:80", "169.254.169.254:80", true},
		{"redirect from a written URL to loopback", static, "http://api.example.com/", "localhost:8080", "127.0.0.1:8080", true},
		{"redirect from a written URL to a public host", static, "http://api.example.com/", "www.example.com:443", "93.184.215.14:443", false},
		{"same host, other port after a redirect", static, "http://db.internal/", "db.internal:8080", "10.0.0.5:8080", false},
		{"opaque URL, private address", opaque, "http://db.internal/", "db.internal:80", "10.0.0.5:80", false},
		{"the resolver's dial to its name server", static, "http://api.example.com/", "10.255.255.53:53", "10.255.255.53:53", false},
		{"IPv4-mapped loopback", dyn, "http://x.example/status", "x.example:80", "[::ffff:127.0.0.1]:80", true},
	}
	for _, c := range cases {
		events := inBlockMode(t, func() {
			ctx := context.Background() // the static and opaque sites' hosts come from configuration
			if c.site == dyn {
				ctx = reqCtx(hostOf(c.url))
			}
			ctx, m := mark(ctx, c.site, 0, c.url)
			var err error
			if strings.Contains(c.name, "redirect") {
				// A redirect to an internal address as written is refused
				// when it is followed, and not reported again at the dial.
				err = m.redirectPolicy(&http.Client{})(&http.Request{URL: &url.URL{Host: c.address}}, nil)
			}
			if derr := dialCheck(ctx, "tcp", c.address, tcpAddr(c.resolved)); err == nil {
				err = derr
			}
			if (err != nil) != c.blocked {
				t.Errorf("%s: err = %v, want blocked %v", c.name, err, c.blocked)
			}
		})
		if c.blocked != (events != "") {
			t.Errorf("%s: events %q", c.name, events)
		}
	}
	// A dial no hook started is never judged.
	if err := dialCheck(context.Background(), "tcp", "169.254.169.254:80", tcpAddr("169.254.169.254:80")); err != nil {
		t.Errorf("an unmarked dial was judged: %v", err)
	}
}

func TestDialCheckAllowlist(t *testing.T) {
	dyn := &callsite.Site{Sink: "net.Dial", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(1, false, "", "")}}
	old := judge.CurrentPolicy().Policy
	defer judge.SetPolicy(old, "")
	if err := judge.SetPolicy(policy.Policy{Allow: policy.Allow{SSRFHosts: []string{"10.1.0.0/16", "*.svc.internal"}}}, "test"); err != nil {
		t.Fatal(err)
	}
	inBlockMode(t, func() {
		for _, c := range []struct {
			addr, resolved string
			blocked        bool
		}{
			{"a.svc.internal:80", "10.9.9.9:80", false},
			{"other.internal:80", "10.1.2.3:80", false},
			{"other.internal:80", "10.2.2.3:80", true},
		} {
			err := dialCheck(markedContext(reqCtx(hostOf(c.addr)), dyn, 1, c.addr), "tcp", c.addr, tcpAddr(c.resolved))
			if (err != nil) != c.blocked {
				t.Errorf("%s -> %s: err = %v, want blocked %v", c.addr, c.resolved, err, c.blocked)
			}
		}
	})
}

func BenchmarkDialCheckPublic(b *testing.B) {
	dyn := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(0, false, "http://", "/status")}}
	ctx := markedContext(nil, dyn, 0, "http://example.com/status")
	ra := tcpAddr("93.184.215.14:80")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if dialCheck(ctx, "tcp", "example.com:80", ra) != nil {
			b.Fatal("blocked")
		}
	}
}

// TestLocalSystemAddresses: ":PORT" and "0:PORT" reach the local host, as
// "127.0.0.1:PORT" does.
func TestLocalSystemAddresses(t *testing.T) {
	dyn := &callsite.Site{Sink: "net.Dial", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(1, false, "", "")}}
	hostOnly := &callsite.Site{Sink: "net.Dial", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(1, false, "", ":8080")}}
	inBlockMode(t, func() {
		for _, a := range []string{":8080", "0:8080", "127.0.0.1:8080", "[::]:8080"} {
			if err := checkAddr(reqCtx(a), dyn, 1, "tcp", a); !errors.Is(err, rasp.ErrBlocked) {
				t.Errorf("net.Dial(tcp, %q) from an input: err = %v, want blocked", a, err)
			}
		}
		// The input chose an empty host: the local system.
		if err := checkAddr(reqCtx("x"), hostOnly, 1, "tcp", ":8080"); err != nil {
			t.Logf("empty host from a variable, no input: %v", err)
		}
		// At dial time: the dialer got ":8080" and no IP.
		ctx := markedContext(reqCtx(":8080"), dyn, 1, ":8080")
		if err := dialCheck(ctx, "tcp", ":8080", &net.TCPAddr{Port: 8080}); !errors.Is(err, rasp.ErrBlocked) {
			t.Errorf("a dial to the local system with no IP: err = %v, want blocked", err)
		}
	})
}

// TestInputInPathIsNotTheHost: an input that appears after the host of a
// URL did not choose the host, even when its text is a host.
func TestInputInPathIsNotTheHost(t *testing.T) {
	written := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(0, false, "http://api.internal/public/", "")}}
	opaque := &callsite.Site{Sink: "net/http.(*Client).Do", Family: event.FamilyNet}
	const u = "http://api.internal/public/127.0.0.1:8080"
	inBlockMode(t, func() {
		for _, site := range []*callsite.Site{written, opaque} {
			for _, in := range []string{"127.0.0.1:8080", "api.internal", "127.0.0.1"} {
				ctx := reqCtx(in)
				if err := checkURL(ctx, site, 0, u); err != nil {
					t.Errorf("input %q, template %v: the call was judged: %v", in, site.Tmpls != nil, err)
				}
				ctx, m := mark(ctx, site, 0, u)
				if m.hostFromInput && in != "api.internal" {
					t.Errorf("input %q, template %v: the mark says an input chose the host", in, site.Tmpls != nil)
				}
				if err := dialCheck(ctx, "tcp", "api.internal:80", tcpAddr("10.0.0.5:80")); err != nil && in != "api.internal" {
					t.Errorf("input %q, template %v: the dial was judged: %v", in, site.Tmpls != nil, err)
				}
			}
		}
	})
}

// TestUndialableAddress: an address net.Dial refuses reaches nothing.
func TestUndialableAddress(t *testing.T) {
	dyn := &callsite.Site{Sink: "net.Dial", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(1, false, "", "")}}
	inBlockMode(t, func() {
		for _, a := range []string{"10", "2", "127.0.0.1", "::1", "169.254.169.254"} {
			if err := checkAddr(reqCtx(a), dyn, 1, "tcp", a); err != nil {
				t.Errorf("net.Dial(tcp, %q): err = %v, want none (no port: nothing is reached)", a, err)
			}
		}
		if err := checkAddr(reqCtx("10.0.0.1"), dyn, 1, "ip4:icmp", "10.0.0.1"); !errors.Is(err, rasp.ErrBlocked) {
			t.Errorf("net.Dial(ip4:icmp, 10.0.0.1) needs no port: err = %v, want blocked", err)
		}
	})
}

// TestConfiguredHostEqualToAnInput: a base URL from configuration whose
// host equals an input that the code put in the path. One input explained
// by its place in the path did not choose the host; two inputs of that
// value, one occurrence in the path: one of them chose it.
func TestConfiguredHostEqualToAnInput(t *testing.T) {
	site := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(0, false, "http://", "/public/", "")}}
	opaque := &callsite.Site{Sink: "net/http.(*Client).Do", Family: event.FamilyNet}
	const u = "http://127.0.0.1:8080/public/127.0.0.1:8080"
	inBlockMode(t, func() {
		for _, s := range []*callsite.Site{site, opaque} {
			if err := checkURL(reqCtx("127.0.0.1:8080"), s, 0, u); err != nil {
				t.Errorf("template %v: an input in the path made the configured host the input's: %v", s.Tmpls != nil, err)
			}
			if _, m := mark(reqCtx("127.0.0.1:8080"), s, 0, u); m.hostFromInput {
				t.Errorf("template %v: the dial mark says an input chose the host", s.Tmpls != nil)
			}
			if err := checkURL(reqCtx("127.0.0.1:8080", "127.0.0.1:8080"), s, 0, u); !errors.Is(err, rasp.ErrBlocked) {
				t.Errorf("template %v: two inputs, one place in the path: err = %v, want blocked", s.Tmpls != nil, err)
			}
		}
		// A written path that holds the text does not explain the input.
		written := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(0, false, "http://", "/public/127.0.0.1:8080")}}
		if err := checkURL(reqCtx("127.0.0.1:8080"), written, 0, u); !errors.Is(err, rasp.ErrBlocked) {
			t.Errorf("the written path explained the input away: err = %v", err)
		}
	})
}

// TestProxyExactAddress: the configured proxy's own address is not judged;
// another port on its host is.
func TestProxyExactAddress(t *testing.T) {
	if got := proxyAddr("http://127.0.0.1:3128"); got != "127.0.0.1:3128" {
		t.Errorf("proxyAddr = %q", got)
	}
	if got := proxyAddr("Proxy.Local"); got != "proxy.local:80" {
		t.Errorf("proxyAddr without scheme or port = %q", got)
	}
	if got := proxyAddr("socks5://[::1]"); got != "[::1]:1080" {
		t.Errorf("proxyAddr socks5 = %q", got)
	}
	old := proxyAddrs
	proxyAddrs = func() map[string]bool { return map[string]bool{"127.0.0.1:3128": true} }
	defer func() { proxyAddrs = old }()
	dyn := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(0, false, "http://", "/status")}}
	inBlockMode(t, func() {
		ctx := markedContext(reqCtx("example.com"), dyn, 0, "http://example.com/status")
		if err := dialCheck(ctx, "tcp", "127.0.0.1:3128", tcpAddr("127.0.0.1:3128")); err != nil {
			t.Errorf("the proxy's address was judged: %v", err)
		}
		static := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet, Static: true}
		ctx, m := mark(context.Background(), static, 0, "http://api.example.com/")
		err := m.redirectPolicy(&http.Client{})(&http.Request{URL: &url.URL{Host: "127.0.0.1:6379"}}, nil)
		if derr := dialCheck(ctx, "tcp", "127.0.0.1:6379", tcpAddr("127.0.0.1:6379")); err == nil {
			err = derr
		}
		if !errors.Is(err, rasp.ErrBlocked) {
			t.Errorf("a redirect to another port on the proxy's host: err = %v, want blocked", err)
		}
	})
}
