package pathguard

import (
	"path/filepath"
	"strings"
)

// linkState is what readLink found at a path.
type linkState uint8

const (
	linkNot     linkState = iota // exists, not a symbolic link
	linkIs                       // a symbolic link
	linkMissing                  // it, or a directory before it, does not exist
	linkUnknown                  // cannot tell (permission, a target too long)
)

// maxLinks bounds the symbolic links followed in one path, as the kernel
// does (ELOOP).
const maxLinks = 40

// walk appends the segments of rest ('/'-separated; "." and ".." applied
// as the kernel applies them: after the links before them) to dst, a
// resolved absolute path ('/' at least), following the symbolic link of
// every existing component; from the first component that does not
// exist, or cannot be read, on, the rest is appended lexically. With
// noFollow the last segment is appended without following it (remove,
// rename and lstat act on a link itself). It returns the result, the
// number of links followed, and ok false when a buffer is too small or the
// links loop (the result is then not to be used). It does not allocate
// when dst has room for the result.
func walk(dst []byte, rest string, noFollow bool) (res []byte, links int, ok bool) {
	var bufs [2][bufSize]byte
	var target [bufSize]byte
	cur := 0
	lexical := false
	last := -1 // the start of rest's last segment, with noFollow
	if noFollow {
		last = lastSegStart(rest)
	}
	for i := 0; i < len(rest); {
		start := i
		var seg string
		seg, i = nextSeg(rest, i)
		for start < len(rest) && rest[start] == '/' {
			start++
		}
		switch {
		case seg == "" || seg == ".":
			continue
		case seg == "..":
			dst = appendSeg(dst, seg)
			continue
		}
		if len(dst)+len(seg)+2 > cap(dst) {
			return dst, links, false
		}
		mark := len(dst)
		dst = appendSeg(dst, seg)
		if lexical || start == last {
			continue
		}
		dst = append(dst, 0)
		n, st := readLink(dst, target[:])
		dst = dst[:len(dst)-1]
		switch st {
		case linkMissing, linkUnknown:
			lexical = true
		case linkIs:
			links++
			if links > maxLinks || n == 0 || n+1+len(rest)-i > bufSize {
				return dst, links, false
			}
			nb := append(bufs[cur][:0], target[:n]...)
			nb = append(nb, '/')
			nb = append(nb, rest[i:]...)
			cur ^= 1
			if last >= 0 {
				last = n + 1 + (last - i)
			}
			rest, i = bytesString(nb), 0
			if target[0] == '/' {
				dst = dst[:1]
			} else {
				dst = dst[:mark]
			}
		}
	}
	return dst, links, true
}

// lastSegStart returns the index at which the last non-empty segment of p
// starts, or -1.
func lastSegStart(p string) int {
	end := len(p)
	for end > 0 && p[end-1] == '/' {
		end--
	}
	if end == 0 {
		return -1
	}
	start := end
	for start > 0 && p[start-1] != '/' {
		start--
	}
	return start
}

// linkEscape reports whether the dynamic rest of a path, walked from the
// directory ref the program wrote before it (clean, absolute), leads
// through a symbolic link out of where ref itself leads. rp is where the
// path leads (resolved) and links the number of links met in the rest; ok
// is false when the walk could not tell.
func linkEscape(ref, rest string, noFollow bool, pb *[bufSize + 1]byte) (rp string, escapes, ok bool) {
	var rb [bufSize + 1]byte
	rref, _, ok1 := walk(append(rb[:0], '/'), ref, false)
	if !ok1 {
		return "", false, false
	}
	p, links, ok2 := walk(append(pb[:0], rref...), rest, noFollow)
	if !ok2 {
		return "", false, false
	}
	rp = bytesString(p)
	return rp, links > 0 && !within(rp, bytesString(rref)), true
}

// resolveAll returns where the path view ('/' separators) leads, made
// absolute against the working directory, its existing components' links
// followed, in pb; ok is false when the walk could not tell.
func resolveAll(view string, noFollow bool, pb *[bufSize + 1]byte) (string, bool) {
	dst := append(pb[:0], '/')
	ok := true
	if len(view) == 0 || view[0] != '/' {
		dst, _, ok = walk(dst, workDir(), false)
		if !ok {
			return "", false
		}
	}
	dst, _, ok = walk(dst, view, noFollow)
	return bytesString(dst), ok
}

// inResolvedBases reports whether rp, a resolved path, lies in what one of
// bases leads to.
func inResolvedBases(rp string, bases []string, win bool) bool {
	for _, b := range bases {
		var bb [bufSize + 1]byte
		var abuf [bufSize]byte
		rb, _, ok := walk(append(bb[:0], '/'), cleanAbs(abuf[:0], workDir(), slashed(b, win), win), false)
		if !ok {
			if within(rp, filepath.ToSlash(resolve(b))) {
				return true
			}
			continue
		}
		if within(rp, bytesString(rb)) {
			return true
		}
	}
	return false
}

// linkRef returns the index of the separator that ends the directory the
// program wrote before the first dynamic part that follows one: the last
// '/' before that part which is in no dynamic part; -1 when every dynamic
// part starts the path.
func linkRef(view string, dyn []Span) int {
	n := len(view)
	best := -1
	for _, sp := range dyn {
		s, e := clampSpan(sp, n)
		if s >= e {
			continue
		}
		if j := staticSepBefore(view, s, dyn); j >= 0 && (best < 0 || s < best) {
			best = s
		}
	}
	if best < 0 {
		return -1
	}
	return staticSepBefore(view, best, dyn)
}

// refDir returns the clean absolute form of the directory view[:j+1], in
// buf.
func refDir(buf []byte, view string, j int, win bool) string {
	if j == 0 {
		return "/"
	}
	if strings.Contains(view[:j+1], "proc/") {
		return resolvedAbs(buf[:0], view[:j+1], win)
	}
	return cleanAbs(buf[:0], workDir(), view[:j+1], win)
}
