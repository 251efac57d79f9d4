// Package pathjoin remembers the paths that a join made climb. The build
// reroutes the program's calls of filepath.Join and path.Join (the
// propagate advice of the sink spec) to Filepath and Slash, which return
// what Join returns and, when an element after the first is a dynamic part
// whose ".." took the path above the elements joined before it (a zip
// slip's "../x" joined under the destination), record the result in a
// small ring. Join cleans the ".." away, so the file sink that receives the
// result cannot see it: it asks Lookup, by the string's identity (its data
// pointer and length), whether the path is one of them.
//
// The clean path (no element after the first holds "..") costs a byte
// search per element and allocates nothing beyond what Join allocates.
package pathjoin

import (
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/configured"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/literal"
)

// Slots is the size of the ring: the last Slots climbing joins are
// remembered. An extraction loop hands each result to its sink right after
// the join, so a few slots would do; 64 leave room for concurrent ones.
const Slots = 64

// record is one climbing join. The ring holds no pointer into the result
// (which would make every Join's arguments escape to the heap); it holds
// its address as a number and a copy, so a string that reuses the address
// once the result is freed matches only with the same bytes.
type record struct {
	data uintptr // address of the result's bytes
	path string  // a copy of the result
	keep int     // prefixes of path no longer than keep are the base directory or its parents
	elem string  // a copy of the element that climbed
	sep  byte    // the separator of the join
}

var (
	ring [Slots]atomic.Pointer[record]
	next atomic.Uint64 // slots written so far; the next one is next % Slots
	flag atomic.Bool   // set once a join climbed: Lookup's fast path
)

// Filepath is filepath.Join(elem...), which it returns, recording the
// result when a dynamic element climbed.
func Filepath(elem ...string) string {
	p := filepath.Join(elem...)
	if mayClimb(elem) {
		note(p, elem, false)
	}
	return p
}

// Slash is path.Join(elem...), which it returns, recording the result when
// a dynamic element climbed.
func Slash(elem ...string) string {
	p := path.Join(elem...)
	if mayClimb(elem) {
		note(p, elem, true)
	}
	return p
}

// mayClimb is the cheap test: an element after the first holds "..".
func mayClimb(elem []string) bool {
	for i := 1; i < len(elem); i++ {
		if strings.Contains(elem[i], "..") {
			return true
		}
	}
	return false
}

// note records p, the join of elem, if a dynamic element after the first
// took the path above the elements joined before it: the join of the
// elements up to it is not inside the join of the elements before it, nor
// is p. An element written in the program (a string constant, such as
// filepath.Join(dir, "..", name)'s "..") or given to the process by its
// operator (an argument, an environment variable: package configured;
// "-config ../common/app.yaml" is theirs to climb) is not dynamic.
// With slash the join is path.Join's, else filepath.Join's. No function
// values here: they would make elem's strings escape to the heap, and so
// the arguments of every call of the join.
func note(p string, elem []string, slash bool) {
	sep := byte(filepath.Separator)
	if slash {
		sep = '/'
	}
	for i := 1; i < len(elem); i++ {
		e := elem[i]
		if !strings.Contains(e, "..") || literal.Is(e) || configured.Value(e) {
			continue
		}
		var base, upto string
		if slash {
			base, upto = path.Join(elem[:i]...), path.Join(elem[:i+1]...)
		} else {
			base, upto = filepath.Join(elem[:i]...), filepath.Join(elem[:i+1]...)
		}
		if inside(upto, base, sep, slash) || inside(p, base, sep, slash) {
			continue
		}
		Record(p, e, keep(p, base, sep, slash), sep)
		return
	}
}

// inside reports whether the clean path p is base or under it; base ""
// is the working directory, under which every relative path that does not
// start with ".." lies.
func inside(p, base string, sep byte, slash bool) bool {
	switch {
	case base == "" || base == ".":
		return !isAbs(p, slash) && p != ".." && !strings.HasPrefix(p, ".."+string(sep))
	case p == base:
		return true
	case base[len(base)-1] == sep: // the root
		return strings.HasPrefix(p, base)
	}
	return len(p) > len(base) && p[len(base)] == sep && p[:len(base)] == base
}

// keep returns the length of the longest prefix of p, ending at a
// separator, that is base or one of its parents: shorter prefixes of a
// recorded path are not outside the base directory (filepath.Dir of
// "/data/../x" is "/", a parent of "/data").
func keep(p, base string, sep byte, slash bool) int {
	k := 0
	if p == "" {
		return 0
	}
	for j := 0; j <= len(p); j++ {
		if j < len(p) && p[j] != sep {
			continue
		}
		q := p[:j]
		if j == 0 {
			q = p[:1] // the root
		}
		if base == q || inside(base, q, sep, slash) {
			k = max(j, len(q))
		}
	}
	return k
}

// isAbs is path.IsAbs with slash, else filepath.IsAbs.
func isAbs(p string, slash bool) bool {
	if slash {
		return path.IsAbs(p)
	}
	return filepath.IsAbs(p)
}

// Record remembers p as a path that the element elem of a join made climb;
// prefixes of p no longer than keep (and ending before a separator) are
// not outside the directory it was joined under.
func Record(p, elem string, keep int, sep byte) {
	if p == "" {
		return
	}
	r := &record{data: uintptr(unsafe.Pointer(unsafe.StringData(p))), path: strings.Clone(p), keep: keep, sep: sep, elem: strings.Clone(elem)}
	i := next.Add(1) - 1
	ring[i%Slots].Store(r)
	flag.Store(true)
}

// Lookup reports whether p is a path that a recent join made climb: the
// very string the join returned (same bytes at the same address), or a
// prefix of it (filepath.Dir of it) that is still outside the directory it
// was joined under; elem is the element that climbed. It costs an atomic
// load when no join ever climbed, and a scan of the ring otherwise; it does
// not allocate.
func Lookup(p string) (elem string, found bool) {
	if !flag.Load() || p == "" {
		return "", false
	}
	data := uintptr(unsafe.Pointer(unsafe.StringData(p)))
	for i := range ring {
		r := ring[i].Load()
		if r == nil || r.data != data || len(p) > len(r.path) {
			continue
		}
		if len(p) == len(r.path) {
			if p == r.path {
				return r.elem, true
			}
			continue
		}
		if len(p) > r.keep && r.path[len(p)] == r.sep && p == r.path[:len(p)] {
			return r.elem, true
		}
	}
	return "", false
}

// Reset forgets every recorded join; for tests.
func Reset() {
	for i := range ring {
		ring[i].Store(nil)
	}
	flag.Store(false)
}
