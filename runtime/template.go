package rasp

import "strings"

// Tmpl is what the build knew about how one argument of a sink call was
// built: the static text the programmer wrote around the dynamic holes
// (len(Segs) = holes + 1).
type Tmpl struct {
	Arg  int      // index of the argument among the sink's parameters
	Join bool     // built by filepath.Join or path.Join: Segs[0] is the static directory prefix
	Segs []string // static segments
}

// T builds a Tmpl; generated site declarations call it.
func T(arg int, join bool, segs ...string) Tmpl { return Tmpl{Arg: arg, Join: join, Segs: segs} }

// Span is a half-open byte range [Start, End) of a value that came from a
// variable.
type Span struct{ Start, End int }

// maxSpans bounds the dynamic ranges passed to a detector; more holes than
// that are merged into the last range, which only widens what is dynamic.
const maxSpans = 8

// template returns the template of argument arg of the call, or nil when
// the call site did not know how it was built.
func (s *Site) template(arg int) *Tmpl {
	for i := range s.Tmpls {
		if s.Tmpls[i].Arg == arg {
			return &s.Tmpls[i]
		}
	}
	return nil
}

// spans finds the dynamic ranges of v by matching the template's static
// segments: the first one as a prefix, the last one as a suffix, those in
// between leftmost. When a dynamic value contains a copy of the static text
// that follows it, the match shifts, but every byte the programmer did not
// write still lands in some dynamic range. ok is false when v does not fit
// the template (a cleaned path that left its prefix, for one).
func (t *Tmpl) spans(v string, out *[maxSpans]Span) (n int, ok bool) {
	segs := t.Segs
	if len(segs) == 0 || !strings.HasPrefix(v, segs[0]) {
		return 0, false
	}
	pos := len(segs[0])
	start := pos
	emit := func(end int) {
		if end <= start {
			return
		}
		if n == maxSpans {
			out[n-1].End = end
			return
		}
		out[n] = Span{start, end}
		n++
	}
	for i := 1; i < len(segs); i++ {
		seg := segs[i]
		if i == len(segs)-1 {
			end := len(v) - len(seg)
			if end < pos || !strings.HasSuffix(v, seg) {
				return 0, false
			}
			emit(end)
			return n, true
		}
		if seg == "" {
			continue // two holes side by side make one range
		}
		j := strings.Index(v[pos:], seg)
		if j < 0 {
			return 0, false
		}
		emit(pos + j)
		pos += j + len(seg)
		start = pos
	}
	return n, pos == len(v)
}

// MaxSpans is the most dynamic ranges Tmpl.Spans reports.
const MaxSpans = maxSpans

// Template returns the build's template for argument arg of the call, or
// nil when the call site did not know how that argument was built.
func (s *Site) Template(arg int) *Tmpl { return s.template(arg) }

// Spans finds the dynamic byte ranges of v, the value the template
// describes; ok is false when v does not fit the template.
func (t *Tmpl) Spans(v string, out *[MaxSpans]Span) (n int, ok bool) { return t.spans(v, out) }
