// Package pathguard detects path traversal at file-system call sites
// (os.Open, os.ReadFile, os.Create, ...).
//
// Check judges a path together with the byte ranges that were dynamic at
// the call site, as the kernel will resolve it: cleaned, made absolute
// against the working directory, with the /proc/<pid>/cwd and
// /proc/<pid>/root links followed, and with the symlinks of the existing
// prefix when a dynamic ".." makes them matter. The path is judged as it
// reaches the call: a "%2e%2e" in it names a file called "%2e%2e", and a
// backslash is a separator on Windows only. The encodings an application
// may undo before the call (%2e%2e, ..%2f, double encoding, %u, overlong
// UTF-8, NFKC look-alike dots and slashes) matter for finding a request's
// input in the path (AppendDecode), not for judging the path.
//
// The package imports the standard library only and does not allocate on
// the clean path.
package pathguard

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/span"
)

// Span is a dynamic byte range [Start,End) of the path: bytes that came from
// a variable or the request rather than from a literal at the call site. It
// is the runtime's one span type, shared with the other detectors.
type Span = span.Span

// Finding describes a detected problem: the rule that fired and the byte
// range [Start,End) of the path's dynamic part (or of the NUL byte).
type Finding struct {
	Rule       string
	Start, End int
}

// Rule names reported in Finding.Rule.
const (
	// RuleTraversal: a dynamic part with ".." segments takes the path out
	// of the directory written before it (the static text up to its last
	// separator, which may follow a dynamic directory, as "/uploads/" in
	// dir+"/uploads/"+name), or out of the working directory for a
	// relative path without one, or above the root.
	RuleTraversal = "path-traversal"
	// RuleOutsideBase: the resolved path lies outside every allowed base
	// directory.
	RuleOutsideBase = "path-outside-base"
	// RuleSensitive: a path with a dynamic part names a sensitive file
	// (/etc/shadow, /etc/passwd, /proc/*/environ, /proc/*/mem, ~/.ssh,
	// cloud and container credentials).
	RuleSensitive = "path-sensitive-file"
	// RuleNulByte: the path holds a NUL byte. The operating system refuses
	// such a path (EINVAL), so the runtime records the finding and lets the
	// call fail on its own.
	RuleNulByte = "path-nul-byte"
	// RuleAbsolute: a dynamic part starting at the path's first byte makes
	// it absolute, so whoever chose it chooses any file. With allowed bases
	// (the policy's path_bases) the paths inside them are no finding and
	// those outside are path-outside-base. A caller that knows the dynamic
	// part at the first byte is not client data (a configured directory,
	// as dir in dir+"/uploads/"+name) disregards it; Finding.End is the
	// end of that part.
	RuleAbsolute = "path-absolute-input"
	// RuleSymlink: the path leads, through a symbolic link in or after its
	// dynamic part, out of the directory written before that part (as
	// "/srv/data/" + "link/secret" with link pointing to /etc). No ".." is
	// needed, so the path looks inside as written.
	RuleSymlink = "path-symlink-escape"
)

// Rules returns the names of the rules this package reports.
func Rules() []string {
	return []string{RuleTraversal, RuleOutsideBase, RuleSensitive, RuleNulByte, RuleAbsolute, RuleSymlink}
}

var cwd atomic.Pointer[string]

// workDir returns the cached working directory.
func workDir() string {
	if p := cwd.Load(); p != nil {
		return *p
	}
	d, err := os.Getwd()
	if err != nil {
		d = "/"
	}
	d = filepath.ToSlash(d)
	cwd.Store(&d)
	return d
}

const bufSize = 512

// Check judges path p, as passed to os.Open and friends, given its dynamic
// spans. bases are the allowed base directories (nil turns the
// path-outside-base rule off, and path-absolute-input on). Rules, in
// order: path-nul-byte (a NUL byte anywhere), path-traversal,
// path-sensitive-file, path-absolute-input (no bases), path-outside-base.
// A path without dynamic spans is never a finding except for a NUL byte.
//
// A dynamic part holding a ".." segment must stay in the directory written
// before it: the path up to the last separator that is not in a dynamic
// part, so /app/uploads for "/app/uploads/"+name and /srv/app/uploads for
// dir+"/uploads/"+name with dir "/srv/app". Relative paths are made
// absolute against the working directory (os.Getwd, read once and
// cached). Backslashes separate only when runtime.GOOS is
// "windows".
//
// Where a dynamic part follows a directory written before it, the
// symbolic links of the path's existing components are followed from that
// directory on: a path that leads out of where that directory leads is
// path-symlink-escape, and with bases, a path that leads out of every base
// is path-outside-base. That costs one readlink per component of the
// directory and of the rest, paid only by paths with a dynamic part.
func Check(p string, dyn []Span, bases []string) (Finding, bool) {
	return check(p, dyn, bases, runtime.GOOS == "windows", false)
}

