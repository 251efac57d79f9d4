package clientip

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/ipset"
)

// proxies is the trusted set of the tests: a private /8 of load balancers,
// one public proxy, and an IPv6 /64.
var proxies = mustSet("10.0.0.0/8", "203.0.113.10", "2001:db8:ffff::/64")

func mustSet(entries ...string) *ipset.Set {
	s, err := ipset.Parse(entries)
	if err != nil {
		panic(err)
	}
	return s
}

// header builds an http.Header from key, value pairs; a key given twice
// makes two lines.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// TestClient is the table of the rule: each case a peer, headers, and the
// client Client must return.
func TestClient(t *testing.T) {
	const (
		lb     = "10.0.0.2"         // a trusted load balancer
		edge   = "203.0.113.10"     // a trusted proxy
		lb6    = "2001:db8:ffff::2" // a trusted IPv6 proxy
		client = "198.51.100.7"     // the real client
		fake   = "192.0.2.66"       // what an attacker would like to be
	)
	tests := []struct {
		name    string
		peer    string
		headers http.Header
		want    string
	}{
		// Untrusted peers: headers are never believed.
		{"untrusted peer, spoofed XFF", client, header("X-Forwarded-For", fake), client},
		{"untrusted peer, spoofed XFF of a trusted address", client, header("X-Forwarded-For", lb), client},
		{"untrusted peer, spoofed Forwarded", client, header("Forwarded", "for="+fake), client},
		{"untrusted peer, spoofed X-Real-IP", client, header("X-Real-IP", fake), client},
		{"untrusted IPv6 peer", "2001:db8::7", header("X-Forwarded-For", fake), "2001:db8::7"},
		{"zero peer", "", header("X-Forwarded-For", fake), ""},

		// X-Forwarded-For behind trusted proxies.
		{"one trusted proxy", lb, header("X-Forwarded-For", client), client},
		{"two trusted proxies", lb, header("X-Forwarded-For", client+", "+edge), client},
		{"two trusted proxies, one line each", lb, header("X-Forwarded-For", client, "X-Forwarded-For", edge), client},
		{"prepended fake address is not believed", lb, header("X-Forwarded-For", fake+", "+client+", "+edge), client},
		{"prepended fake line is not believed", lb, header("X-Forwarded-For", fake, "X-Forwarded-For", client+","+edge), client},
		{"fake trusted address left of the client changes nothing", lb, header("X-Forwarded-For", edge+", "+client), client},
		{"every hop trusted: the leftmost", lb, header("X-Forwarded-For", "10.9.9.9, "+edge+", 10.0.0.3"), "10.9.9.9"},
		{"no spaces, tabs", lb, header("X-Forwarded-For", "\t"+client+"\t,"+edge), client},
		{"ports are dropped", lb, header("X-Forwarded-For", client+":51234, "+edge+":443"), client},
		{"empty elements are skipped", lb, header("X-Forwarded-For", ",,"+client+", ,"+edge+","), client},
		{"empty header falls through to Forwarded", lb, header("X-Forwarded-For", " , ", "Forwarded", "for="+client), client},
		{"XFF first, Forwarded ignored", lb, header("X-Forwarded-For", client, "Forwarded", "for="+fake), client},
		{"XFF, walk ending early does not fall through", lb, header("X-Forwarded-For", "garbage", "Forwarded", "for="+fake), lb},

		// Invalid entries stop the walk at the trusted hop to their right.
		{"garbage rightmost: the peer", lb, header("X-Forwarded-For", fake+", nonsense"), lb},
		{"garbage after a trusted hop: that hop", lb, header("X-Forwarded-For", fake+", not-an-ip, "+edge), edge},
		{"host name", lb, header("X-Forwarded-For", "client.example, "+edge), edge},
		{"zone", lb, header("X-Forwarded-For", "fe80::1%eth0"), lb},
		{"bad port", lb, header("X-Forwarded-For", client+":http"), lb},
		{"port over 65535", lb, header("X-Forwarded-For", client+":65536"), lb},
		{"port 65535", lb, header("X-Forwarded-For", client+":65535"), client},
		{"unclosed bracket", lb, header("X-Forwarded-For", "[2001:db8::1"), lb},

		// IPv6 in X-Forwarded-For.
		{"IPv6 client", lb, header("X-Forwarded-For", "2001:db8::7"), "2001:db8::7"},
		{"IPv6 client in brackets", lb, header("X-Forwarded-For", "[2001:db8::7]"), "2001:db8::7"},
		{"IPv6 client with a port", lb, header("X-Forwarded-For", "[2001:db8::7]:443"), "2001:db8::7"},
		{"IPv6 proxies", lb6, header("X-Forwarded-For", "2001:db8::7, [2001:db8:ffff::3]:80"), "2001:db8::7"},
		{"IPv4-mapped IPv6 peer and hop", "::ffff:10.0.0.2", header("X-Forwarded-For", "::ffff:"+client+", ::ffff:"+edge), client},

		// Forwarded (RFC 7239).
		{"Forwarded", lb, header("Forwarded", "for="+client), client},
		{"Forwarded, two proxies", lb, header("Forwarded", "for="+client+";proto=https, for="+edge+";by=10.0.0.2"), client},
		{"Forwarded, two lines", lb, header("Forwarded", "for="+client, "Forwarded", "for="+edge), client},
		{"Forwarded, prepended fake", lb, header("Forwarded", "for="+fake+", for="+client+", for="+edge), client},
		{"Forwarded, quoted", lb, header("Forwarded", `for="`+client+`"`), client},
		{"Forwarded, quoted with port", lb, header("Forwarded", `for="`+client+`:4711"`), client},
		{"Forwarded, IPv6", lb, header("Forwarded", `for="[2001:db8:cafe::17]:4711"`), "2001:db8:cafe::17"},
		{"Forwarded, IPv6 no port", lb, header("Forwarded", `For="[2001:db8:cafe::17]"`), "2001:db8:cafe::17"},
		{"Forwarded, obfuscated port", lb, header("Forwarded", `for="[2001:db8:cafe::17]:_p1"`), "2001:db8:cafe::17"},
		{"Forwarded, case and spaces", lb, header("Forwarded", ` Proto=http ; FOR = `+client+` ; by=x , for=`+edge), client},
		{"Forwarded, quoted comma and semicolon", lb, header("Forwarded", `for=`+client+`;ext="a,b;c", for=`+edge+`;ext="x\",y"`), client},
		{"Forwarded, unknown stops at the hop to its right", lb, header("Forwarded", "for="+fake+", for=unknown, for="+edge), edge},
		{"Forwarded, obfuscated stops", lb, header("Forwarded", "for="+fake+`, for="_hidden", for=`+edge), edge},
		{"Forwarded, unknown rightmost: the peer", lb, header("Forwarded", "for=unknown"), lb},
		{"Forwarded, element without for", lb, header("Forwarded", "for="+fake+", proto=https"), lb},
		{"Forwarded, two for in one element", lb, header("Forwarded", "for="+fake+";for="+client), lb},
		{"Forwarded, unclosed quote left of a trusted hop", lb, header("Forwarded", `for="`+fake+", for="+edge), edge},
		{"Forwarded, escapes are not an address", lb, header("Forwarded", `for="\1.2.3.4"`), lb},
		{"Forwarded, empty elements", lb, header("Forwarded", ", for="+client+",,"), client},

		// X-Real-IP.
		{"X-Real-IP", lb, header("X-Real-IP", client), client},
		{"X-Real-IP, IPv6 with port", lb, header("X-Real-IP", "[2001:db8::7]:80"), "2001:db8::7"},
		{"X-Real-IP, two lines ignored", lb, header("X-Real-IP", fake, "X-Real-IP", client), lb},
		{"X-Real-IP, a list ignored", lb, header("X-Real-IP", fake+", "+client), lb},
		{"X-Real-IP, garbage ignored", lb, header("X-Real-IP", "client"), lb},
		{"Forwarded before X-Real-IP", lb, header("Forwarded", "for="+client, "X-Real-IP", fake), client},

		// No headers.
		{"trusted peer, no headers", lb, header(), lb},
		{"trusted peer, nil headers", lb, nil, lb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var peer netip.Addr
			if tt.peer != "" {
				peer = netip.MustParseAddr(tt.peer)
			}
			var h Headers
			if tt.headers != nil {
				h = tt.headers
			}
			got := Client(peer, h, proxies)
			if got.String() != addrString(tt.want) {
				t.Errorf("Client(%s, %v) = %s, want %s", tt.peer, tt.headers, got, addrString(tt.want))
			}
		})
	}
}

