package routetable

import (
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/inventory"
)

// TemplatePath returns the template of a request's path: each segment
// that looks like an identifier (idLike) is replaced by {id}, the second
// by {id2}, the third by {id3}, and so on; every other byte is kept.
// "/users/42/orders/3f2c9a1e-0b7d-4c55-9a43-1f0e2d3c4b5a" is
// "/users/{id}/orders/{id2}". A path without such a segment is returned
// as it is, without allocating.
func TemplatePath(path string) string {
	if !hasID(path) {
		return path
	}
	var b strings.Builder
	b.Grow(len(path))
	ids := 0
	for {
		seg, rest, more := strings.Cut(path, "/")
		if idLike(seg) {
			ids++
			b.WriteString("{id")
			if ids > 1 {
				writeInt(&b, ids)
			}
			b.WriteByte('}')
		} else {
			b.WriteString(seg)
		}
		if !more {
			return b.String()
		}
		b.WriteByte('/')
		path = rest
	}
}

func writeInt(b *strings.Builder, n int) {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	b.Write(d[i:])
}

// hasID reports whether a segment of path is idLike.
func hasID(path string) bool {
	for {
		seg, rest, more := strings.Cut(path, "/")
		if idLike(seg) {
			return true
		}
		if !more {
			return false
		}
		path = rest
	}
}

// appendTemplate writes TemplatePath(path) to k, and reports whether it
// fits.
func appendTemplate(k *keyBuf, path string) bool {
	ids := 0
	for {
		seg, rest, more := strings.Cut(path, "/")
		if !appendSegment(k, seg, &ids) {
			return false
		}
		if !more {
			return true
		}
		if !k.addByte('/') {
			return false
		}
		path = rest
	}
}

// appendSegment writes a path segment to k, or {id}, {id2}... when it is
// idLike; ids counts the identifiers of the path so far.
func appendSegment(k *keyBuf, seg string, ids *int) bool {
	if !idLike(seg) {
		return k.add(seg)
	}
	*ids++
	if !k.add("{id") {
		return false
	}
	if n := *ids; n > 1 {
		var d [20]byte
		i := len(d)
		for ; n > 0; n /= 10 {
			i--
			d[i] = byte('0' + n%10)
		}
		for _, c := range d[i:] {
			if !k.addByte(c) {
				return false
			}
		}
	}
	return k.addByte('}')
}

// idLike reports whether a path segment looks like an identifier: a
// number, a UUID, 16 hex digits or more (one a decimal digit), an e-mail address, or a token of
// 16 ASCII letters, digits, '-' and '_' or more holding at least a digit
// and a letter.
func idLike(s string) bool {
	if s == "" {
		return false
	}
	digits, letters, hex := 0, 0, 0
	token := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			digits++
			hex++
		case 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F':
			letters++
			hex++
		case 'g' <= c && c <= 'z' || 'G' <= c && c <= 'Z':
			letters++
		case c == '-' || c == '_':
		default:
			token = false
		}
	}
	switch {
	case digits == len(s):
		return true
	case len(s) >= 16 && hex == len(s) && digits > 0:
		return true
	case isUUID(s):
		return true
	case token && len(s) >= 16 && digits > 0 && letters > 0:
		return true
	}
	return !token && isEmail(s)
}

// parseParams returns the parameter each non-empty segment of a route
// names ("" for a literal segment) and the list of its parameters.
func parseParams(route string) (bySegment, named []string) {
	for _, seg := range inventory.SplitRoute(route) {
		if seg == "" {
			continue
		}
		p := inventory.ParamName(seg)
		bySegment = append(bySegment, p)
		if p != "" {
			named = append(named, p)
		}
	}
	return bySegment, named
}
