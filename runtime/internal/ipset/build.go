package ipset

import (
	"net/netip"
	"slices"
)

// builder gathers ranges in any order, overlapping or not; build sorts
// and merges them into a Set.
type builder struct {
	v4 []range4
	v6 []range6
}

// mapped is ::ffff:0:0/96, the IPv4-mapped IPv6 addresses.
var mapped = netip.MustParsePrefix("::ffff:0:0/96")

// add adds the addresses of p, a valid prefix without a zone.
func (b *builder) add(p netip.Prefix) {
	a, bits := p.Addr(), p.Bits()
	if a.Is4In6() && bits >= mapped.Bits() {
		a, bits = a.Unmap(), bits-mapped.Bits()
	}
	if a.Is4() {
		b.v4 = append(b.v4, prefix4(a, bits))
	} else {
		b.v6 = append(b.v6, prefix6(a, bits))
	}
}

// prefix4 returns the range of the IPv4 prefix a/bits.
func prefix4(a netip.Addr, bits int) range4 {
	host := uint32(1)<<uint(32-bits) - 1 // all ones for /0: the shift gives 0
	lo := v4num(a) &^ host
	return range4{lo, lo | host}
}

// prefix6 returns the range of the IPv6 prefix a/bits.
func prefix6(a netip.Addr, bits int) range6 {
	var host uint128
	if n := 128 - bits; n >= 64 {
		host = uint128{uint64(1)<<uint(n-64) - 1, ^uint64(0)}
	} else {
		host = uint128{0, uint64(1)<<uint(n) - 1}
	}
	x := v6num(a)
	lo := uint128{x.hi &^ host.hi, x.lo &^ host.lo}
	return range6{lo, uint128{lo.hi | host.hi, lo.lo | host.lo}}
}

// build returns the Set of the ranges gathered so far.
func (b *builder) build() *Set {
	return &Set{v4: merge4(b.v4), v6: merge6(b.v6)}
}

// merge4 sorts r and merges its overlapping and adjacent ranges, in place;
// it returns a copy of exactly the merged length, so that the Set holds no
// spare memory and shares none with r.
func merge4(r []range4) []range4 {
	if len(r) == 0 {
		return nil
	}
	slices.SortFunc(r, func(a, b range4) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	out := r[:1]
	for _, x := range r[1:] {
		last := &out[len(out)-1]
		if last.hi == ^uint32(0) || x.lo <= last.hi+1 {
			last.hi = max(last.hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	return exact(out)
}

// merge6 is merge4 for IPv6.
func merge6(r []range6) []range6 {
	if len(r) == 0 {
		return nil
	}
	slices.SortFunc(r, func(a, b range6) int {
		switch {
		case a.lo.less(b.lo):
			return -1
		case b.lo.less(a.lo):
			return 1
		}
		return 0
	})
	out := r[:1]
	for _, x := range r[1:] {
		last := &out[len(out)-1]
		next, ok := last.hi.next()
		if !ok || !next.less(x.lo) {
			if last.hi.less(x.hi) {
				last.hi = x.hi
			}
			continue
		}
		out = append(out, x)
	}
	return exact(out)
}

// exact returns a copy of r whose capacity is its length.
func exact[T any](r []T) []T {
	c := make([]T, len(r))
	copy(c, r)
	return c
}