// CheckNoFollow is Check for a call that acts on the path's last component
// itself, not on what it links to (os.Remove, os.RemoveAll, os.Rename,
// os.Lstat): the last component's symbolic link is not followed.
func CheckNoFollow(p string, dyn []Span, bases []string) (Finding, bool) {
	return check(p, dyn, bases, runtime.GOOS == "windows", true)
}

// CheckOSLink is Check for the operating system goos ("windows" makes
// backslashes separators), with noFollow as in CheckNoFollow.
func CheckOSLink(p string, dyn []Span, bases []string, goos string, noFollow bool) (Finding, bool) {
	return check(p, dyn, bases, goos == "windows", noFollow)
}

// checkPrefix is check with the static directory prefix given explicitly,
// for call sites such as filepath.Join(prefix, name) whose result was
// cleaned before the check: a dynamic ".." must not take p out of prefix.
// win makes backslashes separators.
func checkPrefix(prefix, p string, dyn []Span, bases []string, win bool) (Finding, bool) {
	var buf [bufSize]byte
	joined := append(buf[:0], prefix...)
	joined = append(joined, '/')
	off := len(joined)
	joined = append(joined, p...)
	var sp [8]Span
	d := sp[:0]
	for _, s := range dyn {
		d = append(d, Span{Start: s.Start + off, End: s.End + off})
	}
	// Keep the spans of the caller's string in findings.
	f, bad := check(string(joined), d, bases, win, false)
	if bad {
		f.Start -= off
		f.End -= off
		if f.Start < 0 {
			f.Start = 0
		}
		if f.End < f.Start {
			f.End = f.Start
		}
	}
	return f, bad
}

// SamePath reports whether a and b name the same file once both are
// cleaned, made absolute against the working directory and have their
// /proc/<pid>/cwd and /proc/<pid>/root links followed (symlinks are not
// read). goos, as runtime.GOOS, tells whether backslashes separate. It
// does not allocate for paths of up to 512 bytes.
func SamePath(a, b string, goos string) bool {
	win := goos == "windows"
	var ab, bb [bufSize]byte
	return cleanResolved(ab[:0], a, win) == cleanResolved(bb[:0], b, win)
}

// cleanResolved writes to dst the clean absolute form of p with its
// /proc links followed, and returns it (or p itself when already so).
func cleanResolved(dst []byte, p string, win bool) string {
	var sbuf, cbuf [bufSize]byte
	q := p
	if win && strings.IndexByte(p, '\\') >= 0 {
		q = bytesString(appendSlashed(sbuf[:0], p))
	}
	if strings.Contains(q, "proc/") {
		return resolvedAbs(dst[:0], q, win)
	}
	c := q
	if !isCleanAbs(q) {
		c = cleanAbs(cbuf[:0], workDir(), q, win)
	}
	if c == p {
		return p
	}
	// c is in a buffer of this frame.
	return bytesString(append(dst[:0], c...))
}

// resolvedAbs writes to dst the clean absolute form of p ('/'
// separators), made absolute against the working directory, with its
// /proc links followed (see resolveProc), and returns it.
func resolvedAbs(dst []byte, p string, win bool) string {
	if isAbs(p, win) {
		return resolveProc(dst, p)
	}
	var jbuf [bufSize]byte
	j := append(jbuf[:0], workDir()...)
	j = append(j, '/')
	j = append(j, p...)
	return resolveProc(dst, bytesString(j))
}

