package taint

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"unsafe"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/span"
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
)

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
func InputSpans(v string, inputs []Input, out *[MaxSpans]span.Span, which *[MaxSpans]int) int {
	return findInputs(v, inputs, out, which, "")
}

// findInputs is InputSpans; with goos set, it is PathInputSpans for a path
// of that operating system.
func findInputs(v string, inputs []Input, out *[MaxSpans]span.Span, which *[MaxSpans]int, goos string) int {
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
		switch {
		case len(s) > maxDecoded:
		case goos == "":
			if strings.IndexByte(s, '%') >= 0 && findDecoded(v, s, i, &budget, &set) {
				did = true
			}
			// Escaped by hand, only when the input is not there as it came:
			// '' in a query is also an empty string.
			if budget == maxOccurrences && strings.IndexByte(s, '\'') >= 0 && findEscaped(v, s, i, &budget, &set) {
				did = true
			}
		case encoded(s):
			var forms pathForms
			for k, nf := 0, forms.forms(s, goos, true); k < nf; k++ {
				if d := forms.form(k); len(d) >= 3 && len(d) <= len(v) && significant(d) {
					set.find(v, d, i, &budget)
					did = true
				}
			}
		}
		if did {
			searched++
		}
	}
	return set.emit(out, which)
}

// findEscaped searches v for s with its quotes escaped as programs escape
// them by hand before pasting a value into SQL: each quote doubled, or a
// backslash before each quote and each backslash (as
// mysql_real_escape_string does). It reports whether it searched.
func findEscaped(v, s string, idx int, budget *int, set *spanSet) bool {
	var buf [maxDecoded]byte
	did := false
	for _, backslash := range [2]bool{false, true} {
		n := 0
		for i := 0; i < len(s) && n+2 <= len(buf); i++ {
			c := s[i]
			switch {
			case c == '\'' && backslash, c == '\\' && backslash:
				buf[n], buf[n+1] = '\\', c
				n += 2
			case c == '\'':
				buf[n], buf[n+1] = '\'', '\''
				n += 2
			default:
				buf[n] = c
				n++
			}
			if i == len(s)-1 && n <= len(v) {
				// The bytes stay unchanged while the string is in use, and
				// it does not outlive this call.
				set.find(v, unsafe.String(&buf[0], n), idx, budget)
				did = true
			}
		}
	}
	return did
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
func (set *spanSet) emit(out *[MaxSpans]span.Span, which *[MaxSpans]int) int {
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
		out[i] = span.Span{Start: set.r[i].start, End: set.r[i].end}
		which[i] = set.r[i].which
	}
	return n
}

// IntoLastSegment reports whether a range of p ending at end reaches the
// separator before its last segment: the range chose the file's directory
// at least.
func IntoLastSegment(p string, end int, goos string) bool {
	last := len(p)
	for last > 0 && isPathSep(p[last-1], goos) {
		last--
	}
	for last > 0 && !isPathSep(p[last-1], goos) {
		last--
	}
	return end >= last-1
}

// PathInputSpans is InputSpans for a path: besides its raw form and its
// URL-decoded one, each significant input of at most 256 bytes holding a
// byte that starts an encoding is searched URL-decoded twice and decoded
// by pathguard.AppendDecode, when those forms differ and are significant.
func PathInputSpans(v string, inputs []Input, out *[MaxSpans]span.Span, which *[MaxSpans]int, goos string) int {
	return findInputs(v, inputs, out, which, goos)
}

// encoded reports whether s holds a byte that may start an encoding an
// application undoes: '%', '\\', or a lead byte of an overlong or
// look-alike sequence.
func encoded(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%', '\\', 0xc0, 0xc1, 0xe0, 0xe2, 0xef, 0xf0, 0xf8, 0xfc:
			return true
		}
	}
	return false
}

// pathForms holds the decoded forms of one input (at most maxDecoded
// bytes), in buffers of its own: of finds them, form returns them.
type pathForms struct {
	once, twice, full, slash [maxDecoded]byte
	lens                     [4]int // lengths of the forms in once, twice, full, slash
	kept                     [4]int // indexes into lens of the distinct forms
}

