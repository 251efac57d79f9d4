package ipset

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// TestContains checks Parse and Contains on small lists: each case lists
// the entries, the number of ranges they merge into, and addresses in and
// out of the set.
func TestContains(t *testing.T) {
	tests := []struct {
		name    string
		entries []string
		len     int
		in, out []string
	}{
		{
			name:    "nested",
			entries: []string{"10.1.0.0/16", "10.0.0.0/8", "10.255.255.255", "10.1.2.0/24"},
			len:     1,
			in:      []string{"10.0.0.0", "10.1.2.3", "10.255.255.255"},
			out:     []string{"9.255.255.255", "11.0.0.0"},
		},
		{
			name:    "adjacent CIDRs merge",
			entries: []string{"10.128.0.0/9", "10.0.0.0/9"},
			len:     1,
			in:      []string{"10.127.255.255", "10.128.0.0"},
			out:     []string{"11.0.0.0"},
		},
		{
			name:    "adjacent addresses merge",
			entries: []string{"192.0.2.2", "192.0.2.1"},
			len:     1,
			in:      []string{"192.0.2.1", "192.0.2.2"},
			out:     []string{"192.0.2.0", "192.0.2.3"},
		},
		{
			name:    "a gap stays",
			entries: []string{"192.0.2.1", "192.0.2.3", "192.0.2.1"},
			len:     2,
			in:      []string{"192.0.2.1", "192.0.2.3"},
			out:     []string{"192.0.2.2", "192.0.2.4"},
		},
		{
			name:    "IPv4 /0",
			entries: []string{"0.0.0.0/0", "10.0.0.0/8"},
			len:     1,
			in:      []string{"0.0.0.0", "255.255.255.255", "::ffff:198.51.100.1"},
			out:     []string{"::", "2001:db8::1", "::ffff:0:0:1"},
		},
		{
			name:    "IPv6 /0 is IPv6 only",
			entries: []string{"::/0"},
			len:     1,
			in:      []string{"::", "2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::1.2.3.4"},
			out:     []string{"1.2.3.4", "::ffff:1.2.3.4"},
		},
		{
			name:    "/32 and /128",
			entries: []string{"192.0.2.7/32", "2001:db8::7/128"},
			len:     2,
			in:      []string{"192.0.2.7", "2001:db8::7"},
			out:     []string{"192.0.2.6", "192.0.2.8", "2001:db8::6", "2001:db8::8"},
		},
		{
			name:    "edges of the address space",
			entries: []string{"255.255.255.255", "255.255.255.254", "0.0.0.0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::"},
			len:     4,
			in:      []string{"255.255.255.255", "255.255.255.254", "0.0.0.0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::"},
			out:     []string{"255.255.255.253", "0.0.0.1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "::1"},
		},
		{
			name:    "IPv6 adjacency across the middle 64 bits",
			entries: []string{"0:0:0:1::/64", "::/64", "::ffff:ffff:ffff:ffff", "0:0:0:2::"},
			len:     1,
			in:      []string{"::", "::ffff:ffff:ffff:ffff", "0:0:0:1::", "0:0:0:1:ffff:ffff:ffff:ffff", "0:0:0:2::"},
			out:     []string{"0:0:0:2::1"},
		},
		{
			name:    "IPv4-mapped entries are IPv4",
			entries: []string{"::ffff:192.0.2.1", "::ffff:10.0.0.0/104"},
			len:     2,
			in:      []string{"192.0.2.1", "::ffff:192.0.2.1", "10.9.9.9", "::ffff:10.9.9.9"},
			out:     []string{"192.0.2.2", "11.0.0.0", "::192.0.2.1"},
		},
		{
			name:    "IPv4 entries match IPv4-mapped addresses",
			entries: []string{"198.51.100.0/24"},
			len:     1,
			in:      []string{"::ffff:198.51.100.9"},
			out:     []string{"::198.51.100.9", "64:ff9b::198.51.100.9"},
		},
		{
			name:    "the IPv4-mapped /96 is all of IPv4",
			entries: []string{"::ffff:0:0/96"},
			len:     1,
			in:      []string{"0.0.0.0", "255.255.255.255", "::ffff:1.2.3.4"},
			out:     []string{"::1", "::fffe:ffff:ffff"},
		},
		{
			name:    "a zone of the address asked is ignored",
			entries: []string{"fe80::/10"},
			len:     1,
			in:      []string{"fe80::1%eth0", "fe80::1"},
			out:     []string{"fec0::1%eth0"},
		},
		{
			name:    "host bits past the prefix are dropped",
			entries: []string{"10.1.2.3/8", "2001:db8::1/32"},
			len:     2,
			in:      []string{"10.200.0.0", "2001:db8:ffff::"},
			out:     []string{"11.0.0.0", "2001:db9::"},
		},
		{
			name:    "spaces around an entry",
			entries: []string{" 192.0.2.1\t", "\t2001:db8::/32 "},
			len:     2,
			in:      []string{"192.0.2.1", "2001:db8::5"},
		},
		{
			name: "empty list",
			len:  0,
			out:  []string{"0.0.0.0", "::", "192.0.2.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.entries)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Len(); got != tt.len {
				t.Errorf("Len() = %d, want %d (v4 %v, v6 %v)", got, tt.len, s.v4, s.v6)
			}
			for _, a := range tt.in {
				if !s.Contains(netip.MustParseAddr(a)) {
					t.Errorf("Contains(%s) = false, want true", a)
				}
			}
			for _, a := range tt.out {
				if s.Contains(netip.MustParseAddr(a)) {
					t.Errorf("Contains(%s) = true, want false", a)
				}
			}
			if s.Contains(netip.Addr{}) {
				t.Error("Contains(zero Addr) = true")
			}
		})
	}
}

