package nethook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/eventstest"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// withEgress puts in force a policy whose egress list is hosts (nil: no
// list) for the test.
func withEgress(t testing.TB, hosts []string) {
	t.Helper()
	old := judge.CurrentPolicy().Policy
	t.Cleanup(func() { judge.SetPolicy(old, "") })
	var p policy.Policy
	if hosts != nil {
		p.Egress = &policy.Egress{Hosts: hosts}
	}
	if err := judge.SetPolicy(p, "test"); err != nil {
		t.Fatal(err)
	}
}

// inDetectMode is inBlockMode for detect mode.
func inDetectMode(t *testing.T, f func()) string {
	t.Helper()
	old := judge.CurrentMode()
	judge.SetMode(policy.ModeDetect)
	defer judge.SetMode(old)
	rec := eventstest.Capture(t)
	f()
	return rec.String()
}

var egressSiteLine int

// egressSite returns a new static call site (events are limited per site).
func egressSite() *callsite.Site {
	egressSiteLine++
	return &callsite.Site{Package: "app", File: "egress.go", Line: egressSiteLine, Sink: "net.Dial", Family: event.FamilyNet, Static: true}
}

// TestEgressBlock: in block mode, a dial to a host and port the list does
// not name is refused, by name where the dialer was given one, else by
// the address; a name is also allowed by a CIDR holding what it resolved
// to.
func TestEgressBlock(t *testing.T) {
	withEgress(t, []string{"api.example.com:443", "*.cdn.example", "10.0.0.0/8", "203.0.113.7:5432", "[2001:db8::1]:443"})
	cases := []struct {
		address, resolved string
		blocked           bool
		value             string
	}{
		{"api.example.com:443", "93.184.215.14:443", false, ""},
		{"API.Example.com.:443", "93.184.215.14:443", false, ""},
		{"api.example.com:80", "93.184.215.14:80", true, "api.example.com:80"},
		{"api.example.com:https", "93.184.215.14:443", false, ""}, // a service name: the port connected to
		{"img.cdn.example:8443", "198.51.100.1:8443", false, ""},
		{"cdn.example:443", "198.51.100.1:443", true, "cdn.example:443"},
		{"db.internal:5432", "10.1.2.3:5432", false, ""},
		{"10.9.9.9:6379", "10.9.9.9:6379", false, ""},
		{"evil.example:443", "93.184.215.99:443", true, "evil.example:443"},
		{"93.184.215.14:443", "93.184.215.14:443", true, "93.184.215.14:443"}, // the name is listed, not its address
		{"203.0.113.7:5432", "203.0.113.7:5432", false, ""},
		{"203.0.113.7:5433", "203.0.113.7:5433", true, "203.0.113.7:5433"},
		{"[2001:db8::1]:443", "[2001:db8::1]:443", false, ""},
		{"[2001:DB8::2]:443", "[2001:db8::2]:443", true, "[2001:db8::2]:443"},
	}
	for _, c := range cases {
		events := inBlockMode(t, func() {
			ctx := markedContext(context.Background(), egressSite(), 1, c.address)
			err := dialCheck(ctx, "tcp", c.address, tcpAddr(c.resolved))
			if errors.Is(err, rasp.ErrBlocked) != c.blocked || !c.blocked && err != nil {
				t.Errorf("%s -> %s: err = %v, want blocked %v", c.address, c.resolved, err, c.blocked)
			}
		})
		if !c.blocked {
			if events != "" {
				t.Errorf("%s: events %s", c.address, events)
			}
			continue
		}
		want := fmt.Sprintf(`"rule":"egress-unlisted","family":"net","mode":"block","verdict":"blocked","site":"app/egress.go:%d","sink":"net.Dial","value":%q`, egressSiteLine, c.value)
		if !strings.Contains(events, want) || !strings.Contains(events, `entry to allow it: \"`+c.value+`\"`) {
			t.Errorf("%s: events %s\nwant %s", c.address, events, want)
		}
	}
}

