package clientip

import (
	"net/netip"
	"strings"
)

// forwardedHop is the hopFunc of Forwarded (RFC 7239): elements are
// forwarded-elements, separated by commas outside quoted strings, each
// pairs separated by semicolons; the hop is the node of the for= pair.
func forwardedHop(line string, end int) (int, netip.Addr, step) {
	start, ok := elementStart(line, end)
	if !ok {
		return -1, netip.Addr{}, stop
	}
	elem := trim(line[start+1 : end])
	if elem == "" {
		return start, netip.Addr{}, empty
	}
	node, ok := forNode(elem)
	if !ok {
		return start, netip.Addr{}, stop
	}
	a, ok := parseNode(node)
	if !ok {
		return start, netip.Addr{}, stop
	}
	return start, a, hop
}

// elementStart returns the index of the comma before the element that ends
// at end, or -1 if the element starts the line, skipping commas in quoted
// strings. It walks backwards: outside a quoted string a quote ends one;
// inside, a quote ends it unless an odd number of backslashes escape it.
// It returns false for a quoted string that does not start in the line.
func elementStart(line string, end int) (int, bool) {
	quoted := false
	for i := end - 1; i >= 0; i-- {
		switch c := line[i]; {
		case c == '"' && (!quoted || !escaped(line, i)):
			quoted = !quoted
		case c == ',' && !quoted:
			return i, true
		}
	}
	return -1, !quoted
}

// escaped reports whether the byte at i follows an odd number of
// backslashes.
func escaped(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// forNode returns the value of the one for= pair of a forwarded-element,
// without its quotes. It returns false if the element has no for=, two,
// a pair without "=", or a value it cannot read; a value that needs
// unescaping is one, since no address does.
func forNode(elem string) (string, bool) {
	node, found := "", false
	for len(elem) > 0 {
		pair, rest := cutPair(elem)
		elem = rest
		pair = trim(pair)
		if pair == "" {
			continue
		}
		name, value, ok := strings.Cut(pair, "=")
		if !ok {
			return "", false
		}
		if !strings.EqualFold(trim(name), "for") {
			continue
		}
		if found {
			return "", false
		}
		node, found = value, true
	}
	if !found {
		return "", false
	}
	return unquote(trim(node))
}

// cutPair returns the pair that starts elem and what follows its
// semicolon, skipping semicolons in quoted strings.
func cutPair(elem string) (pair, rest string) {
	quoted := false
	for i := 0; i < len(elem); i++ {
		switch elem[i] {
		case '\\':
			if quoted {
				i++
			}
		case '"':
			quoted = !quoted
		case ';':
			if !quoted {
				return elem[:i], elem[i+1:]
			}
		}
	}
	return elem, ""
}

// unquote returns v without its quotes, if it has them; false if its
// quotes do not match or it holds a quote or a backslash.
func unquote(v string) (string, bool) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if strings.ContainsAny(v, `"\`) {
		return "", false
	}
	return v, true
}

// parseNode returns the address of a node (RFC 7239, section 6): false for
// "unknown", an obfuscated identifier ("_hidden") and anything not an
// address.
func parseNode(node string) (netip.Addr, bool) {
	if node == "" || node[0] == '_' || strings.EqualFold(node, "unknown") {
		return netip.Addr{}, false
	}
	return parseHop(node, true)
}
