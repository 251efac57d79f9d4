package rasp

import (
	"strings"
	"unsafe"
)

// Correlation finds the client's inputs inside the value a sink received,
// for the calls whose build did not see how the value was made (no
// template): the ranges where an input occurs are treated as the dynamic
// parts, as if the build had seen the input concatenated there.
//
// Only inputs that could change the structure of a query, a command, a path
// or a URL by themselves are searched (see significant): a short value, a
// word or a list of numbers found in a query is most likely a coincidence,
// and even if it came from the client it cannot break out of the token it
// lands in.

const (
	maxSearchedInputs = 256 // significant inputs searched per value (all that Inputs keeps)
	maxOccurrences    = 16  // occurrences of one input (both of its forms)
	maxDecoded        = 256 // longest input whose URL-decoded form is searched
	spanWork          = 16  // disjoint ranges kept while searching
)

// InputSpans finds the occurrences of the significant inputs in v and
// writes them to out as sorted, merged byte ranges; which[i] is the index
// in inputs of an input that produced out[i]. It returns the number of
// spans (at most MaxSpans; further ranges are merged into the last one).
//
// An input is significant when it is at least 3 bytes long, is not made of
// ASCII letters, digits and underscores only, and is not a list of integers
// (each an optional '-' and digits, separated by commas and spaces, as in
// "1,2,3" or "4, -5"). Each significant input is searched as sent and, when
// it holds a '%' and is at most 256 bytes long, URL-decoded once more (for
// an application that decodes again): %XX escapes are decoded, a '%' that
// does not start one is kept, and '+' stays '+'; the decoded form is
// searched when it differs and is significant itself. At most 256 inputs are
// searched (inputs skipped as insignificant or too long do not count) and at
// most 16 occurrences of each are taken, leftmost first, without overlap
// between occurrences of the same form.
//
// Overlapping and adjacent ranges are merged; which names, for each range,
// the input of its longest occurrence (the first such input on a tie).
func InputSpans(v string, inputs []Input, out *[MaxSpans]Span, which *[MaxSpans]int) int {
	if len(v) < 3 {
		return 0
	}
	var set spanSet
	searched := 0
	for i := range inputs {
		if searched == maxSearchedInputs {
			break
		}
		s := inputs[i].Value
		if len(s) < 3 {
			continue
		}
		if len(s) > len(v) && len(s) > maxDecoded {
			continue // neither form can be searched
		}
		if !significant(s) {
			// A word or a list of numbers holds no '%' either.
			continue
		}
		budget := maxOccurrences
		did := false
		if len(s) <= len(v) {
			did = true
			set.find(v, s, i, &budget)
		}
		if len(s) <= maxDecoded && strings.IndexByte(s, '%') >= 0 {
			if findDecoded(v, s, i, &budget, &set) {
				did = true
			}
		}
		if did {
			searched++
		}
	}
	return set.emit(out, which)
}

// findDecoded searches v for s URL-decoded once, when that differs from s
// and is significant, and reports whether it searched. It is a function of
// its own so that the buffer is only set up for the inputs holding a '%'.
func findDecoded(v, s string, idx int, budget *int, set *spanSet) bool {
	var buf [maxDecoded]byte
	n, changed := unescapeTo(s, &buf)
	if !changed || n < 3 || n > len(v) {
		return false
	}
	// The bytes stay unchanged while the string is in use, and it does
	// not outlive this call.
	d := unsafe.String(&buf[0], n)
	if !significant(d) {
		return false
	}
	set.find(v, d, idx, budget)
	return true
}

// significant reports whether an input is worth searching for; see
// InputSpans.
func significant(s string) bool {
	if len(s) < 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !wordByte[s[i]] {
			return !numericList(s)
		}
	}
	return false // a word
}

// wordByte tells the bytes of a word: ASCII letters, digits, underscore.
var wordByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
	}
	return t
}()

// numericList reports whether s is integers, each an optional '-' and
// digits, separated (and possibly surrounded) by commas and spaces. A '-'
// must start a number, so "--" never appears.
func numericList(s string) bool {
	nums := 0
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ',' || c == ' ':
			i++
		case c == '-' || '0' <= c && c <= '9':
			if c == '-' {
				i++
			}
			j := i
			for i < len(s) && '0' <= s[i] && s[i] <= '9' {
				i++
			}
			if i == j {
				return false
			}
			if i < len(s) && s[i] != ',' && s[i] != ' ' {
				return false
			}
			nums++
		default:
			return false
		}
	}
	return nums > 0
}