func addrString(s string) string {
	if s == "" {
		return netip.Addr{}.String()
	}
	return s
}

// TestClientNoTrust checks that with no trusted set, or an empty one, the
// peer is the client whatever the headers say.
func TestClientNoTrust(t *testing.T) {
	peer := netip.MustParseAddr("10.0.0.2")
	h := header("X-Forwarded-For", "192.0.2.66", "Forwarded", "for=192.0.2.66", "X-Real-IP", "192.0.2.66")
	for _, trusted := range []*ipset.Set{nil, mustSet()} {
		if got := Client(peer, h, trusted); got != peer {
			t.Errorf("Client with trusted %v = %s, want the peer", trusted, got)
		}
	}
}

// TestHeaderFunc checks the adapter, with lower-case keys as gRPC
// metadata has them.
func TestHeaderFunc(t *testing.T) {
	md := map[string][]string{"x-forwarded-for": {"198.51.100.7, 10.0.0.9"}}
	h := HeaderFunc(func(key string) []string { return md[strings.ToLower(key)] })
	if got := Client(netip.MustParseAddr("10.0.0.2"), h, proxies); got.String() != "198.51.100.7" {
		t.Errorf("Client = %s, want 198.51.100.7", got)
	}
}

// TestPeerAddr checks the forms of http.Request.RemoteAddr.
func TestPeerAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1:1234", "192.0.2.1"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"[fe80::1%eth0]:443", "fe80::1%eth0"},
		{"[::ffff:192.0.2.1]:80", "192.0.2.1"},
		{"192.0.2.1", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"[2001:db8::1]", "2001:db8::1"},
		{"", ""},
		{"@", ""},
		{"pipe", ""},
		{"host.example:80", ""},
		{"192.0.2.1:", ""},
		{"192.0.2.1:port", ""},
		{"[2001:db8::1]443", ""},
		{"[2001:db8::1", ""},
	}
	for _, tt := range tests {
		if got := PeerAddr(tt.in); got.String() != addrString(tt.want) {
			t.Errorf("PeerAddr(%q) = %s, want %s", tt.in, got, addrString(tt.want))
		}
	}
}

// TestNoAllocs checks that Client does not allocate, from an untrusted
// peer and behind proxies, with each header.
func TestNoAllocs(t *testing.T) {
	lb := netip.MustParseAddr("10.0.0.2")
	for _, h := range []http.Header{
		header("X-Forwarded-For", "192.0.2.66, 198.51.100.7, 203.0.113.10"),
		header("Forwarded", `for=192.0.2.66, for="[2001:db8::7]:443";proto=https, for=203.0.113.10`),
		header("X-Real-IP", "198.51.100.7"),
		header("X-Forwarded-For", "garbage, 203.0.113.10"),
	} {
		for _, peer := range []netip.Addr{lb, netip.MustParseAddr("192.0.2.1")} {
			if n := testing.AllocsPerRun(100, func() { Client(peer, h, proxies) }); n != 0 {
				t.Errorf("Client(%s, %v) allocates %v times", peer, h, n)
			}
		}
	}
}
