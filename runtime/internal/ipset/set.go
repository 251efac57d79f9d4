package ipset

import (
	"encoding/binary"
	"net/netip"
)

// Set is a set of IPv4 and IPv6 addresses. It is immutable once built, and
// safe for concurrent use. The zero Set and a nil *Set are empty.
type Set struct {
	v4 []range4 // sorted by lo, disjoint, not adjacent
	v6 []range6 // sorted by lo, disjoint, not adjacent
}

// range4 is the IPv4 addresses from lo to hi, both included.
type range4 struct{ lo, hi uint32 }

// range6 is the IPv6 addresses from lo to hi, both included.
type range6 struct{ lo, hi uint128 }

// uint128 is an IPv6 address as a number: hi holds its first 8 bytes.
type uint128 struct{ hi, lo uint64 }

// less reports whether a < b.
func (a uint128) less(b uint128) bool {
	return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo)
}

// next returns a+1 and whether it did not overflow.
func (a uint128) next() (uint128, bool) {
	lo := a.lo + 1
	hi := a.hi
	if lo == 0 {
		hi++
	}
	return uint128{hi, lo}, !(hi == 0 && lo == 0)
}

// Contains reports whether a is in the set. An IPv4-mapped IPv6 address is
// looked up as its IPv4 form; a zone is ignored; the zero Addr is in no set.
// It does not allocate.
func (s *Set) Contains(a netip.Addr) bool {
	if s == nil {
		return false
	}
	if a.Is4() || a.Is4In6() {
		return s.contains4(v4num(a.Unmap()))
	}
	if a.Is6() {
		return s.contains6(v6num(a))
	}
	return false
}

// contains4 is a binary search for the last range that starts at or
// before x.
func (s *Set) contains4(x uint32) bool {
	r := s.v4
	i, j := 0, len(r)
	for i < j {
		h := int(uint(i+j) >> 1)
		if r[h].lo <= x {
			i = h + 1
		} else {
			j = h
		}
	}
	return i > 0 && x <= r[i-1].hi
}

// contains6 is contains4 for IPv6.
func (s *Set) contains6(x uint128) bool {
	r := s.v6
	i, j := 0, len(r)
	for i < j {
		h := int(uint(i+j) >> 1)
		if !x.less(r[h].lo) {
			i = h + 1
		} else {
			j = h
		}
	}
	return i > 0 && !r[i-1].hi.less(x)
}

// Len returns the number of ranges of the set: its entries once
// overlapping, nested and adjacent ones are merged. 10.0.0.0/9 and
// 10.128.0.0/9 are one range; so are 192.0.2.1 and 192.0.2.2. A nil *Set
// has none.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.v4) + len(s.v6)
}

// Union returns the set of the addresses in any of sets. Nil sets are
// empty; the result is a new set, never nil, and shares nothing with its
// arguments.
func Union(sets ...*Set) *Set {
	var b builder
	for _, s := range sets {
		if s == nil {
			continue
		}
		b.v4 = append(b.v4, s.v4...)
		b.v6 = append(b.v6, s.v6...)
	}
	return b.build()
}

// v4num returns the IPv4 address a as a number.
func v4num(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// v6num returns the IPv6 address a as a number.
func v6num(a netip.Addr) uint128 {
	b := a.As16()
	return uint128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}
