package clientip

import (
	"math/rand/v2"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// TestModel compares Client with a plain model of the rule (strings.Split,
// no parsing in place) over random X-Forwarded-For chains of trusted,
// untrusted, empty and invalid entries, with ports and spaces.
func TestModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	pool := []string{
		"10.0.0.2", "10.1.2.3:8080", "203.0.113.10", "[2001:db8:ffff::9]:443", "2001:db8:ffff::1", // trusted
		"198.51.100.7", "192.0.2.66:1234", "2001:db8::7", "[2001:db8::8]", "::ffff:198.51.100.9", // untrusted
		"", " ", "unknown", "1.2.3", "fe80::1%eth0", "10.0.0.2:http", // empty or invalid
	}
	peer := netip.MustParseAddr("10.0.0.1")
	for i := 0; i < 20000; i++ {
		var lines []string
		for l := 0; l < 1+r.IntN(3); l++ {
			var elems []string
			for e := 0; e < 1+r.IntN(4); e++ {
				elems = append(elems, strings.Repeat(" ", r.IntN(2))+pool[r.IntN(len(pool))])
			}
			lines = append(lines, strings.Join(elems, ","))
		}
		h := http.Header{"X-Forwarded-For": lines}
		want := model(peer, lines)
		if got := Client(peer, h, proxies); got != want {
			t.Fatalf("X-Forwarded-For %q: Client = %s, model = %s", lines, got, want)
		}
	}
}

// model is the rule of X-Forwarded-For written plainly.
func model(peer netip.Addr, lines []string) netip.Addr {
	var elems []string
	for _, l := range lines {
		elems = append(elems, strings.Split(l, ",")...)
	}
	if strings.TrimSpace(strings.Join(elems, "")) == "" {
		return peer
	}
	last := peer
	for i := len(elems) - 1; i >= 0; i-- {
		e := strings.TrimSpace(elems[i])
		if e == "" {
			continue
		}
		if ap, err := netip.ParseAddrPort(e); err == nil {
			e = ap.Addr().String()
		} else if strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]") {
			e = e[1 : len(e)-1]
		}
		a, err := netip.ParseAddr(e)
		if err != nil || a.Zone() != "" {
			return last
		}
		a = a.Unmap()
		if !proxies.Contains(a) {
			return a
		}
		last = a
	}
	return last
}
