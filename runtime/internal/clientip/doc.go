// Package clientip finds the address of the client of a request that can
// be trusted: the peer of the connection, unless that peer is a proxy the
// policy trusts, in which case the address the proxies say they were
// connected from.
//
// # The rule
//
// Client(peer, headers, trusted) returns peer unchanged unless peer is in
// trusted: the headers of a request from anyone else are never believed,
// since the client writes them. Behind trusted proxies it reads, in this
// order, the first of these headers the request has:
//
//   - X-Forwarded-For: every line of it, as one comma-separated list of
//     addresses, walked from right to left (the right end is what the
//     nearest proxy appended; the left end is what the client wrote). Each
//     address in trusted is a proxy, and is skipped; the first address not
//     in trusted is the client. If every address is trusted, the client is
//     the leftmost.
//   - Forwarded (RFC 7239): the for= parameter of each forwarded-element,
//     walked the same way.
//   - X-Real-IP: one address, which the trusted peer set.
//
// If none is present, the client is peer.
//
// # Where the walk stops
//
// The walk stops at the first entry it cannot use, and the client is then
// the last address it had, which is trusted: the hop to the entry's right,
// or peer if the entry is the rightmost. Such an entry is one that does
// not parse as an address (a host name, garbage, an address with an IPv6
// zone), or, in Forwarded, a for= that is "unknown" or an obfuscated
// identifier ("_hidden"), an element without for=, or an element the
// parser cannot read. What lies left of such an entry was written by
// someone no trusted proxy vouched for, so nothing of it is believed: the
// proxy that wrote the unusable entry is the farthest hop known. Empty
// list elements ("a,,b", a trailing comma) are skipped, as RFC 9110 asks.
// An X-Real-IP that is not one address (two lines, a list, garbage) is
// ignored, and the client is peer.
//
// # Forms of an address
//
// An address may carry a port, which is dropped: "192.0.2.1:1234",
// "[2001:db8::1]:443", and in Forwarded an obfuscated port
// ("[2001:db8::1]:_p1"). IPv6 may be bracketed without a port
// ("[2001:db8::1]"), and in X-Forwarded-For and X-Real-IP bare
// ("2001:db8::1"); Forwarded values may be quoted, as RFC 7239 requires for
// IPv6. An IPv4-mapped IPv6 address read from a header is returned in its
// IPv4 form. Spaces and tabs around entries are ignored.
//
// # Headers and cost
//
// Headers is the one method of http.Header that Client needs, so an
// http.Header is passed as is; HeaderFunc adapts anything else (fasthttp's
// request header, gRPC metadata). Client asks for the keys
// "X-Forwarded-For", "Forwarded" and "X-Real-Ip", in canonical form, so
// that http.Header.Values does not allocate to canonicalise them; an
// adapter must match them without regard to case.
//
// Client parses the values in place, walking each string backwards, and
// does not allocate. The one exception is an entry made only of
// hexadecimal digits, dots and colons that is still not an address
// ("1.2.3"), for which netip.ParseAddr allocates its error. From an
// untrusted peer Client costs one lookup in trusted; behind proxies, one
// lookup per hop.
package clientip
