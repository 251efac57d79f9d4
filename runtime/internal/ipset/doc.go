// Package ipset is a set of IPv4 and IPv6 addresses given as addresses and
// CIDRs: the block and allow lists of the policy, threat feeds of a hundred
// thousand entries, the trusted proxies of package clientip.
//
// Build a Set with Parse (a list of strings, as a policy field holds it),
// Read or ParseFile (one entry a line, with # comments), or Union of other
// sets; ask it with Contains. A Set never changes once built, so any number
// of goroutines may call Contains at once; a nil *Set is empty.
//
// # Entries
//
// An entry is an address ("192.0.2.1", "2001:db8::1"), which stands for
// itself, or a CIDR ("10.0.0.0/8", "2001:db8::/32"). Spaces and tabs around
// an entry are ignored. A CIDR with bits set past its prefix length
// ("10.1.2.3/8") is taken as its network ("10.0.0.0/8"), as routers and
// firewalls take it. Anything else is an error, an *EntryError that says
// which entry (its index in the list, or its file and line), what is wrong,
// and what is wanted. In particular an address with an IPv6 zone
// ("fe80::1%eth0") is refused: a zone names an interface of one machine,
// which a list shared between machines cannot mean.
//
// # IPv4 and IPv6
//
// IPv4 and its IPv4-mapped IPv6 form are one address: the entry
// "::ffff:192.0.2.1" is the entry "192.0.2.1", "::ffff:10.0.0.0/104" is
// "10.0.0.0/8", and Contains(::ffff:192.0.2.1) is Contains(192.0.2.1). An
// IPv6 CIDR that is wider than ::ffff:0:0/96 (such as "::/0") covers the
// IPv6 addresses only: "::/0" is every IPv6 address and "0.0.0.0/0" every
// IPv4 address, as a firewall's rules read. The zone of an address given
// to Contains is ignored: fe80::1%eth0 is in "fe80::/10".
//
// # Representation and cost
//
// A Set holds sorted, merged, disjoint ranges: IPv4 as pairs of uint32,
// IPv6 as pairs of 128-bit numbers (two uint64 each). Overlapping, nested
// and adjacent entries become one range, so Len, the number of ranges, may
// be smaller than the number of entries. Contains is a binary search of the
// ranges of the address's family: no map, no allocation, about 17 steps for
// 100,000 ranges. A range costs 8 bytes (IPv4) or 32 bytes (IPv6); see the
// package's benchmarks for the figures of a 100,000-entry feed.
package ipset
