package routetable

import (
	"math/bits"
	"strings"
)

// kindBits is a set of kinds of values.
type kindBits uint32

const (
	kindInteger kindBits = 1 << iota
	kindNumber
	kindBoolean
	kindUUID
	kindEmail
	kindDate
	kindDateTime
	kindString
)

// maxKindLen is the longest value given a kind other than string.
const maxKindLen = 254

// kindOf returns the kind of a value, 0 for an empty one.
func kindOf(v string) kindBits {
	switch {
	case v == "":
		return 0
	case len(v) > maxKindLen:
		return kindString
	case isInteger(v):
		return kindInteger
	case isNumber(v):
		return kindNumber
	case isBoolean(v):
		return kindBoolean
	case isUUID(v):
		return kindUUID
	case isDate(v):
		return kindDate
	case isDateTime(v):
		return kindDateTime
	case isEmail(v):
		return kindEmail
	}
	return kindString
}

// kindName names the kind of a field seen with the kinds k: the one kind,
// number for integers and numbers, else string.
func kindName(k kindBits) string {
	switch k {
	case kindInteger:
		return KindInteger
	case kindNumber, kindInteger | kindNumber:
		return KindNumber
	case kindBoolean:
		return KindBoolean
	case kindUUID:
		return KindUUID
	case kindEmail:
		return KindEmail
	case kindDate:
		return KindDate
	case kindDateTime:
		return KindDateTime
	}
	return KindString
}

// widened reports whether a field seen with the kinds k is a string
// whatever comes next.
func widened(k kindBits) bool {
	return k&kindString != 0 || bits.OnesCount32(uint32(k&^(kindInteger|kindNumber))) > 1 ||
		k&^(kindInteger|kindNumber) != 0 && k&(kindInteger|kindNumber) != 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digits returns the length of the run of digits at the start of s.
func digits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// isInteger reports whether v is an optional '-' and 1 to 32 digits.
func isInteger(v string) bool {
	if v[0] == '-' {
		v = v[1:]
	}
	n := digits(v)
	return n > 0 && n == len(v) && n <= 32
}

// isNumber reports whether v is a JSON number.
func isNumber(v string) bool {
	if v[0] == '-' {
		v = v[1:]
	}
	n := digits(v)
	if n == 0 {
		return false
	}
	v = v[n:]
	if v != "" && v[0] == '.' {
		n = digits(v[1:])
		if n == 0 {
			return false
		}
		v = v[1+n:]
	}
	if v != "" && (v[0] == 'e' || v[0] == 'E') {
		v = v[1:]
		if v != "" && (v[0] == '+' || v[0] == '-') {
			v = v[1:]
		}
		n = digits(v)
		if n == 0 {
			return false
		}
		v = v[n:]
	}
	return v == ""
}

func isBoolean(v string) bool {
	return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isUUID reports whether v is a UUID: 8-4-4-4-12 hex digits.
func isUUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch i {
		case 8, 13, 18, 23:
			if v[i] != '-' {
				return false
			}
		default:
			if !isHex(v[i]) {
				return false
			}
		}
	}
	return true
}

// isDate reports whether v is an RFC 3339 full-date: YYYY-MM-DD.
func isDate(v string) bool {
	return len(v) == 10 && fullDate(v)
}

func fullDate(v string) bool {
	return digits(v[:4]) == 4 && v[4] == '-' && digits(v[5:7]) == 2 && v[7] == '-' && digits(v[8:10]) == 2 &&
		v[5:7] >= "01" && v[5:7] <= "12" && v[8:10] >= "01" && v[8:10] <= "31"
}

// isDateTime reports whether v is an RFC 3339 date-time:
// YYYY-MM-DDTHH:MM:SS, optional fractional seconds, and Z or an offset.
func isDateTime(v string) bool {
	if len(v) < 20 || !fullDate(v[:10]) || v[10] != 'T' && v[10] != 't' {
		return false
	}
	t := v[11:]
	if len(t) < 9 || digits(t[:2]) != 2 || t[2] != ':' || digits(t[3:5]) != 2 || t[5] != ':' || digits(t[6:8]) != 2 ||
		t[:2] > "23" || t[3:5] > "59" || t[6:8] > "60" {
		return false
	}
	t = t[8:]
	if t[0] == '.' {
		n := digits(t[1:])
		if n == 0 {
			return false
		}
		t = t[1+n:]
	}
	switch {
	case t == "Z" || t == "z":
		return true
	case len(t) == 6 && (t[0] == '+' || t[0] == '-'):
		return digits(t[1:3]) == 2 && t[3] == ':' && digits(t[4:6]) == 2 && t[1:3] <= "23" && t[4:6] <= "59"
	}
	return false
}

// isEmail reports whether v is an e-mail address: a local part of at most
// 64 bytes of an atom's characters and dots, '@', and a domain of two
// labels or more of letters, digits and '-'.
func isEmail(v string) bool {
	at := strings.IndexByte(v, '@')
	if at <= 0 || at > 64 {
		return false
	}
	local, domain := v[:at], v[at+1:]
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !(isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0) {
			return false
		}
	}
	if local[0] == '.' || local[len(local)-1] == '.' {
		return false
	}
	labels := 0
	for domain != "" {
		label, rest, more := strings.Cut(domain, ".")
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
				return false
			}
		}
		labels++
		if !more {
			break
		}
		if rest == "" {
			return false
		}
		domain = rest
	}
	return labels >= 2
}