func check(p string, dyn []Span, bases []string, win, noFollow bool) (Finding, bool) {
	n := len(p)
	if i := strings.IndexByte(p, 0); i >= 0 {
		s, e := i, i+1
		for _, sp := range dyn {
			if sp.Start <= i && i < sp.End {
				s, e = clampSpan(sp, n)
			}
		}
		return Finding{Rule: RuleNulByte, Start: s, End: e}, true
	}
	// Union of the dynamic spans.
	ds, de := n, 0
	for _, sp := range dyn {
		s, e := clampSpan(sp, n)
		if s < e {
			if s < ds {
				ds = s
			}
			if e > de {
				de = e
			}
		}
	}
	if ds >= de {
		return Finding{}, false
	}

	// The judged view: p with '/' separators (backslashes turned on
	// Windows only; elsewhere they are bytes of a name).
	view := p
	if win && strings.IndexByte(p, '\\') >= 0 {
		var vbuf [bufSize]byte
		view = bytesString(appendSlashed(vbuf[:0], p))
	}

	abs := view
	if !isCleanAbs(view) {
		var abuf [bufSize]byte
		abs = cleanAbs(abuf[:0], workDir(), view, win)
	}
	// What /proc/<pid>/cwd and /proc/<pid>/root lead to (before cleaning:
	// a ".." after them applies to where they lead).
	res := abs
	if strings.Contains(view, "proc/") {
		var rbuf [bufSize]byte
		res = resolvedAbs(rbuf[:0], view, win)
	}

	// Traversal: a ".." segment in a dynamic part that leaves the
	// directory written before it.
	for _, sp := range dyn {
		s, e := clampSpan(sp, n)
		if s >= e || !hasDotDotSeg(view, s, e) {
			continue
		}
		if escapes(view, res, s, e, dyn, win) {
			return Finding{Rule: RuleTraversal, Start: s, End: e}, true
		}
	}

	if isSensitive(abs) || res != abs && isSensitive(res) {
		return Finding{Rule: RuleSensitive, Start: ds, End: de}, true
	}

	// Symbolic links: where the path leads from the directory written
	// before its dynamic part, and from the bases. The rest is walked from
	// the directory as written first; only a link met there makes the
	// directory's own links worth reading.
	var pbuf [bufSize + 1]byte
	linked := false // a link in the rest, or a walk that could not tell
	jref := linkRef(view, dyn)
	if j := jref; j >= 0 {
		var rbuf [bufSize]byte
		ref := refDir(rbuf[:0], view, j, win)
		_, links, ok := walk(append(pbuf[:0], ref...), view[j+1:], noFollow)
		if linked = links > 0 || !ok; linked {
			if _, esc, ok := linkEscape(ref, view[j+1:], noFollow, &pbuf); ok && esc {
				return Finding{Rule: RuleSymlink, Start: ds, End: de}, true
			}
		}
	}

	// A dynamic part at the first byte that makes the path absolute: the
	// dynamic part chose the file system's root. With bases, the
	// path-outside-base rule judges it.
	if len(bases) == 0 && ds == 0 && isAbs(view, win) {
		return Finding{Rule: RuleAbsolute, Start: 0, End: firstSpanEnd(dyn, n)}, true
	}

	if len(bases) > 0 && !inBases(res, view, ds, de, bases, win) {
		return Finding{Rule: RuleOutsideBase, Start: ds, End: de}, true
	}

	if jref < 0 && len(bases) > 0 {
		linked = true
		for _, b := range bases {
			var bbuf [bufSize]byte
			if cb := cleanAbs(bbuf[:0], workDir(), slashed(b, win), win); within(res, cb) {
				_, links, ok := walk(append(pbuf[:0], cb...), res[len(cb):], noFollow)
				linked = links > 0 || !ok
				break
			}
		}
	}
	if len(bases) > 0 && linked {
		if rp, ok := resolveAll(view, noFollow, &pbuf); ok && !inResolvedBases(rp, bases, win) {
			return Finding{Rule: RuleOutsideBase, Start: ds, End: de}, true
		}
	}
	return Finding{}, false
}

// escapes reports whether the path leaves the directory written before
// the dynamic part [s,e) that holds a ".." segment.
func escapes(view, res string, s, e int, dyn []Span, win bool) bool {
	j := staticSepBefore(view, s, dyn)
	var ref string
	var rbuf [bufSize]byte
	switch {
	case j >= 0:
		if strings.Contains(view[:j+1], "proc/") {
			ref = resolvedAbs(rbuf[:0], view[:j+1], win)
		} else {
			ref = cleanAbs(rbuf[:0], workDir(), view[:j+1], win)
		}
	case isAbs(view, win):
		return climbsAboveRoot(view)
	default:
		ref = workDir()
	}
	if !within(res, ref) {
		return true
	}
	// Lexically inside: let the kernel's view (symlinks of the existing
	// prefix, then "..") decide.
	rref := workDir()
	if j > 0 {
		rref = view[:j] // without the separator, which resolve keeps
	} else if j == 0 {
		rref = "/"
	}
	// Copies: resolve keeps its argument, which would move view's buffer
	// to the heap on the clean path too.
	return !within(filepath.ToSlash(resolve(strings.Clone(view))), filepath.ToSlash(resolve(strings.Clone(rref))))
}