// unescapeTo writes s with its %XX escapes decoded to buf (len(s) <=
// len(buf)); a '%' not followed by two hex digits is copied, and '+' is
// kept. changed reports whether an escape was decoded.
func unescapeTo(s string, buf *[maxDecoded]byte) (n int, changed bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			if h, ok := hexDigit(s[i+1]); ok {
				if l, ok := hexDigit(s[i+2]); ok {
					c = h<<4 | l
					i += 2
					changed = true
				}
			}
		}
		buf[n] = c
		n++
	}
	return n, changed
}

func hexDigit(c byte) (byte, bool) {
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

// spanSet is a sorted list of disjoint, non-adjacent ranges, each with the
// input of its longest occurrence.
type spanSet struct {
	n int
	r [spanWork]workSpan
}

type workSpan struct {
	start, end int
	which      int // index of the input of the longest occurrence
	occ        int // length of that occurrence
}

// better reports whether an occurrence of input i, occ bytes long, names a
// range better than the one the range has.
func (w *workSpan) better(i, occ int) bool {
	return occ > w.occ || occ == w.occ && i < w.which
}

// find adds the occurrences of s in v (len(s) <= len(v)), while budget
// lasts.
func (set *spanSet) find(v, s string, idx int, budget *int) {
	off := 0
	for *budget > 0 && len(v)-off >= len(s) {
		j := strings.Index(v[off:], s)
		if j < 0 {
			return
		}
		start := off + j
		set.add(start, start+len(s), idx)
		*budget--
		off = start + len(s)
	}
}

// add adds the range [start, end), occurrence of input idx.
func (set *spanSet) add(start, end, idx int) {
	occ := end - start
	// k: the first range that ends at or after start, so touches or
	// follows the new one.
	k := 0
	for k < set.n && set.r[k].end < start {
		k++
	}
	if k == set.n || set.r[k].start > end {
		// Disjoint: insert at k.
		if set.n == spanWork {
			// Full (pathological): merge the last two ranges to make
			// room, which only makes more of the value dynamic, and only
			// past the first MaxSpans-1 ranges unless later ranges merge
			// most of those before.
			set.n--
			l := &set.r[set.n-1]
			r := &set.r[set.n]
			if l.better(r.which, r.occ) {
				l.which, l.occ = r.which, r.occ
			}
			l.end = r.end
			if k >= set.n {
				// The new range falls inside or after the merged one.
				if end > l.end {
					l.end = end
				}
				if l.better(idx, occ) {
					l.which, l.occ = idx, occ
				}
				return
			}
		}
		copy(set.r[k+1:set.n+1], set.r[k:set.n])
		set.r[k] = workSpan{start, end, idx, occ}
		set.n++
		return
	}
	// Merge with r[k] and those after it that the new range reaches.
	m := set.r[k]
	if start < m.start {
		m.start = start
	}
	if m.better(idx, occ) {
		m.which, m.occ = idx, occ
	}
	last := k
	for last+1 < set.n && set.r[last+1].start <= end {
		last++
		if o := &set.r[last]; m.better(o.which, o.occ) {
			m.which, m.occ = o.which, o.occ
		}
	}
	if set.r[last].end > end {
		end = set.r[last].end
	}
	if end > m.end {
		m.end = end
	}
	set.r[k] = m
	if last > k {
		copy(set.r[k+1:], set.r[last+1:set.n])
		set.n -= last - k
	}
}

// emit writes the ranges to out and which, the ranges past MaxSpans-1
// merged into the last one.
func (set *spanSet) emit(out *[MaxSpans]Span, which *[MaxSpans]int) int {
	n := set.n
	if n > MaxSpans {
		last := set.r[MaxSpans-1]
		for i := MaxSpans; i < n; i++ {
			if o := &set.r[i]; last.better(o.which, o.occ) {
				last.which, last.occ = o.which, o.occ
			}
		}
		last.end = set.r[n-1].end
		set.r[MaxSpans-1] = last
		n = MaxSpans
	}
	for i := 0; i < n; i++ {
		out[i] = Span{set.r[i].start, set.r[i].end}
		which[i] = set.r[i].which
	}
	return n
}