// TestEgressDetect: in detect mode (the default) an unlisted destination
// is recorded and the dial goes ahead; a dial no hook started (a library's
// own) is judged too, in the name of the entry point.
func TestEgressDetect(t *testing.T) {
	withEgress(t, []string{"api.example.com:443"})
	events := inDetectMode(t, func() {
		ctx := markedContext(context.Background(), egressSite(), 1, "evil.example:443")
		if err := dialCheck(ctx, "tcp", "evil.example:443", tcpAddr("93.184.215.99:443")); err != nil {
			t.Errorf("detect mode refused the dial: %v", err)
		}
		if err := dialCheck(context.Background(), "udp", "statsd.example:8125", &net.UDPAddr{IP: net.IPv4(198, 51, 100, 9), Port: 8125}); err != nil {
			t.Errorf("detect mode refused the unmarked dial: %v", err)
		}
	})
	for _, want := range []string{
		`"rule":"egress-unlisted","family":"net","mode":"detect","verdict":"detected","site":"app/egress.go:`,
		`"value":"evil.example:443","detail":"connecting to evil.example:443 (93.184.215.99), which egress.hosts does not list; entry to allow it: \"evil.example:443\""`,
		`"sink":"net entry point","value":"statsd.example:8125"`,
	} {
		if !strings.Contains(events, want) {
			t.Errorf("events lack %s:\n%s", want, events)
		}
	}
	if n := strings.Count(events, `"msg":"rasp finding"`); n != 2 {
		t.Errorf("%d findings, want 2:\n%s", n, events)
	}
}

// TestEgressNoList: without an egress list nothing is judged against it.
func TestEgressNoList(t *testing.T) {
	withEgress(t, nil)
	events := inBlockMode(t, func() {
		ctx := markedContext(context.Background(), egressSite(), 1, "evil.example:443")
		if err := dialCheck(ctx, "tcp", "evil.example:443", tcpAddr("93.184.215.99:443")); err != nil {
			t.Errorf("%v", err)
		}
		if err := dialCheck(context.Background(), "tcp", "evil.example:443", tcpAddr("93.184.215.99:443")); err != nil {
			t.Errorf("%v", err)
		}
	})
	if events != "" {
		t.Errorf("events %s", events)
	}
}

// TestEgressLoopback: loopback and the local system are not egress unless
// the list names a loopback destination; then they are judged like any
// other, ports included. Unix sockets never are.
func TestEgressLoopback(t *testing.T) {
	for _, c := range []struct {
		hosts             []string
		address, resolved string
		blocked           bool
	}{
		{[]string{"api.example.com"}, "127.0.0.1:8080", "127.0.0.1:8080", false},
		{[]string{"api.example.com"}, "localhost:8080", "[::1]:8080", false},
		{[]string{"api.example.com"}, ":8080", ":8080", false},
		{[]string{}, "127.0.0.2:9", "127.0.0.2:9", false},
		{[]string{"127.0.0.1:8080"}, "127.0.0.1:8080", "127.0.0.1:8080", false},
		{[]string{"127.0.0.1:8080"}, "127.0.0.1:9090", "127.0.0.1:9090", true},
		{[]string{"127.0.0.1:8080"}, "127.0.0.2:8080", "127.0.0.2:8080", true},
		{[]string{"127.0.0.1:8080"}, ":8080", ":8080", true},
		{[]string{"localhost:15001"}, "localhost:15001", "127.0.0.1:15001", false},
		{[]string{"localhost:15001"}, "localhost:15002", "127.0.0.1:15002", true},
		{[]string{"[::1]"}, "127.0.0.1:80", "127.0.0.1:80", true},
		{[]string{"127.0.0.0/8"}, "127.0.0.9:80", "127.0.0.9:80", false},
		{[]string{"127.0.0.0/8"}, "[::1]:80", "[::1]:80", true},
	} {
		withEgress(t, c.hosts)
		inBlockMode(t, func() {
			err := dialCheck(context.Background(), "tcp", c.address, tcpAddr(c.resolved))
			if errors.Is(err, rasp.ErrBlocked) != c.blocked {
				t.Errorf("list %q, %s -> %s: err = %v, want blocked %v", c.hosts, c.address, c.resolved, err, c.blocked)
			}
			if err := dialCheck(context.Background(), "unix", "/run/agent.sock", &net.UnixAddr{Name: "/run/agent.sock", Net: "unix"}); err != nil {
				t.Errorf("a Unix socket was judged: %v", err)
			}
		})
	}
	for e, want := range map[string]bool{
		"127.0.0.1": true, "127.0.0.1:80": true, "[::1]:443": true, "::1": true, "localhost": true, "LocalHost.:80": true,
		"*.localhost": true, "0.0.0.0/0": true, "::/0": true, "127.1.0.0/16": true, "0.0.0.0": true, "[::]:80": true,
		"10.0.0.0/8": false, "api.example.com:443": false, "*.example.com": false, "2001:db8::1": false, "[::2]:80": false,
	} {
		if got := namesLoopback(e); got != want {
			t.Errorf("namesLoopback(%q) = %v, want %v", e, got, want)
		}
	}
}

