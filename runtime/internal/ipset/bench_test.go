package ipset

import (
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"testing"
)

// feed100k returns 100,000 random entries in the shape of a threat feed:
// nine in ten IPv4, mostly single addresses and /24s, some /16 to /23, a
// few /9 to /15 and a handful of /8; one in ten IPv6, /32 to /128.
func feed100k() []string {
	r := rand.New(rand.NewPCG(1, 100000))
	entries := make([]string, 100000)
	for i := range entries {
		var bits int
		v6 := r.IntN(10) == 0
		switch x := r.IntN(10000); {
		case v6:
			bits = 32 + r.IntN(97)
		case x < 5:
			bits = 8
		case x < 100:
			bits = 9 + r.IntN(7)
		case x < 1500:
			bits = 16 + r.IntN(8)
		case x < 4500:
			bits = 24
		case x < 5500:
			bits = 25 + r.IntN(7)
		default:
			bits = 32
		}
		entries[i] = netip.PrefixFrom(randAddr(r, v6), bits).Masked().String()
	}
	return entries
}

// probes returns n addresses to look up: half in the feed (an address of
// a random entry), half random (mostly missing).
func probes(entries []string, n int) []netip.Addr {
	r := rand.New(rand.NewPCG(2, 2))
	out := make([]netip.Addr, n)
	for i := range out {
		if i%2 == 0 {
			p := netip.MustParsePrefix(entries[r.IntN(len(entries))])
			out[i] = nearEdge(r, p)
		} else {
			out[i] = randAddr(r, r.IntN(10) == 0)
		}
	}
	return out
}

// BenchmarkContains100k looks up addresses in a set of 100,000 entries.
func BenchmarkContains100k(b *testing.B) {
	entries := feed100k()
	s, err := Parse(entries)
	if err != nil {
		b.Fatal(err)
	}
	addrs := probes(entries, 1<<12)
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		if s.Contains(addrs[i&(len(addrs)-1)]) {
			hits++
		}
	}
	b.StopTimer()
	if hits == 0 && b.N > len(addrs) {
		b.Fatal("no address found")
	}
}

// BenchmarkParse100k builds a set of 100,000 entries, and reports the
// memory the set keeps per entry (bytes/entry) and its ranges after
// merging (ranges).
func BenchmarkParse100k(b *testing.B) {
	entries := feed100k()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(entries); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	bytes, s := retained(entries)
	b.ReportMetric(float64(bytes)/float64(len(entries)), "bytes/entry")
	b.ReportMetric(float64(s.Len()), "ranges")
}

// retained parses entries and returns the set and the heap it keeps
// alive, measured with runtime.ReadMemStats.
func retained(entries []string) (uint64, *Set) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := Parse(entries)
	if err != nil {
		panic(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(entries) // else they are garbage after Parse, and count against the set
	runtime.KeepAlive(s)
	if after.HeapAlloc < before.HeapAlloc {
		return 0, s
	}
	return after.HeapAlloc - before.HeapAlloc, s
}

// TestMemory100k logs what a set of 100,000 entries costs, and fails if it
// keeps more than its ranges need (8 bytes an IPv4 range, 32 an IPv6
// range) with some slack.
func TestMemory100k(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 100,000 entries")
	}
	entries := feed100k()
	bytes, s := retained(entries)
	need := uint64(8*len(s.v4) + 32*len(s.v6))
	t.Logf("100,000 entries: %d ranges (%d IPv4, %d IPv6), %d bytes retained, %.1f bytes/entry, %.1f bytes/range",
		s.Len(), len(s.v4), len(s.v6), bytes, float64(bytes)/1e5, float64(bytes)/float64(s.Len()))
	if bytes > need+need/4+64<<10 {
		t.Errorf("the set keeps %d bytes, its ranges need %d", bytes, need)
	}
}

// BenchmarkRead100k builds the set of BenchmarkParse100k from a file's
// text, one entry a line with comments.
func BenchmarkRead100k(b *testing.B) {
	var text strings.Builder
	text.WriteString("# threat feed\n")
	for i, e := range feed100k() {
		text.WriteString(e)
		if i%10 == 0 {
			text.WriteString(" # listed\n")
		} else {
			text.WriteString("\n")
		}
	}
	feed := text.String()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Read(strings.NewReader(feed), "feed.txt"); err != nil {
			b.Fatal(err)
		}
	}
}