// TestParseErrors checks that each invalid entry is refused with an
// *EntryError naming its index, the entry and the reason.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		entry, reason string
	}{
		{"", "is empty"},
		{"  ", "is empty"},
		{"10.0.0.0/33", "prefix length 33 is over 32"},
		{"::ffff:10.0.0.0/129", "prefix length 129 is over 128"},
		{"2001:db8::/129", "prefix length 129 is over 128"},
		{"10.0.0.0/", `prefix length "" is not a number`},
		{"10.0.0.0/abc", `prefix length "abc" is not a number`},
		{"10.0.0.0/-1", `prefix length "-1" is not a number`},
		{"10.0.0.0/+8", `prefix length "+8" is not a number`},
		{"10.0.0.0/0008", `prefix length "0008" is not a number`},
		{"10.0.0.0/8/8", `prefix length "8/8" is not a number`},
		{"fe80::1%eth0", `IPv6 zone "%eth0"`},
		{"fe80::%eth0/64", `IPv6 zone "%eth0"`},
		{"256.0.0.1", "is not an address or a CIDR"},
		{"010.0.0.1", "is not an address or a CIDR"},
		{"192.0.2", "is not an address or a CIDR"},
		{"192.0.2.1:80", "is not an address or a CIDR"},
		{"[2001:db8::1]", "is not an address or a CIDR"},
		{"example.com", "is not an address or a CIDR"},
		{"/8", "is not an address or a CIDR"},
		{"10.0.0.0 /8", "is not an address or a CIDR"},
	}
	for _, tt := range tests {
		t.Run(tt.entry, func(t *testing.T) {
			s, err := Parse([]string{"192.0.2.1", "10.0.0.0/8", "2001:db8::/32", tt.entry})
			if s != nil {
				t.Errorf("Parse returned a set with the error %v", err)
			}
			var e *EntryError
			if !errors.As(err, &e) {
				t.Fatalf("Parse error = %v (%T), want *EntryError", err, err)
			}
			if e.Index != 3 || e.Entry != strings.TrimSpace(tt.entry) || e.Line != 0 || e.Source != "" {
				t.Errorf("EntryError = %+v, want index 3 and entry %q", *e, tt.entry)
			}
			if !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("Reason = %q, want it to contain %q", e.Reason, tt.reason)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "entry 3: ") || !strings.Contains(msg, "want an address (192.0.2.1") {
				t.Errorf("message %q does not name the entry and what is wanted", msg)
			}
		})
	}
}

// TestErrorMessage pins one message whole.
func TestErrorMessage(t *testing.T) {
	_, err := Parse([]string{"a", "b", "c", "10.0.0.0/33"}[3:])
	want := `entry 0: "10.0.0.0/33" is not an address or a CIDR (prefix length 33 is over 32): ` +
		`want an address (192.0.2.1, 2001:db8::1) or a CIDR (10.0.0.0/8, 2001:db8::/32)`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}