// of finds the forms of s that differ from s and from each other:
// URL-decoded once, twice, by pathguard.AppendDecode, and, on a system
// where a backslash separates nothing, decoded with its backslashes turned
// to '/' (an application that turns "link\\file" into "link/file"), that
// last one only with slash: it finds an input in a path, but is no proof
// that an input climbed (ClimbingInput) or is the whole path. It returns
// how many there are; form(i) is the i-th.
func (f *pathForms) of(s, goos string) int { return f.forms(s, goos, false) }

func (f *pathForms) forms(s, goos string, slash bool) int {
	n := 0
	if k, changed := unescapeTo(s, &f.once); changed && k > 0 {
		f.lens[0] = k
		n = f.keep(n, s, 0)
		if k2, changed := unescapeTo(unsafe.String(&f.once[0], k), &f.twice); changed && k2 > 0 {
			f.lens[1] = k2
			n = f.keep(n, s, 1)
		}
	}
	if d := pathguard.AppendDecode(f.full[:0], s, goos); len(d) > 0 && len(d) <= maxDecoded {
		f.lens[2] = len(d)
		n = f.keep(n, s, 2)
	}
	if slash && goos != "windows" && strings.IndexByte(s, '\\') >= 0 {
		if d := pathguard.AppendDecode(f.slash[:0], s, "windows"); len(d) > 0 && len(d) <= maxDecoded {
			f.lens[3] = len(d)
			n = f.keep(n, s, 3)
		}
	}
	return n
}

// raw returns form k (0 once, 1 twice, 2 full, 3 slash), pointing into f.
func (f *pathForms) raw(k int) string {
	switch k {
	case 0:
		return unsafe.String(&f.once[0], f.lens[0])
	case 1:
		return unsafe.String(&f.twice[0], f.lens[1])
	case 3:
		return unsafe.String(&f.slash[0], f.lens[3])
	}
	return unsafe.String(&f.full[0], f.lens[2])
}

// form returns the i-th distinct form, pointing into f.
func (f *pathForms) form(i int) string { return f.raw(f.kept[i]) }

// keep adds form k to the n kept ones unless it equals s or one of them,
// and returns the new count.
func (f *pathForms) keep(n int, s string, k int) int {
	d := f.raw(k)
	if d == s {
		return n
	}
	for _, o := range f.kept[:n] {
		if f.raw(o) == d {
			return n
		}
	}
	f.kept[n] = k
	return n + 1
}

// WholePathInput returns the index of an input that, in one of its forms,
// names the same file as p once both are cleaned (pathguard.SamePath):
// "/etc/./passwd" or "//etc//passwd" opened as "/etc/passwd". Only forms
// holding a separator and the last segment of p, and absolute exactly
// when p is, are compared. It returns -1 when there is none.
func WholePathInput(inputs []Input, p string, goos string) int {
	base := lastSegment(p, goos)
	if base == "" {
		return -1
	}
	for i := range inputs {
		s := inputs[i].Value
		if len(s) < 3 || len(s) > maxDecoded && len(s) > 4*len(p) {
			continue
		}
		if samePathInput(s, p, base, goos) {
			return i
		}
		if len(s) <= maxDecoded && encoded(s) {
			var forms pathForms
			for k, nf := 0, forms.of(s, goos); k < nf; k++ {
				if samePathInput(forms.form(k), p, base, goos) {
					return i
				}
			}
		}
	}
	return -1
}

// samePathInput reports whether input form v names the file p names, base
// being p's last segment; a relative v is compared with a relative p only
// (a relative input made absolute chose a path under the working
// directory, not the root).
func samePathInput(v, p, base, goos string) bool {
	return strings.Contains(v, base) && hasSep(v, goos) && isAbsPath(v, goos) == isAbsPath(p, goos) && pathguard.SamePath(v, p, goos)
}

// isAbsPath reports whether p starts at a root: '/', or on Windows a
// backslash or a drive letter and a separator.
func isAbsPath(p, goos string) bool {
	if len(p) > 0 && isPathSep(p[0], goos) {
		return true
	}
	return goos == "windows" && len(p) >= 3 && p[1] == ':' && isPathSep(p[2], goos)
}

