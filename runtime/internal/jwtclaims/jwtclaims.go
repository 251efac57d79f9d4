package jwtclaims

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	// maxTokenLen caps the token (what follows "Bearer "), in bytes.
	maxTokenLen = 16 << 10
	// maxHeaderLen caps the whole header value: the token, the scheme and
	// some white space around them.
	maxHeaderLen = maxTokenLen + 64
	// maxClaims caps the values StringClaims walks.
	maxClaims = 256
	// maxDepth caps how deep objects and arrays nest, the claims object
	// itself at depth 1.
	maxDepth = 32
	// stackBuf is the size of the buffer the segments are decoded into
	// before they are copied into the token's one string; larger tokens
	// cost one more allocation.
	stackBuf = 1024
)

// Token is the decoded, unverified claims of a bearer JWT, as
// FromAuthorization returns them. Its zero value is a token without
// claims. A Token is immutable and safe for concurrent use.
type Token struct {
	// payload is the claims segment decoded: a JSON object, checked.
	payload string
	// sub is the last top-level "sub" member's value when it is a string.
	sub string
}

// FromAuthorization reads the value of an Authorization header. When it
// is "Bearer <jwt>" (the scheme in any case, then spaces or tabs) and the
// JWT is three base64url segments whose first two are JSON objects, it
// returns the token's claims and true; see the package documentation for
// what is accepted. For anything else (an empty value, another scheme, an
// opaque bearer token, a malformed or oversized token) it returns the
// zero Token and false.
//
// The signature is not checked: the claims are what the client sent.
func FromAuthorization(header string) (Token, bool) {
	// "Bearer " and the smallest JWT, "e30.e30." ({} and {}).
	const minLen = len("Bearer ") + len("e30.e30.")
	if len(header) < minLen || len(header) > maxHeaderLen {
		return Token{}, false
	}
	if !isBearer(header[:6]) || (header[6] != ' ' && header[6] != '\t') {
		return Token{}, false
	}
	tok := trimOWS(header[7:])
	if len(tok) > maxTokenLen {
		return Token{}, false
	}
	hSeg, rest, ok := cut(tok)
	if !ok {
		return Token{}, false
	}
	pSeg, sSeg, ok := cut(rest)
	if !ok {
		return Token{}, false
	}
	hSeg, pSeg, sSeg = unpad(hSeg), unpad(pSeg), unpad(sSeg)
	hn, ok1 := decodedLen(hSeg)
	pn, ok2 := decodedLen(pSeg)
	_, ok3 := decodedLen(sSeg)
	if !ok1 || !ok2 || !ok3 || hn == 0 || pn == 0 || !validAlphabet(sSeg) {
		return Token{}, false
	}

	// Both segments are decoded into one buffer, on the stack when they
	// fit, and copied into one string: the payload is a substring of it.
	var stack [stackBuf]byte
	var buf []byte
	if hn+pn <= len(stack) {
		buf = stack[:hn+pn]
	} else {
		buf = make([]byte, hn+pn)
	}
	if !decode(buf[:hn], hSeg) || !decode(buf[hn:], pSeg) {
		return Token{}, false
	}
	s := string(buf)

	if _, ok := checkObject(s[:hn], false); !ok {
		return Token{}, false
	}
	sub, ok := checkObject(s[hn:], true)
	if !ok {
		return Token{}, false
	}
	return Token{payload: s[hn:], sub: sub}, true
}

// Subject returns the "sub" claim, the token's subject, when it is a
// string; otherwise (absent, a number, an object, null) "". When the
// claims hold "sub" more than once, the last one counts, as in
// encoding/json. The subject is not verified: use it to name the user
// in an event, never to decide what the user may do.
func (t Token) Subject() string { return t.sub }

// StringClaims calls visit for every string in the claims, in the order
// of the token, with the claim's name and its value unescaped. A member
// of a nested object is named by its dotted path ("user.name"), an array
// element by its index ("roles[0]", "orgs[1].id", "m[0][2]"); names are
// not escaped, so a member whose name holds a dot or a bracket reads as
// a path. Numbers, booleans and null are skipped; so are empty objects
// and arrays. At most the first 256 values of the claims are walked (see
// the package documentation); the rest are skipped silently.
//
// visit may keep the names and values it is given: they are ordinary
// strings, not views of a buffer that the walk reuses.
func (t Token) StringClaims(visit func(name, value string)) {
	if t.payload == "" || visit == nil {
		return
	}
	w := parser{s: t.payload, visit: visit}
	w.skipWS()
	w.object(1)
}

// isBearer reports whether s is "bearer" in any ASCII case.
func isBearer(s string) bool {
	const want = "bearer"
	for i := 0; i < len(want); i++ {
		if s[i]|0x20 != want[i] {
			return false
		}
	}
	return true
}

