// Package pathguard detects path traversal at file-system call sites
// (os.Open, os.ReadFile, os.Create, ...).
//
// Check judges a path together with the byte ranges that were dynamic at
// the call site. It resolves the path as the kernel will (clean, absolute
// against the working directory, symlinks of the existing prefix when a
// dynamic ".." makes them matter) and undoes, for judging only, the
// encodings a Go program may have left in a dynamic part (%2e%2e, ..%2f,
// double encoding, %u, overlong UTF-8, NFKC look-alike dots and slashes,
// backslashes of Windows-style input).
//
// The package imports the standard library only and does not allocate on
// the clean path.
package pathguard

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
)

// Span is a dynamic byte range [Start,End) of the path: bytes that came from
// a variable or the request rather than from a literal at the call site.
type Span struct{ Start, End int }

// Finding describes a detected problem: the rule that fired and the byte
// range [Start,End) of the path's dynamic part (or of the NUL byte).
type Finding struct {
	Rule       string
	Start, End int
}

// Rule names reported in Finding.Rule.
const (
	// RuleTraversal: a dynamic part with ".." segments takes the path out
	// of the static directory prefix written at the call site (or out of
	// the working directory for a relative path without one).
	RuleTraversal = "path-traversal"
	// RuleOutsideBase: the resolved path lies outside every allowed base
	// directory.
	RuleOutsideBase = "path-outside-base"
	// RuleSensitive: a path with a dynamic part names a sensitive file
	// (/etc/shadow, /etc/passwd, /proc/*/environ, /proc/*/mem, ~/.ssh,
	// cloud and container credentials).
	RuleSensitive = "path-sensitive-file"
	// RuleNulByte: the path holds a NUL byte.
	RuleNulByte = "path-nul-byte"
)

// Rules returns the names of the rules this package reports.
func Rules() []string {
	return []string{RuleTraversal, RuleOutsideBase, RuleSensitive, RuleNulByte}
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
	cwd.Store(&d)
	return d
}

// SetWorkingDir replaces the cached working directory used to make
// relative paths absolute (call it after os.Chdir; an empty dir makes the
// next check read os.Getwd again).
func SetWorkingDir(dir string) {
	if dir == "" {
		cwd.Store(nil)
		return
	}
	cwd.Store(&dir)
}

const bufSize = 512

// Check judges path p, as passed to os.Open and friends, given its dynamic
// spans. bases are the allowed base directories (nil turns the
// path-outside-base rule off). Rules, in order: path-nul-byte (a NUL byte
// anywhere), path-traversal, path-sensitive-file, path-nul-byte (a literal %00
// in a dynamic part), path-outside-base. A path
// without dynamic spans is never a finding except for a NUL byte.
//
// The static directory prefix is the part of p before the first dynamic
// span, up to its last separator: for "/app/uploads/"+name it is
// /app/uploads. Relative paths are made absolute against the working
// directory (os.Getwd, cached; see SetWorkingDir).
func Check(p string, dyn []Span, bases []string) (Finding, bool) {
	return check(p, -1, dyn, bases)
}

// CheckPrefix is Check with the static directory prefix given explicitly,
// for call sites such as filepath.Join(prefix, name) whose result was
// cleaned before the check: a dynamic ".." must not take p out of prefix.
func CheckPrefix(prefix, p string, dyn []Span, bases []string) (Finding, bool) {
	var buf [bufSize]byte
	joined := append(buf[:0], prefix...)
	joined = append(joined, '/')
	off := len(joined)
	joined = append(joined, p...)
	var sp [8]Span
	d := sp[:0]
	for _, s := range dyn {
		d = append(d, Span{s.Start + off, s.End + off})
	}
	// Keep the spans of the caller's string in findings.
	f, bad := check(string(joined), off, d, bases)
	if bad {
		f.Start -= off
		f.End -= off
		if f.Start < 0 {
			f.Start = 0
		}
	}
	return f, bad
}