// lastSegment returns the last non-empty segment of p.
func lastSegment(p, goos string) string {
	end := len(p)
	for end > 0 && isPathSep(p[end-1], goos) {
		end--
	}
	start := end
	for start > 0 && !isPathSep(p[start-1], goos) {
		start--
	}
	return p[start:end]
}

func isPathSep(c byte, goos string) bool { return c == '/' || c == '\\' && goos == "windows" }

func hasSep(s, goos string) bool {
	return strings.IndexByte(s, '/') >= 0 || goos == "windows" && strings.IndexByte(s, '\\') >= 0
}

// ClimbingInput returns the index of an input that, in one of its forms
// (see PathInputSpans), has ".." segments climbing above its start
// followed by a rest that ends path, such that path lies outside the
// directory the input was joined to; -1 if none. "../../etc/passwd"
// opened as "/etc/passwd" is one; "a/../b" is not.
//
// The ".." are gone from a cleaned path, and so is the directory the input
// was joined to: if the climb took effect, that directory was below the
// one the rest now follows, so that one has a subdirectory. When it has
// none (or does not exist), the input cannot have climbed out of anything
// and its ".." were dropped before the path was built (filepath.Base
// turns "../secret.txt" into "secret.txt", joined as
// "uploads/secret.txt"): no finding. Backslashes separate on Windows
// only.
func ClimbingInput(inputs []Input, path string, goos string) int {
	for i := range inputs {
		v := inputs[i].Value
		if len(v) < 4 {
			continue
		}
		if mayClimbTo(v, path, goos) && climbedTo(v, path, goos) {
			return i
		}
		if len(v) <= maxDecoded && encoded(v) {
			var forms pathForms
			for k, nf := 0, forms.of(v, goos); k < nf; k++ {
				// A copy: climbedTo keeps parts of its input, which would
				// move forms to the heap on the clean path too.
				if d := forms.form(k); mayClimbTo(d, path, goos) && climbedTo(strings.Clone(d), path, goos) {
					return i
				}
			}
		}
	}
	return -1
}

// mayClimbTo is climbedTo's cheap first test, which does not allocate: v
// holds "..", and path ends with a separator and v's last segment.
func mayClimbTo(v, path, goos string) bool {
	if !strings.Contains(v, "..") {
		return false
	}
	last := lastSegment(v, goos)
	if last == "" || last == ".." || len(path) <= len(last) || !strings.HasSuffix(path, last) {
		return false
	}
	return isPathSep(path[len(path)-len(last)-1], goos)
}

// climbedTo reports whether input v climbs above its start and its rest
// ends path, below a directory that has a subdirectory to climb from.
func climbedTo(v, path, goos string) bool {
	if goos == "windows" {
		v = strings.ReplaceAll(v, "\\", "/")
		path = strings.ReplaceAll(path, "\\", "/")
	}
	rest, climbs := climb(v)
	if !climbs || rest == "" || !strings.HasSuffix(path, "/"+rest) {
		return false
	}
	dir := path[:len(path)-len(rest)-1]
	if dir == "" {
		dir = "/"
	}
	return hasSubdir(dir)
}

// hasSubdir reports whether directory dir has an entry that is, or may be
// (a symbolic link), a directory. A directory too large to list in full
// counts as having one; one that cannot be read for another reason than
// not existing too.
func hasSubdir(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR)
	}
	defer f.Close()
	for seen := 0; seen < 4096; {
		ents, err := f.ReadDir(256)
		for _, e := range ents {
			if e.IsDir() || e.Type()&fs.ModeSymlink != 0 {
				return true
			}
		}
		seen += len(ents)
		if err != nil {
			return false
		}
	}
	return true
}

// climb reports whether the ".." segments of a relative path climb above
// its start, and the segments after the last "..".
func climb(p string) (rest string, climbs bool) {
	depth := 0
	segs := strings.Split(p, "/")
	last := -1
	for i, s := range segs {
		switch s {
		case "..":
			depth--
			if depth < 0 {
				climbs = true
			}
			last = i
		case ".", "":
		default:
			depth++
		}
	}
	return strings.Trim(strings.Join(segs[last+1:], "/"), "/"), climbs
}
