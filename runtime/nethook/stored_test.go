package nethook

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/literal"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// TestStoredDestination: outside any request, a dynamic host that is in
// neither the program nor its configuration and resolves to an internal
// address was stored at run time: a finding whose detail names the
// allow.ssrf_hosts entry that allows it.
func TestStoredDestination(t *testing.T) {
	dyn := &callsite.Site{Sink: "net/http.(*Client).Do", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(-1, false, "", "")}}
	static := &callsite.Site{Sink: "net/http.(*Client).Do", Family: event.FamilyNet, Static: true}
	opaque := &callsite.Site{Sink: "net/http.(*Client).Do", Family: event.FamilyNet}
	cases := []struct {
		name          string
		site          *callsite.Site
		inRequest     bool
		url, resolved string
		blocked       bool
	}{
		{"stored loopback webhook", dyn, false, "http://127.0.0.1:9999/hook", "127.0.0.1:9999", true},
		{"stored name resolving to a private address", dyn, false, "http://mirror.example:80/x", "10.1.2.3:80", true},
		{"stored IPv6 loopback", dyn, false, "http://[::1]:9999/hook", "[::1]:9999", true},
		{"stored public webhook", dyn, false, "http://hooks.example:80/x", "93.184.215.14:80", false},
		{"configured upstream name", dyn, false, "http://upstream.internal:80/x", "10.0.0.5:80", false},
		{"configured upstream address", dyn, false, "http://10.0.0.7:80/x", "10.0.0.7:80", false},
		{"written in the program", static, false, "http://127.0.0.1:9999/hook", "127.0.0.1:9999", false},
		{"opaque call (Client.Do), stored", opaque, false, "http://127.0.0.1:9999/hook", "127.0.0.1:9999", true},
		{"opaque call, configured", opaque, false, "http://upstream.internal:80/x", "10.0.0.5:80", false},
		{"in a request, no input chose it", dyn, true, "http://127.0.0.1:9999/hook", "127.0.0.1:9999", false},
	}
	for i, c := range cases {
		if !c.site.Static {
			c.site = &callsite.Site{File: "stored.go", Line: i + 1, Sink: c.site.Sink, Family: c.site.Family, Tmpls: c.site.Tmpls} // events are limited per site
		}
		events := inBlockMode(t, func() {
			ctx := context.Background()
			if c.inRequest {
				ctx = reqCtx("unrelated")
			}
			ctx, _ = mark(ctx, c.site, -1, c.url)
			u, _ := url.Parse(c.url)
			err := dialCheck(ctx, "tcp", u.Host, tcpAddr(c.resolved))
			if (err != nil) != c.blocked {
				t.Errorf("%s: err = %v, want blocked %v", c.name, err, c.blocked)
			}
		})
		if c.blocked {
			host := hostOf(c.url)
			if !strings.Contains(events, `"rule":"ssrf-internal"`) ||
				!strings.Contains(events, `allow.ssrf_hosts entry to allow it: \"`+host+`\"`) {
				// the JSON of the detail, whose quotes are escaped
				t.Errorf("%s: events %s", c.name, events)
			}
		} else if events != "" {
			t.Errorf("%s: events %s", c.name, events)
		}
	}
}

// TestStoredDestinationAllowed: an operator's allow.ssrf_hosts entry
// allows a stored internal destination (an admin's loopback webhook).
func TestStoredDestinationAllowed(t *testing.T) {
	dyn := &callsite.Site{Sink: "net/http.(*Client).Do", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(-1, false, "", "")}}
	old := judge.CurrentPolicy().Policy
	defer judge.SetPolicy(old, "")
	if err := judge.SetPolicy(policy.Policy{Allow: policy.Allow{SSRFHosts: []string{"127.0.0.3"}}}, "test"); err != nil {
		t.Fatal(err)
	}
	inBlockMode(t, func() {
		ctx := markedContext(context.Background(), dyn, -1, "http://127.0.0.3:8080/hook")
		if err := dialCheck(ctx, "tcp", "127.0.0.3:8080", tcpAddr("127.0.0.3:8080")); err != nil {
			t.Errorf("the allowlisted webhook: %v", err)
		}
		ctx = markedContext(context.Background(), dyn, -1, "http://127.0.0.1:8080/hook")
		if err := dialCheck(ctx, "tcp", "127.0.0.1:8080", tcpAddr("127.0.0.1:8080")); !errors.Is(err, rasp.ErrBlocked) {
			t.Errorf("another loopback address: err = %v, want blocked", err)
		}
	})
}

// TestNameResolvingToMetadata: a dial no hook started is judged only for a
// name that resolves to a metadata address; an address written as an IP
// and the metadata names are the cloud SDKs' own.
func TestNameResolvingToMetadata(t *testing.T) {
	cases := []struct {
		address, resolved string
		blocked           bool
	}{
		{"evil.example:80", "169.254.169.254:80", true},
		{"evil.example:80", "[fd00:ec2::254]:80", true},
		{"evil.example:80", "100.100.100.200:80", true},
		{"169.254.169.254:80", "169.254.169.254:80", false},
		{"[fd00:ec2::254]:80", "[fd00:ec2::254]:80", false},
		{"metadata.google.internal:80", "169.254.169.254:80", false},
		{"evil.example:80", "127.0.0.1:80", false},
		{"example.com:80", "93.184.215.14:80", false},
	}
	for _, c := range cases {
		events := inBlockMode(t, func() {
			err := dialCheck(context.Background(), "tcp", c.address, tcpAddr(c.resolved))
			if (err != nil) != c.blocked {
				t.Errorf("%s -> %s: err = %v, want blocked %v", c.address, c.resolved, err, c.blocked)
			}
		})
		if c.blocked != strings.Contains(events, `"rule":"ssrf-metadata"`) {
			t.Errorf("%s -> %s: events %s", c.address, c.resolved, events)
		}
	}
}