// TestEgressProxy: a dial to the configured proxy for an HTTP call is
// judged by the call's destination (its latest redirect's); one that no
// hook started is not judged.
func TestEgressProxy(t *testing.T) {
	old := proxyAddrs
	proxyAddrs = func() map[string]bool { return map[string]bool{"10.5.5.5:3128": true} }
	defer func() { proxyAddrs = old }()
	withEgress(t, []string{"api.example.com:443"})
	site := &callsite.Site{File: "proxy.go", Line: 1, Sink: "net/http.(*Client).Do", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(-1, false, "", "")}}
	events := inBlockMode(t, func() {
		proxy := tcpAddr("10.5.5.5:3128")
		if err := dialCheck(context.Background(), "tcp", "10.5.5.5:3128", proxy); err != nil {
			t.Errorf("an unmarked dial to the proxy: %v", err)
		}
		ctx, m := mark(context.Background(), site, -1, "https://api.example.com/v1")
		m.enter(mustURL(t, "https://api.example.com/v1"))
		defer m.leave()
		if err := dialCheck(ctx, "tcp", "10.5.5.5:3128", proxy); err != nil {
			t.Errorf("the proxy for a listed destination: %v", err)
		}
		m.enterRedirect(mustURL(t, "http://evil.example/x"))
		if err := dialCheck(ctx, "tcp", "10.5.5.5:3128", proxy); !errors.Is(err, rasp.ErrBlocked) {
			t.Errorf("the proxy for an unlisted redirect: err = %v, want blocked", err)
		}
	})
	if !strings.Contains(events, `"value":"evil.example:80","detail":"connecting to evil.example:80, which egress.hosts`) {
		t.Errorf("events %s", events)
	}
}

// TestEgressRedirect: HTTP calls through the (*http.Client).Do hook, with
// a transport that runs the dial hook as the patched package net does: a
// listed server is reached; its redirect to an unlisted port on the same
// host is refused in block mode, and followed and recorded in detect mode.
func TestEgressRedirect(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "unlisted") }))
	defer target.Close()
	listed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/go" {
			http.Redirect(w, r, target.URL+"/", http.StatusFound)
			return
		}
		io.WriteString(w, "listed")
	}))
	defer listed.Close()
	withEgress(t, []string{listed.Listener.Addr().String()})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DialContext: hookedDial}}
	site := &callsite.Site{Package: "app", File: "redirect.go", Line: 1, Sink: "net/http.(*Client).Do", Family: event.FamilyNet, Static: true}
	get := func(u string) (string, error) {
		req, _ := http.NewRequest("GET", u, nil)
		resp, err := ClientDo(site, client, req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), nil
	}
	events := inBlockMode(t, func() {
		if body, err := get(listed.URL + "/"); err != nil || body != "listed" {
			t.Errorf("the listed server: %q, %v", body, err)
		}
		if _, err := get(listed.URL + "/go"); !errors.Is(err, rasp.ErrBlocked) {
			t.Errorf("the redirect to an unlisted port: err = %v, want blocked", err)
		}
	})
	unlisted := target.Listener.Addr().String()
	if !strings.Contains(events, `"verdict":"blocked","site":"app/redirect.go:1","sink":"net/http.(*Client).Do","value":"`+unlisted+`"`) {
		t.Errorf("block events %s", events)
	}
	site.Line = 2
	events = inDetectMode(t, func() {
		if body, err := get(listed.URL + "/go"); err != nil || body != "unlisted" {
			t.Errorf("detect mode: %q, %v", body, err)
		}
	})
	if strings.Count(events, `"rule":"egress-unlisted"`) != 1 || !strings.Contains(events, `"verdict":"detected","site":"app/redirect.go:2"`) {
		t.Errorf("detect events %s", events)
	}
}

// hookedDial dials as the patched package net does: the dial hook judges
// the address and what it resolved to first.
func hookedDial(ctx context.Context, network, address string) (net.Conn, error) {
	ra, err := net.ResolveTCPAddr(network, address)
	if err != nil {
		return nil, err
	}
	if err := dialCheck(ctx, network, address, ra); err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: ra, Err: err}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// BenchmarkDialCheckEgressAllowed is a dial no hook started to a host the
// egress list names (among a few entries): what the list adds to a dial.
func BenchmarkDialCheckEgressAllowed(b *testing.B) {
	withEgress(b, []string{"api.example.com:443", "*.cdn.example", "10.0.0.0/8", "example.com:80", "telemetry.example:4317"})
	ctx := context.Background()
	ra := tcpAddr("93.184.215.14:80")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if dialCheck(ctx, "tcp", "example.com:80", ra) != nil {
			b.Fatal("blocked")
		}
	}
}

// BenchmarkDialCheckEgressMarked is the same through a hook's mark (an
// HTTP call of the program).
func BenchmarkDialCheckEgressMarked(b *testing.B) {
	withEgress(b, []string{"api.example.com:443", "*.cdn.example", "10.0.0.0/8", "example.com:80", "telemetry.example:4317"})
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

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