// trimOWS trims spaces and tabs from both ends of s.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// cut splits s at its first dot.
func cut(s string) (before, after string, ok bool) {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// unpad removes up to two trailing '=' from a segment.
func unpad(s string) string {
	for k := 0; k < 2 && len(s) > 0 && s[len(s)-1] == '='; k++ {
		s = s[:len(s)-1]
	}
	return s
}

// decodedLen returns how many bytes the unpadded base64 segment s decodes
// to, and false when no base64 text has its length.
func decodedLen(s string) (int, bool) {
	if len(s)%4 == 1 {
		return 0, false
	}
	return len(s) * 6 / 8, true
}

// b64 maps a byte of the base64url alphabet (RFC 4648, section 5) to its
// value, anything else to 0xff.
var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// validAlphabet reports whether every byte of s is of the base64url
// alphabet.
func validAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		if b64[s[i]] == 0xff {
			return false
		}
	}
	return true
}

// decode decodes the unpadded base64url segment s into dst, whose length
// is decodedLen(s), and reports whether s was of the alphabet. Unlike
// encoding/base64 it takes a string (no copy) and skips no newline.
func decode(dst []byte, s string) bool {
	n := 0
	for len(s) >= 4 {
		a, b, c, d := b64[s[0]], b64[s[1]], b64[s[2]], b64[s[3]]
		if (a|b|c|d)&0xc0 != 0 { // 0xff marks a byte off the alphabet
			return false
		}
		v := uint(a)<<18 | uint(b)<<12 | uint(c)<<6 | uint(d)
		dst[n], dst[n+1], dst[n+2] = byte(v>>16), byte(v>>8), byte(v)
		n += 3
		s = s[4:]
	}
	switch len(s) {
	case 2:
		a, b := b64[s[0]], b64[s[1]]
		if (a|b)&0xc0 != 0 {
			return false
		}
		dst[n] = byte((uint(a)<<18 | uint(b)<<12) >> 16)
	case 3:
		a, b, c := b64[s[0]], b64[s[1]], b64[s[2]]
		if (a|b|c)&0xc0 != 0 {
			return false
		}
		v := uint(a)<<18 | uint(b)<<12 | uint(c)<<6
		dst[n], dst[n+1] = byte(v>>16), byte(v>>8)
	}
	return true
}

// checkObject reports whether s is one JSON object (white space around
// it allowed) nesting at most maxDepth levels. With wantSub, it also
// returns the value of the object's last "sub" member when that is a
// string.
func checkObject(s string, wantSub bool) (sub string, ok bool) {
	p := parser{s: s, wantSub: wantSub}
	p.skipWS()
	if !p.object(1) {
		return "", false
	}
	p.skipWS()
	if p.i != len(s) {
		return "", false
	}
	return p.sub, true
}

// parser is a recursive-descent JSON reader over a string. It checks the
// syntax (RFC 8259) as it goes; with visit set, it also walks the string
// values, naming them, until maxClaims values have been walked.
type parser struct {
	s string
	i int

	// wantSub asks for the top-level "sub" member into sub.
	wantSub bool
	sub     string

	// visit, when set, is called for every string value.
	visit func(name, value string)
	// path is the name of the value being read when it is nested, built
	// in place as the walk goes down and cut as it goes back up.
	path []byte
	// top is the name of the value being read when it is a top-level
	// member whose name has no escape: a substring of s, no copy.
	top string
	// walked counts the values walked; stop is set past maxClaims.
	walked int
	stop   bool
}

func (p *parser) skipWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// object reads an object starting at p.i ('{' expected) at the given
// depth.
func (p *parser) object(depth int) bool {
	if depth > maxDepth || p.i >= len(p.s) || p.s[p.i] != '{' {
		return false
	}
	p.i++
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return true
	}
	for {
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return false
		}
		kStart := p.i + 1
		kEnd, kEsc, ok := p.str()
		if !ok {
			return false
		}
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return false
		}
		p.i++
		p.skipWS()

		mark := len(p.path)
		if p.visit != nil && !p.stop {
			p.top = ""
			switch {
			case depth == 1 && !kEsc:
				p.top = p.s[kStart:kEnd]
			case depth == 1:
				p.path = appendKey(p.path, p.s[kStart:kEnd], kEsc)
			default:
				p.path = append(p.path, '.')
				p.path = appendKey(p.path, p.s[kStart:kEnd], kEsc)
			}
		}
		vStart := p.i
		if !p.value(depth) {
			return false
		}
		p.path = p.path[:mark]
		if p.wantSub && depth == 1 && keyIs(p.s[kStart:kEnd], kEsc, "sub") {
			p.sub = ""
			if p.s[vStart] == '"' {
				p.sub = unquoted(p.s[vStart+1 : p.i-1])
			}
		}

		p.skipWS()
		if p.i >= len(p.s) {
			return false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.skipWS()
		case '}':
			p.i++
			return true
		default:
			return false
		}
	}
}

