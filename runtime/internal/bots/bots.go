package bots

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// minPiece is the shortest run of text a pattern may have between '*'s.
const minPiece = 3

// Matcher finds the category of a User-Agent. Make one with New; it does
// not change afterwards and is safe for concurrent use. A nil *Matcher
// matches nothing.
//
// Match reads the User-Agent two bytes at a time. A pattern without '*'
// of 4 bytes or more (all the built-in ones) that occurs at an even
// position i starts with the three bytes at i, and one that occurs at an
// odd position i-1 has its second, third and fourth bytes at i: filter
// holds both trigrams of every such pattern, in all their ASCII cases, so
// that Match need look at the patterns (through anchors) only where the
// trigram at an even position is in the filter. The other patterns, with
// a '*' or of 3 bytes, are searched for one by one.
type Matcher struct {
	// cats are the category names, in match order.
	cats []string
	// pats are the patterns, in priority order: by category in match
	// order, then in the order of the category's list. A lower index wins.
	pats []pattern
	// filter has bit trigramHash(a, b, c) set when an anchored pattern
	// has a, b, c as its bytes 0 to 2 or 1 to 3, in some ASCII case: a
	// Bloom filter with one hash function.
	filter [filterBits / 64]uint64
	// anchors[start[a]:start[a+1]] are the anchored patterns whose
	// case-folded first byte is a, by ascending index into pats.
	anchors []anchor
	start   [257]int32
	// others are the indices into pats of the patterns searched for one
	// by one, ascending.
	others []int32
}

// filterBits is the size of Matcher.filter. The built-in patterns set
// about 900 of its bits, so that a trigram no pattern holds passes the
// filter about once in 70.
const filterBits = 1 << 16

// anchorMin is the length of the shortest pattern in Matcher.anchors.
const anchorMin = 4

// trigramHash maps the trigram a<<16 | b<<8 | c to a bit of
// Matcher.filter.
func trigramHash(k uint32) uint32 { return k * 0x9e3779b1 >> (32 - 16) }

// anchor is a pattern in Matcher.anchors.
type anchor struct {
	text string // the pattern, case-folded
	pat  int32  // its index into Matcher.pats
}

// pattern is one compiled pattern.
type pattern struct {
	cat  int    // index into Matcher.cats
	text string // as the category listed it
	// pieces are the runs of text between '*'s, case-folded, each at
	// least minPiece bytes.
	pieces []string
}

// anchored reports whether p goes into Matcher.anchors.
func (p *pattern) anchored() bool { return len(p.pieces) == 1 && len(p.pieces[0]) >= anchorMin }

// New compiles categories, a map from a category's name to its patterns
// (see the package documentation for their syntax), into a Matcher. It
// reports an error, naming the category and the pattern's index in its
// list (from 0), for an empty category name, an empty pattern, or a run
// of text between '*'s shorter than 3 bytes. A category with no
// patterns is allowed and matches nothing.
//
// To add to the built-in categories or override one of them, change the
// map Builtin returns and pass it here.
func New(categories map[string][]string) (*Matcher, error) {
	m := &Matcher{cats: orderCategories(categories)}
	for ci, name := range m.cats {
		if name == "" {
			return nil, errors.New("bots: a category has an empty name")
		}
		for i, text := range categories[name] {
			pieces, err := compile(text)
			if err != nil {
				return nil, fmt.Errorf("bots: category %q, pattern %d (%q): %v", name, i, text, err)
			}
			m.pats = append(m.pats, pattern{cat: ci, text: text, pieces: pieces})
		}
	}

	var count [256]int32
	for i := range m.pats {
		p := &m.pats[i]
		if !p.anchored() {
			m.others = append(m.others, int32(i))
			continue
		}
		t := p.pieces[0]
		m.addTrigram(t[0], t[1], t[2])
		m.addTrigram(t[1], t[2], t[3])
		count[t[0]]++
	}
	for a := 0; a < 256; a++ {
		m.start[a+1] = m.start[a] + count[a]
	}
	m.anchors = make([]anchor, m.start[256])
	next := m.start
	for i := range m.pats {
		p := &m.pats[i]
		if !p.anchored() {
			continue
		}
		a := p.pieces[0][0]
		m.anchors[next[a]] = anchor{text: p.pieces[0], pat: int32(i)}
		next[a]++
	}
	return m, nil
}