// staticSepBefore returns the index of the last '/' before s that is not
// in a dynamic span, or -1.
func staticSepBefore(view string, s int, dyn []Span) int {
	for i := s - 1; i >= 0; i-- {
		if view[i] == '/' && !inSpans(i, dyn, len(view)) {
			return i
		}
	}
	return -1
}

// firstSpanEnd returns the end of the dynamic range that starts at 0
// (spans that touch or overlap it extend it).
func firstSpanEnd(dyn []Span, n int) int {
	end := 0
	for changed := true; changed; {
		changed = false
		for _, sp := range dyn {
			s, e := clampSpan(sp, n)
			if s < e && s <= end && e > end {
				end, changed = e, true
			}
		}
	}
	return end
}

func inSpans(i int, dyn []Span, n int) bool {
	for _, sp := range dyn {
		s, e := clampSpan(sp, n)
		if s <= i && i < e {
			return true
		}
	}
	return false
}

// appendSlashed appends p with its backslashes turned to '/'.
func appendSlashed(dst []byte, p string) []byte {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' {
			c = '/'
		}
		dst = append(dst, c)
	}
	return dst
}

// resolveProc writes absolute path p ('/' separators), cleaned, with its
// /proc/<pid>/cwd and /proc/<pid>/root links followed, to dst: cwd leads to the working
// directory, root to "/" (the process's own; another process's are taken
// to be the same). A ".." after a link applies to where it leads, as in
// the kernel.
func resolveProc(dst []byte, p string) string {
	dst = append(dst[:0], '/')
	links := 0
	for i := 0; i < len(p); {
		var seg string
		seg, i = nextSeg(p, i)
		dst = appendSeg(dst, seg)
		if links < 8 && (seg == "cwd" || seg == "root") && procLink(bytesString(dst)) {
			links++
			dst = dst[:1]
			if seg == "cwd" {
				dst = appendClean(dst, workDir())
			}
		}
	}
	return bytesString(dst)
}

// procLink reports whether d is /proc/<pid, self or thread-self>/cwd or
// /proc/<pid, self or thread-self>/root.
func procLink(d string) bool {
	if !hasPrefix(d, "/proc/") {
		return false
	}
	rest := d[len("/proc/"):]
	k := indexByte(rest, '/')
	if k <= 0 {
		return false
	}
	pid, link := rest[:k], rest[k+1:]
	if link != "cwd" && link != "root" {
		return false
	}
	if pid == "self" || pid == "thread-self" {
		return true
	}
	for i := 0; i < len(pid); i++ {
		if pid[i] < '0' || pid[i] > '9' {
			return false
		}
	}
	return true
}

// inBases reports whether the path lies in one of the bases: res is its
// clean absolute form, view the path with '/' separators.
func inBases(res, view string, ds, de int, bases []string, win bool) bool {
	if !hasDotDotSeg(view, ds, de) {
		for _, b := range bases {
			var bbuf [bufSize]byte
			if within(res, cleanAbs(bbuf[:0], workDir(), slashed(b, win), win)) {
				return true
			}
		}
	}
	// Slow path: compare what the kernel will open with the resolved bases.
	rp := filepath.ToSlash(resolve(strings.Clone(view))) // a copy, as in escapes
	for _, b := range bases {
		if within(rp, filepath.ToSlash(resolve(b))) {
			return true
		}
	}
	return false
}

// slashed returns s with backslashes turned to '/' on Windows; it
// allocates only then.
func slashed(s string, win bool) string {
	if win && strings.IndexByte(s, '\\') >= 0 {
		return strings.ReplaceAll(s, "\\", "/")
	}
	return s
}

func clampSpan(sp Span, n int) (int, int) {
	s, e := sp.Start, sp.End
	if s < 0 {
		s = 0
	}
	if e > n {
		e = n
	}
	return s, e
}

// isAbs reports whether p (with '/' separators) is absolute: it starts
// with '/', or on Windows with a drive letter and a separator.
func isAbs(p string, win bool) bool {
	if len(p) > 0 && p[0] == '/' {
		return true
	}
	return win && len(p) >= 3 && p[1] == ':' && p[2] == '/' && (p[0]|0x20) >= 'a' && (p[0]|0x20) <= 'z'
}

