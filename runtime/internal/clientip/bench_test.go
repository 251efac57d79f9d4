package clientip

import (
	"net/http"
	"net/netip"
	"testing"
)

var sink netip.Addr

// BenchmarkClientUntrustedPeer is a request straight from a client: the
// headers are not read.
func BenchmarkClientUntrustedPeer(b *testing.B) {
	peer := netip.MustParseAddr("198.51.100.7")
	h := http.Header{"X-Forwarded-For": {"192.0.2.66"}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sink = Client(peer, h, proxies)
	}
}

// BenchmarkClientTwoProxies is a request through two trusted proxies,
// with a fake address the client prepended.
func BenchmarkClientTwoProxies(b *testing.B) {
	peer := netip.MustParseAddr("10.0.0.2")
	h := http.Header{"X-Forwarded-For": {"192.0.2.66, 198.51.100.7, 203.0.113.10"}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sink = Client(peer, h, proxies)
	}
	if sink.String() != "198.51.100.7" {
		b.Fatal(sink)
	}
}

// BenchmarkClientForwarded is BenchmarkClientTwoProxies with Forwarded.
func BenchmarkClientForwarded(b *testing.B) {
	peer := netip.MustParseAddr("10.0.0.2")
	h := http.Header{"Forwarded": {`for=192.0.2.66, for="[2001:db8::7]:4711";proto=https, for=203.0.113.10;by=10.0.0.2`}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sink = Client(peer, h, proxies)
	}
	if sink.String() != "2001:db8::7" {
		b.Fatal(sink)
	}
}