// TestNil checks that a nil *Set and the zero Set are empty.
func TestNil(t *testing.T) {
	var s *Set
	if s.Contains(netip.MustParseAddr("192.0.2.1")) || s.Len() != 0 {
		t.Error("nil *Set is not empty")
	}
	var z Set
	if z.Contains(netip.MustParseAddr("::")) || z.Len() != 0 {
		t.Error("zero Set is not empty")
	}
}

// TestUnion checks that Union merges its sets, skips nil ones and shares
// nothing with them.
func TestUnion(t *testing.T) {
	a := mustParse(t, "10.0.0.0/9", "2001:db8::/33")
	b := mustParse(t, "10.128.0.0/9", "2001:db8:8000::/33", "192.0.2.1")
	u := Union(a, nil, b)
	if u.Len() != 3 {
		t.Errorf("Len() = %d, want 3 (v4 %v, v6 %v)", u.Len(), u.v4, u.v6)
	}
	for _, x := range []string{"10.0.0.1", "10.200.0.1", "192.0.2.1", "2001:db8::1", "2001:db8:ffff::1"} {
		if !u.Contains(netip.MustParseAddr(x)) {
			t.Errorf("union does not contain %s", x)
		}
	}
	if a.Len() != 2 || b.Len() != 3 || a.Contains(netip.MustParseAddr("10.200.0.1")) {
		t.Error("Union changed its arguments")
	}
	for _, e := range []*Set{Union(), Union(nil), Union(nil, &Set{})} {
		if e == nil || e.Len() != 0 {
			t.Errorf("Union of nothing = %v, want an empty set", e)
		}
	}
}

// TestRandom compares Contains with netip.Prefix.Contains over random
// prefixes and addresses, many of them near the prefixes' edges.
func TestRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for round := 0; round < 50; round++ {
		var entries []string
		var prefixes []netip.Prefix
		for i := 0; i < 1+r.IntN(40); i++ {
			p := randPrefix(r, 0, 0.3)
			entries = append(entries, p.String())
			prefixes = append(prefixes, p)
		}
		s, err := Parse(entries)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2000; i++ {
			var a netip.Addr
			if i%2 == 0 {
				a = nearEdge(r, prefixes[r.IntN(len(prefixes))])
			} else {
				a = randAddr(r, r.IntN(3) == 0)
			}
			want := false
			for _, p := range prefixes {
				if p.Contains(a.Unmap()) {
					want = true
				}
			}
			if got := s.Contains(a); got != want {
				t.Fatalf("entries %v: Contains(%s) = %v, want %v", entries, a, got, want)
			}
		}
	}
}

// TestConcurrent reads one set from many goroutines (for the race
// detector).
func TestConcurrent(t *testing.T) {
	s := mustParse(t, "10.0.0.0/8", "2001:db8::/32")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if !s.Contains(netip.MustParseAddr("10.1.2.3")) {
					t.Error("Contains = false")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func mustParse(t *testing.T, entries ...string) *Set {
	t.Helper()
	s, err := Parse(entries)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// randPrefix returns a random prefix: IPv6 with probability v6, else IPv4;
// its length is at least minBits (clamped to the family).
func randPrefix(r *rand.Rand, minBits int, v6 float64) netip.Prefix {
	a := randAddr(r, r.Float64() < v6)
	bits := minBits + r.IntN(a.BitLen()-minBits+1)
	return netip.PrefixFrom(a, bits).Masked()
}

// randAddr returns a random IPv4 or IPv6 address.
func randAddr(r *rand.Rand, v6 bool) netip.Addr {
	if v6 {
		var b [16]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return netip.AddrFrom16(b)
	}
	return netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
}

// nearEdge returns an address at or next to the first or last address of
// p, sometimes in its IPv4-mapped form.
func nearEdge(r *rand.Rand, p netip.Prefix) netip.Addr {
	a := p.Addr()
	if r.IntN(2) == 0 {
		a = lastAddr(p)
	}
	switch r.IntN(3) {
	case 0:
		if n := a.Prev(); n.IsValid() {
			a = n
		}
	case 1:
		if n := a.Next(); n.IsValid() {
			a = n
		}
	}
	if a.Is4() && r.IntN(4) == 0 {
		a = netip.AddrFrom16(a.As16())
	}
	return a
}

// lastAddr returns the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