// addTrigram sets the filter's bits for the case-folded trigram a, b, c
// in all its ASCII cases.
func (m *Matcher) addTrigram(a, b, c byte) {
	for _, a := range caseVariants(a) {
		for _, b := range caseVariants(b) {
			for _, c := range caseVariants(c) {
				h := trigramHash(uint32(a)<<16 | uint32(b)<<8 | uint32(c))
				m.filter[h/64] |= 1 << (h % 64)
			}
		}
	}
}

// orderCategories returns the names of categories in match order: those
// not built in, sorted, then the built-in ones present, in builtinOrder.
func orderCategories(categories map[string][]string) []string {
	var names []string
	for name := range categories {
		if !isBuiltin(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range builtinOrder {
		if _, ok := categories[name]; ok {
			names = append(names, name)
		}
	}
	return names
}

func isBuiltin(name string) bool {
	for _, b := range builtinOrder {
		if name == b {
			return true
		}
	}
	return false
}

// compile splits a pattern into its case-folded runs of text between
// '*'s and checks them.
func compile(text string) ([]string, error) {
	if text == "" {
		return nil, errors.New("empty pattern")
	}
	var pieces []string
	for _, piece := range strings.Split(text, "*") {
		if piece == "" {
			continue // '*' at an end, or "**"
		}
		if len(piece) < minPiece {
			if piece == text {
				return nil, fmt.Errorf("shorter than %d bytes", minPiece)
			}
			return nil, fmt.Errorf("%q, between '*'s, is shorter than %d bytes", piece, minPiece)
		}
		pieces = append(pieces, foldString(piece))
	}
	if len(pieces) == 0 {
		return nil, fmt.Errorf("no text besides '*'")
	}
	return pieces, nil
}

// Match reports the first category, in the Matcher's order (see the
// package documentation), with a pattern that userAgent contains, and
// that pattern as the category lists it. It reports ok false when no
// pattern matches, and at once for a User-Agent shorter than 3 bytes. It
// does not allocate.
func (m *Matcher) Match(userAgent string) (category, pattern string, ok bool) {
	if m == nil || len(userAgent) < minPiece {
		return "", "", false
	}
	best := len(m.pats)
	ua := userAgent
	for i := 0; i+2 < len(ua); i += 2 {
		h := trigramHash(uint32(ua[i])<<16 | uint32(ua[i+1])<<8 | uint32(ua[i+2]))
		if m.filter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		// A pattern starting here, or at the byte before.
		if b := m.matchAt(ua, i, best); b < best {
			best = b
		}
		if i > 0 {
			if b := m.matchAt(ua, i-1, best); b < best {
				best = b
			}
		}
	}
	for _, pi := range m.others {
		if int(pi) >= best {
			break
		}
		if containsInOrder(ua, m.pats[pi].pieces) {
			best = int(pi)
			break
		}
	}
	if best == len(m.pats) {
		return "", "", false
	}
	p := &m.pats[best]
	return m.cats[p.cat], p.text, true
}

// matchAt returns the index of the first anchored pattern that ua has
// at position i, if it is below best; otherwise best.
func (m *Matcher) matchAt(ua string, i, best int) int {
	rest := ua[i:]
	a := fold[rest[0]]
	for _, an := range m.anchors[m.start[a]:m.start[int(a)+1]] {
		if int(an.pat) >= best {
			break
		}
		if hasPrefixFold(rest, an.text) {
			return int(an.pat)
		}
	}
	return best
}

// caseVariants returns the bytes that fold to the case-folded c.
func caseVariants(c byte) []byte {
	if 'a' <= c && c <= 'z' {
		return []byte{c, c - ('a' - 'A')}
	}
	return []byte{c}
}

// fold maps a byte to itself, ASCII capitals to small letters.
var fold = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] += 'a' - 'A'
		}
	}
	return t
}()

func foldString(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = fold[c]
	}
	return string(b)
}

// hasPrefixFold reports whether s starts with the case-folded prefix.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if fold[s[i]] != prefix[i] {
			return false
		}
	}
	return true
}

// indexFold returns the index of the first occurrence of the
// case-folded sub in s, or -1.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if fold[s[i]] == sub[0] && hasPrefixFold(s[i:], sub) {
			return i
		}
	}
	return -1
}

// containsInOrder reports whether s contains the case-folded pieces one
// after the other, without overlap. Taking each piece's leftmost
// occurrence after the previous one is enough: if any placement exists,
// that one does.
func containsInOrder(s string, pieces []string) bool {
	for _, p := range pieces {
		i := indexFold(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}