// TestRedirectThroughContextDroppingDialer: a client whose transport dials
// with net.DialTimeout, dropping the context, follows a redirect to a
// loopback address: refused when the redirect is followed, outside any
// request, whoever chose the first URL. A redirect to a public name and one
// to the same host are not.
func TestRedirectThroughContextDroppingDialer(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "internal secret") }))
	defer target.Close()
	_, port, _ := net.SplitHostPort(target.Listener.Addr().String())
	loc := ""
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, loc, http.StatusFound)
	}))
	defer redirector.Close()
	inner := &callsite.Site{Sink: "net.DialTimeout", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(1, false, "", "")}}
	client := &http.Client{Transport: &http.Transport{DialContext: func(_ context.Context, network, addr string) (net.Conn, error) {
		return NetDialTimeout(inner, network, addr, 5*time.Second)
	}}}
	static := &callsite.Site{Sink: "net/http.(*Client).Do", Family: event.FamilyNet, Static: true}
	dyn := &callsite.Site{Sink: "net/http.(*Client).Do", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(-1, false, "", "")}}
	for i, c := range []struct {
		loc     string
		site    *callsite.Site
		blocked bool
	}{
		{"http://localhost:" + port + "/", dyn, true},
		{"http://localhost:" + port + "/", static, true},
		{"http://169.254.169.254/latest/meta-data/", dyn, true},
		{"http://127.0.0.1:" + port + "/", dyn, false}, // the same host as the first URL
	} {
		loc = c.loc
		c.site = &callsite.Site{File: "redirect.go", Line: i + 1, Sink: c.site.Sink, Family: c.site.Family, Tmpls: c.site.Tmpls, Static: c.site.Static} // events are limited per site
		events := inBlockMode(t, func() {
			req, _ := http.NewRequest("POST", redirector.URL+"/hook", strings.NewReader("{}"))
			resp, err := ClientDo(c.site, client, req)
			if err == nil {
				resp.Body.Close()
			}
			if errors.Is(err, rasp.ErrBlocked) != c.blocked {
				t.Errorf("redirect to %s: err = %v, want blocked %v", c.loc, err, c.blocked)
			}
		})
		if c.blocked && !strings.Contains(events, `"detail":"a redirect led to `) {
			t.Errorf("redirect to %s: events %s", c.loc, events)
		}
	}
	if inflight.n.Load() != 0 {
		t.Errorf("%d inflight entries left after the calls", inflight.n.Load())
	}
}

// TestInflightMark: while a client call is in progress, a dial without a
// mark to the address it leads to is the call's, and is not judged at its
// own call site; before and after, it is not.
func TestInflightMark(t *testing.T) {
	dyn := &callsite.Site{Sink: "net/http.(*Client).Do", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(-1, false, "", "")}}
	inner := &callsite.Site{Sink: "net.DialTimeout", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(1, false, "", "")}}
	_, m := mark(nil, dyn, -1, "http://Hooks.Example/x")
	if inflightMark("hooks.example:80") != nil {
		t.Fatal("a mark before the call entered")
	}
	u, _ := url.Parse("http://Hooks.Example/x")
	m.enter(u)
	if got := inflightMark("hooks.example:80"); got != m {
		t.Errorf("inflightMark = %p, want %p", got, m)
	}
	if got := inflightMark("hooks.example:443"); got != nil {
		t.Errorf("another port: %p", got)
	}
	ctx, err := dialContext(nil, inner, 1, "tcp", "hooks.example:80")
	if err != nil || ctx.Value(markKey{}) != m {
		t.Errorf("dialContext: err %v, mark %v", err, ctx.Value(markKey{}))
	}
	m.leave()
	if inflightMark("hooks.example:80") != nil || inflight.n.Load() != 0 {
		t.Error("the entry outlived the call")
	}
}

// TestProgramStringIsTheProgramsHost: a URL that is a string constant of
// the program was written by the programmer, even through a variable; the
// same text read at run time was not.
func TestProgramStringIsTheProgramsHost(t *testing.T) {
	if !literal.Known() {
		t.Skip("no /proc/self/maps")
	}
	programString = literal.Is
	defer func() { programString = func(string) bool { return false } }()
	opaque := &callsite.Site{Sink: "net/http.Get", Family: event.FamilyNet}
	const sdk = "http://169.254.169.254/latest/meta-data/"
	inBlockMode(t, func() {
		if err := checkURL(nil, opaque, 0, sdk); err != nil {
			t.Errorf("the program's own metadata URL: %v", err)
		}
		if err := checkURL(nil, opaque, 0, string([]byte(sdk))); !errors.Is(err, rasp.ErrBlocked) {
			t.Errorf("the same URL read at run time: err = %v, want blocked", err)
		}
	})
}