// array reads an array starting at p.i ('[' expected) at the given
// depth.
func (p *parser) array(depth int) bool {
	if depth > maxDepth {
		return false
	}
	p.i++ // '['
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return true
	}
	for n := 0; ; n++ {
		mark := len(p.path)
		if p.visit != nil && !p.stop {
			p.path = append(p.path, '[')
			p.path = strconv.AppendInt(p.path, int64(n), 10)
			p.path = append(p.path, ']')
		}
		if !p.value(depth) {
			return false
		}
		p.path = p.path[:mark]

		p.skipWS()
		if p.i >= len(p.s) {
			return false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.skipWS()
		case ']':
			p.i++
			return true
		default:
			return false
		}
	}
}

// value reads any value starting at p.i; depth is that of the object or
// array holding it. It counts the value against maxClaims and, for a
// string, calls visit.
func (p *parser) value(depth int) bool {
	if p.i >= len(p.s) {
		return false
	}
	if p.visit != nil && !p.stop {
		p.walked++
		if p.walked > maxClaims {
			p.stop = true
		}
	}
	c := p.s[p.i]
	if (c == '{' || c == '[') && p.visit != nil && !p.stop && p.top != "" {
		// An object or array as a top-level member's value: its name
		// moves into the path, where the names inside are appended.
		p.path = append(p.path, p.top...)
		p.top = ""
	}
	switch {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		start := p.i + 1
		end, esc, ok := p.str()
		if !ok {
			return false
		}
		if p.visit != nil && !p.stop {
			v := p.s[start:end]
			if esc {
				v = unescape(v)
			}
			name := p.top
			if name == "" {
				name = string(p.path)
			}
			p.visit(name, v)
		}
		return true
	case c == 't':
		return p.lit("true")
	case c == 'f':
		return p.lit("false")
	case c == 'n':
		return p.lit("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	}
	return false
}

// str reads a string starting at p.i ('"' expected). It returns the end
// of its contents (the index of the closing quote) and whether they hold
// an escape.
func (p *parser) str() (end int, esc bool, ok bool) {
	p.i++ // '"'
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			end = p.i
			p.i++
			return end, esc, true
		case c == '\\':
			esc = true
			if p.i+1 >= len(p.s) {
				return 0, false, false
			}
			switch p.s[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if p.i+6 > len(p.s) {
					return 0, false, false
				}
				for k := p.i + 2; k < p.i+6; k++ {
					if hexVal(p.s[k]) < 0 {
						return 0, false, false
					}
				}
				p.i += 6
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		default:
			p.i++
		}
	}
	return 0, false, false
}

// lit reads the literal want.
func (p *parser) lit(want string) bool {
	if len(p.s)-p.i < len(want) || p.s[p.i:p.i+len(want)] != want {
		return false
	}
	p.i += len(want)
	return true
}

// number reads a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() bool {
	s := p.s
	i := p.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	p.i = i
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// keyIs reports whether the raw member name k (escaped when esc) is want.
func keyIs(k string, esc bool, want string) bool {
	if !esc {
		return k == want
	}
	return unescape(k) == want
}

// appendKey appends the raw member name k, unescaped when esc, to b.
func appendKey(b []byte, k string, esc bool) []byte {
	if !esc {
		return append(b, k...)
	}
	return appendUnescaped(b, k)
}

// unquoted returns the contents of a checked string, unescaped when they
// hold an escape.
func unquoted(raw string) string {
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' {
			return unescape(raw)
		}
	}
	return raw
}

// unescape returns the contents of a checked string with its escapes
// replaced.
func unescape(raw string) string {
	return string(appendUnescaped(make([]byte, 0, len(raw)), raw))
}

// appendUnescaped appends the contents of a checked string to b, its
// escapes replaced. A \u escape of a surrogate half that is not part of
// a pair becomes U+FFFD, as in encoding/json.
func appendUnescaped(b []byte, raw string) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(raw[i+2 : i+6])
			i += 6
			if 0xd800 <= r && r < 0xdc00 && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
				if r2 := hex4(raw[i+2 : i+6]); 0xdc00 <= r2 && r2 < 0xe000 {
					r = 0x10000 + (r-0xd800)<<10 + (r2 - 0xdc00)
					i += 6
				}
			}
			if 0xd800 <= r && r < 0xe000 {
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default: // '"', '\\', '/'
			b = append(b, raw[i+1])
		}
		i += 2
	}
	return b
}

// hex4 returns the value of four checked hexadecimal digits.
func hex4(s string) rune {
	var r rune
	for i := 0; i < 4; i++ {
		r = r<<4 | rune(hexVal(s[i]))
	}
	return r
}