func check(p string, prefixEnd int, dyn []Span, bases []string) (Finding, bool) {
	n := len(p)
	for i := 0; i < n; i++ {
		if p[i] == 0 {
			s, e := i, i+1
			for _, sp := range dyn {
				if sp.Start <= i && i < sp.End {
					s, e = clampSpan(sp, n)
				}
			}
			return Finding{Rule: RuleNulByte, Start: s, End: e}, true
		}
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
	if prefixEnd < 0 || prefixEnd > ds {
		prefixEnd = ds
	}

	// The judged view: dynamic parts decoded. Equal to p unless a dynamic
	// part holds '%', '\\' or non-ASCII bytes.
	view := p
	vds, vde := ds, de
	if needsDecode(p, dyn) {
		var vbuf [bufSize]byte
		b, s, e := buildView(vbuf[:0], p, dyn)
		view = bytesString(b)
		vds, vde = s, e
	}

	abs := view
	if !isCleanAbs(view) {
		var abuf [bufSize]byte
		abs = cleanAbs(abuf[:0], workDir(), view)
	}

	// Traversal: a ".." segment in the dynamic part.
	if hasDotDotSeg(view, vds, vde) {
		pe := lastSep(view[:prefixEnd]) + 1
		escaped := false
		if pe > 0 {
			var rbuf [bufSize]byte
			ref := cleanAbs(rbuf[:0], workDir(), view[:pe])
			escaped = !within(abs, ref)
		} else if isAbs(view) {
			escaped = climbsAboveRoot(view)
		} else {
			var rbuf [bufSize]byte
			ref := cleanAbs(rbuf[:0], workDir(), ".")
			escaped = !within(abs, ref)
		}
		if !escaped && hasDotDotSeg(p, ds, de) && (pe > 0 || !isAbs(view)) {
			// Lexically inside: let the kernel's view (symlinks of the
			// existing prefix, then "..") decide.
			ref := workDir()
			if pe := lastSep(p[:prefixEnd]) + 1; pe > 0 {
				ref = p[:pe]
			}
			escaped = !within(resolve(p), resolve(ref))
		}
		if escaped {
			return Finding{Rule: RuleTraversal, Start: ds, End: de}, true
		}
	}

	if isSensitive(abs) {
		return Finding{Rule: RuleSensitive, Start: ds, End: de}, true
	}

	// A percent-encoded NUL (%00) in a dynamic part: the classic
	// extension-truncation payload, for code that decodes later.
	for i := ds; i+2 < de; i++ {
		if p[i] == '%' && p[i+1] == '0' && p[i+2] == '0' {
			return Finding{Rule: RuleNulByte, Start: ds, End: de}, true
		}
	}

	if len(bases) > 0 && !inBases(abs, p, ds, de, bases) {
		return Finding{Rule: RuleOutsideBase, Start: ds, End: de}, true
	}
	return Finding{}, false
}

func inBases(abs string, p string, ds, de int, bases []string) bool {
	dotdot := hasDotDotSeg(p, ds, de)
	if !dotdot {
		for _, b := range bases {
			cb := b
			if !isCleanAbs(b) {
				var bbuf [bufSize]byte
				cb = cleanAbs(bbuf[:0], workDir(), b)
			}
			if within(abs, cb) {
				return true
			}
		}
	}
	// Slow path: compare what the kernel will open with the resolved bases.
	rp := resolve(p)
	for _, b := range bases {
		if within(rp, resolve(b)) {
			// The decoded view must agree (a %2e%2e that the program may
			// still decode must not leave the base either).
			var bbuf [bufSize]byte
			if within(abs, cleanAbs(bbuf[:0], workDir(), b)) || within(abs, resolve(b)) {
				return true
			}
		}
	}
	return false
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

func isSep(c byte) bool { return c == '/' || c == '\\' }

func lastSep(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if isSep(s[i]) {
			return i
		}
	}
	return -1
}

func isAbs(p string) bool {
	if len(p) > 0 && isSep(p[0]) {
		return true
	}
	return len(p) >= 3 && p[1] == ':' && isSep(p[2]) && (p[0]|0x20) >= 'a' && (p[0]|0x20) <= 'z'
}

// hasDotDotSeg reports whether s has a ".." segment overlapping [ds,de).
func hasDotDotSeg(s string, ds, de int) bool {
	for off := 0; off < len(s); {
		j := strings.Index(s[off:], "..")
		if j < 0 {
			return false
		}
		i := off + j
		if (i == 0 || isSep(s[i-1])) && (i+2 == len(s) || isSep(s[i+2])) && i+2 > ds && i < de {
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
		for i < len(s) && isSep(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !isSep(s[j]) {
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

// cleanAbs writes the lexically cleaned absolute form of p (relative to
// wd) to dst, with '/' separators and no trailing slash.
// It returns p itself when p is already clean and absolute.
func cleanAbs(dst []byte, wd, p string) string {
	if isCleanAbs(p) {
		return p
	}
	dst = append(dst[:0], '/')
	if !isAbs(p) {
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

func appendClean(dst []byte, p string) []byte {
	i := 0
	for i < len(p) {
		for i < len(p) && isSep(p[i]) {
			i++
		}
		j := i
		for j < len(p) && !isSep(p[j]) {
			j++
		}
		seg := p[i:j]
		i = j
		switch seg {
		case "", ".":
		case "..":
			k := len(dst) - 1
			for k > 0 && dst[k] != '/' {
				k--
			}
			dst = dst[:k]
			if len(dst) == 0 {
				dst = append(dst, '/')
			}
		default:
			if len(dst) > 1 {
				dst = append(dst, '/')
			}
			dst = append(dst, seg...)
		}
	}
	return dst
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
