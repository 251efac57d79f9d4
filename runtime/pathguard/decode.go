package pathguard

import (
	"unicode/utf8"
	"unsafe"
)

// AppendDecode appends to dst s with the encodings undone that an
// application may apply to a request's value before it builds a path with
// it: percent-encoding (repeated, so %252e is '.'), IIS-style %uXXXX,
// overlong UTF-8 forms of '.', '/' and '\' (%c0%ae, %e0%80%af, ...) and
// NFKC look-alikes of them (fullwidth '．', '／', '＼', one-dot leader,
// small full stop). Invalid escapes are kept as they are. Backslashes
// become '/' when goos (as runtime.GOOS) is "windows", and stay
// backslashes elsewhere: they separate nothing there. It returns the
// extended buffer, and does not allocate when dst has room for s.
func AppendDecode(dst []byte, s string, goos string) []byte {
	return appendDecode(dst, s, goos == "windows")
}

func appendDecode(dst []byte, s string, win bool) []byte {
	mid := len(dst)
	dst = append(dst, s...)
	if !needsDecodeStr(s) {
		return dst
	}
	dec := decode(dst[mid:], win)
	return dst[:mid+len(dec)]
}

func needsDecodeStr(s string) bool {
	for i := 0; i < len(s); i++ {
		if triggers(s[i]) {
			return true
		}
	}
	return false
}

// triggers reports whether c may start an encoding that decode changes.
func triggers(c byte) bool {
	switch c {
	case '%', '\\', 0xc0, 0xc1, 0xe0, 0xe2, 0xef, 0xf0, 0xf8, 0xfc:
		return true
	}
	return false
}

// bytesString views b as a string without copying; b must not change
// while the string is in use.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// lookalike maps a rune to the ASCII '.', '/' or '\' it stands for, or 0.
func lookalike(r rune) byte {
	switch r {
	case '.', 0xff0e, 0x2024, 0xfe52:
		return '.'
	case '/', 0xff0f:
		return '/'
	case '\\', 0xff3c, 0xfe68:
		return '\\'
	}
	return 0
}

// overlong decodes an overlong UTF-8 sequence at b[0] that
// stands for '.', '/' or '\'. It returns the byte and the sequence length.
func overlong(b []byte) (byte, int) {
	n := 0
	var v uint32
	switch {
	case b[0] == 0xc0 || b[0] == 0xc1:
		n, v = 2, uint32(b[0]&0x1f)
	case b[0] == 0xe0:
		n, v = 3, uint32(b[0]&0x0f)
	case b[0] == 0xf0:
		n, v = 4, uint32(b[0]&0x07)
	case b[0] == 0xf8:
		n, v = 5, uint32(b[0]&0x03)
	case b[0] == 0xfc:
		n, v = 6, uint32(b[0]&0x01)
	default:
		return 0, 0
	}
	if len(b) < n {
		return 0, 0
	}
	for k := 1; k < n; k++ {
		if b[k]&0xc0 != 0x80 {
			return 0, 0
		}
		v = v<<6 | uint32(b[k]&0x3f)
	}
	if c := lookalike(rune(v)); c != 0 && v < 0x80 {
		return c, n
	}
	return 0, 0
}

// decode decodes b in place (the result is never longer) and returns it;
// win turns backslashes into '/'.
func decode(b []byte, win bool) []byte {
	for round := 0; round < 5; round++ {
		changed := false
		w := 0
		for r := 0; r < len(b); {
			c := b[r]
			if c == '%' {
				if r+2 < len(b) {
					if h, ok := unhex(b[r+1]); ok {
						if l, ok := unhex(b[r+2]); ok {
							b[w] = h<<4 | l
							w++
							r += 3
							changed = true
							continue
						}
					}
				}
				if r+5 < len(b) && (b[r+1] == 'u' || b[r+1] == 'U') {
					var v rune
					ok := true
					for k := 2; k < 6 && ok; k++ {
						var h byte
						h, ok = unhex(b[r+k])
						v = v<<4 | rune(h)
					}
					if ok {
						if a := lookalike(v); a != 0 {
							b[w] = a
							w++
						} else {
							w += utf8.EncodeRune(b[w:r+6], v)
						}
						r += 6
						changed = true
						continue
					}
				}
			}
			if c >= 0xc0 {
				if a, n := overlong(b[r:]); n > 0 {
					b[w] = a
					w++
					r += n
					changed = true
					continue
				}
				if c == 0xe2 || c == 0xef {
					rr, n := utf8.DecodeRune(b[r:])
					if a := lookalike(rr); a != 0 && n > 1 {
						b[w] = a
						w++
						r += n
						changed = true
						continue
					}
				}
			}
			if c == '\\' && win {
				c = '/'
			}
			b[w] = c
			w++
			r++
		}
		b = b[:w]
		if !changed {
			break
		}
	}
	return b
}
