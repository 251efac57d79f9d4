package taint

import (
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/span"
)

// Tmpl is what the build knew about how one argument of a sink call was
// built: the static text the programmer wrote around the dynamic holes
// (len(Segs) = holes + 1).
type Tmpl struct {
	Arg  int      // index of the argument among the sink's parameters
	Join bool     // built by filepath.Join or path.Join: Segs[0] is the static directory prefix
	Segs []string // static segments
	// Num has bit i set when hole i only ever holds a number or a boolean
	// (%d, strconv.Itoa, %v of an int): it cannot carry a quote, a
	// separator or a "..", nor choose a name.
	Num uint64
}

// T builds a Tmpl; generated site declarations call it.
func T(arg int, join bool, segs ...string) Tmpl { return Tmpl{Arg: arg, Join: join, Segs: segs} }

// Tn builds a Tmpl whose holes in the mask num only ever hold numbers;
// generated site declarations call it.
func Tn(arg int, join bool, num uint64, segs ...string) Tmpl {
	return Tmpl{Arg: arg, Join: join, Segs: segs, Num: num}
}

// MaxSpans bounds the dynamic ranges passed to a detector (and reported by
// Tmpl.Spans and InputSpans); more holes than that are merged into the
// last range, which only widens what is dynamic.
const MaxSpans = 8

// Spans finds the dynamic ranges of v by matching the template's static
// segments: the first one as a prefix, the last one as a suffix, those in
// between leftmost. When a dynamic value contains a copy of the static text
// that follows it, the match shifts, but every byte the programmer did not
// write still lands in some dynamic range. ok is false when v does not fit
// the template (a cleaned path that left its prefix, for one).
func (t *Tmpl) Spans(v string, out *[MaxSpans]span.Span) (n int, ok bool) {
	n, ok, _ = t.match(v, out, false, false)
	return n, ok
}

// TextSpans is spans without the ranges of holes that only ever hold
// numbers: the dynamic ranges that can carry text. When the leftmost match
// puts text into a number's hole ("/proc/123/fd" against {dyn}/{num}/fd
// matches the first "/"), the rightmost match is tried.
func (t *Tmpl) TextSpans(v string, out *[MaxSpans]span.Span) (n int, ok bool) {
	if t.Num == 0 {
		return t.Spans(v, out)
	}
	n, ok, odd := t.match(v, out, true, false)
	if ok && odd && len(t.Segs) <= maxRightSegs {
		if m, ok2, odd2 := t.match(v, out, true, true); ok2 && !odd2 {
			return m, true
		}
		n, ok, _ = t.match(v, out, true, false)
	}
	return n, ok
}

// maxRightSegs bounds the segments of a template matched rightmost.
const maxRightSegs = 32

// match finds the dynamic ranges of v: the first segment as a prefix, the
// last as a suffix, those in between leftmost (or rightmost). With
// textOnly, the ranges of holes that only hold numbers are left out when
// their text looks like a number; odd tells that one did not.
func (t *Tmpl) match(v string, out *[MaxSpans]span.Span, textOnly, rightmost bool) (n int, ok, odd bool) {
	segs := t.Segs
	if len(segs) == 0 || !strings.HasPrefix(v, segs[0]) {
		return 0, false, false
	}
	last := len(segs) - 1
	var at [maxRightSegs]int // rightmost: where segs[i] starts
	if rightmost {
		hi := len(v) - len(segs[last])
		if last == 0 || hi < len(segs[0]) || !strings.HasSuffix(v, segs[last]) {
			return 0, false, false
		}
		for i := last - 1; i >= 1; i-- {
			j := strings.LastIndex(v[len(segs[0]):hi], segs[i])
			if j < 0 {
				return 0, false, false
			}
			hi = len(segs[0]) + j
			at[i] = hi
		}
	}
	pos := len(segs[0])
	start := pos
	num := true // every hole of the range being built holds a number
	emit := func(end int) {
		skip := end <= start
		if !skip && textOnly && num {
			if looksNumeric(v[start:end]) {
				skip = true
			} else {
				odd = true
			}
		}
		num = true
		if skip {
			return
		}
		if n == MaxSpans {
			out[n-1].End = end
			return
		}
		out[n] = span.Span{Start: start, End: end}
		n++
	}
	for i := 1; i < len(segs); i++ {
		seg := segs[i]
		num = num && i-1 < 64 && t.Num&(1<<(i-1)) != 0
		if i == last {
			end := len(v) - len(seg)
			if end < pos || !strings.HasSuffix(v, seg) {
				return 0, false, false
			}
			emit(end)
			return n, true, odd
		}
		if seg == "" {
			continue // two holes side by side make one range
		}
		var j int
		if rightmost {
			j = at[i] - pos
		} else {
			j = strings.Index(v[pos:], seg)
		}
		if j < 0 {
			return 0, false, false
		}
		emit(pos + j)
		pos += j + len(seg)
		start = pos
	}
	return n, pos == len(v), odd
}

// looksNumeric reports whether s could be a number or a boolean as fmt and
// strconv print them (-12, 0x1f, 3.5e+07, NaN, true): letters, digits,
// '.', '+' and '-', and no "..". It guards against a template that
// mislabelled a hole.
func looksNumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '+' || c == '-' ||
			c == '.' && (i+1 == len(s) || s[i+1] != '.')) {
			return false
		}
	}
	return true
}