// hasDotDotSeg reports whether s has a ".." segment overlapping [ds,de).
func hasDotDotSeg(s string, ds, de int) bool {
	for off := 0; off < len(s); {
		j := strings.Index(s[off:], "..")
		if j < 0 {
			return false
		}
		i := off + j
		if (i == 0 || s[i-1] == '/') && (i+2 == len(s) || s[i+2] == '/') && i+2 > ds && i < de {
			return true
		}
		off = i + 1
	}
	return false
}

// climbsAboveRoot reports whether an absolute path has more ".." than
// directories before them.
func climbsAboveRoot(s string) bool {
	depth := 0
	i := 0
	for i < len(s) {
		for i < len(s) && s[i] == '/' {
			i++
		}
		j := i
		for j < len(s) && s[j] != '/' {
			j++
		}
		switch seg := s[i:j]; seg {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
		i = j
	}
	return false
}

// cleanAbs writes the lexically cleaned absolute form of p ('/'
// separators; relative to wd) to dst, with no trailing slash. A Windows
// drive letter is kept as the first segment. It returns p itself when p
// is already clean and absolute.
func cleanAbs(dst []byte, wd, p string, win bool) string {
	if isCleanAbs(p) {
		return p
	}
	dst = append(dst[:0], '/')
	if !isAbs(p, win) {
		dst = appendClean(dst, wd)
	}
	return bytesString(appendClean(dst, p))
}

// isCleanAbs reports whether p starts with '/' and has no empty, "." or
// ".." segment, no backslash and no trailing slash.
func isCleanAbs(p string) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	if len(p) == 1 {
		return true
	}
	if p[len(p)-1] == '/' || strings.IndexByte(p, '\\') >= 0 || strings.Contains(p, "//") {
		return false
	}
	// "/." followed by end, '/' or ".", then end or '/'.
	for i := 0; ; {
		j := strings.Index(p[i:], "/.")
		if j < 0 {
			return true
		}
		k := i + j + 2
		if k == len(p) || p[k] == '/' {
			return false
		}
		if p[k] == '.' && (k+1 == len(p) || p[k+1] == '/') {
			return false
		}
		i = k
	}
}

// appendClean appends the segments of p ('/' separated) to the clean
// absolute path in dst, applying "." and "..".
func appendClean(dst []byte, p string) []byte {
	for i := 0; i < len(p); {
		var seg string
		seg, i = nextSeg(p, i)
		dst = appendSeg(dst, seg)
	}
	return dst
}

// appendSeg applies one segment to the clean absolute path in dst: "" and
// "." change nothing, ".." removes the last element (never the root).
func appendSeg(dst []byte, seg string) []byte {
	switch seg {
	case "", ".":
		return dst
	case "..":
		k := len(dst) - 1
		for k > 0 && dst[k] != '/' {
			k--
		}
		dst = dst[:k]
		if len(dst) == 0 {
			dst = append(dst, '/')
		}
		return dst
	}
	if len(dst) > 1 {
		dst = append(dst, '/')
	}
	return append(dst, seg...)
}

// within reports whether clean absolute path p is dir or below it.
func within(p, dir string) bool {
	if len(dir) > 1 && dir[len(dir)-1] == '/' {
		dir = dir[:len(dir)-1]
	}
	if len(p) < len(dir) || p[:len(dir)] != dir {
		return false
	}
	return len(p) == len(dir) || len(dir) == 1 || p[len(dir)] == '/'
}

// resolve returns the absolute, cleaned path the kernel would reach:
// symlinks of the longest existing prefix are followed (with ".." applied
// after them, as the kernel does) and the rest is appended lexically.
func resolve(p string) string {
	if !filepath.IsAbs(p) {
		p = workDir() + string(filepath.Separator) + p
	}
	rest := ""
	cur := p
	for i := 0; i < 64; i++ {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			if rest == "" {
				return filepath.Clean(r)
			}
			return filepath.Clean(filepath.Join(r, rest))
		}
		dir, file := filepath.Split(cur)
		if dir == "" || dir == cur {
			break
		}
		if rest == "" {
			rest = file
		} else {
			rest = file + string(filepath.Separator) + rest
		}
		cur = strings.TrimRight(dir, `/\`)
		if cur == "" || (len(cur) == 2 && cur[1] == ':') {
			break
		}
	}
	return filepath.Clean(p)
}

// nextSeg returns the '/'-separated segment of p at or after i (empty at a
// trailing run of slashes) and the offset just past it.
func nextSeg(p string, i int) (seg string, next int) {
	for i < len(p) && p[i] == '/' {
		i++
	}
	j := i
	for j < len(p) && p[j] != '/' {
		j++
	}
	return p[i:j], j
}
