package ipset

import (
	"fmt"
	"net/netip"
	"strings"
)

// want is what an entry should look like, for error messages.
const want = "want an address (192.0.2.1, 2001:db8::1) or a CIDR (10.0.0.0/8, 2001:db8::/32)"

// EntryError is an entry that is not an address or a CIDR. Parse sets
// Index; Read and ParseFile set Index too, and Source and Line, so that
// the message names the file and line. A caller that knows which policy
// field the entries came from can say so with errors.As and Index.
type EntryError struct {
	// Index is the position of the entry: in the slice given to Parse, or
	// among the entries (not the lines) of a file, counted from 0.
	Index int
	// Entry is the entry as written, without the spaces around it (and,
	// from a file, without its comment).
	Entry string
	// Reason says what is wrong, as a phrase that follows the entry:
	// `is not an address or a CIDR (prefix length 33 is over 32)`.
	Reason string
	// Source is the name Read was given (ParseFile gives the file's name);
	// empty from Parse.
	Source string
	// Line is the entry's line in Source, counted from 1; 0 from Parse.
	Line int
}

// Error returns the message, as
//
//	entry 3: "10.0.0.0/33" is not an address or a CIDR (prefix length 33 is over 32): want ...
//	feed.txt:12: "10.0.0.0/33" is not an address or a CIDR (prefix length 33 is over 32): want ...
func (e *EntryError) Error() string {
	var where string
	switch {
	case e.Line > 0 && e.Source != "":
		where = fmt.Sprintf("%s:%d", e.Source, e.Line)
	case e.Line > 0:
		where = fmt.Sprintf("line %d", e.Line)
	default:
		where = fmt.Sprintf("entry %d", e.Index)
	}
	return fmt.Sprintf("%s: %q %s: %s", where, e.Entry, e.Reason, want)
}

// Parse returns the set of entries, each an address ("192.0.2.1",
// "2001:db8::1") or a CIDR ("10.0.0.0/8", "2001:db8::/32"); see the
// package's documentation for what they mean. The error, for the first
// entry that is neither, is an *EntryError.
func Parse(entries []string) (*Set, error) {
	var b builder
	for i, entry := range entries {
		if e := b.addEntry(i, entry); e != nil {
			return nil, e
		}
	}
	return b.build(), nil
}

// addEntry adds entry number i, or says why it cannot.
func (b *builder) addEntry(i int, entry string) *EntryError {
	entry = strings.Trim(entry, " \t")
	p, reason := parseEntry(entry)
	if reason != "" {
		return &EntryError{Index: i, Entry: entry, Reason: reason}
	}
	b.add(p)
	return nil
}

// parseEntry returns the prefix of an entry without spaces around it, or
// why it is not one.
func parseEntry(entry string) (netip.Prefix, string) {
	if entry == "" {
		return netip.Prefix{}, "is empty"
	}
	addr, bits, slash := strings.Cut(entry, "/")
	if i := strings.IndexByte(addr, '%'); i >= 0 {
		return netip.Prefix{}, fmt.Sprintf("is not an address or a CIDR (it has the IPv6 zone %q, which names an interface of one machine)", addr[i:])
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Prefix{}, "is not an address or a CIDR"
	}
	if !slash {
		return netip.PrefixFrom(a, a.BitLen()), ""
	}
	n, ok := prefixLen(bits)
	if !ok {
		return netip.Prefix{}, fmt.Sprintf("is not an address or a CIDR (prefix length %q is not a number)", bits)
	}
	if n > a.BitLen() {
		return netip.Prefix{}, fmt.Sprintf("is not an address or a CIDR (prefix length %d is over %d)", n, a.BitLen())
	}
	return netip.PrefixFrom(a, n), ""
}

// prefixLen returns the decimal number s, of one to three digits.
func prefixLen(s string) (int, bool) {
	if len(s) == 0 || len(s) > 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
