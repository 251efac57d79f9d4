package literal

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// anchor is a string constant of this package: its bytes lie in the
// read-only data of the file (executable or shared library) that holds the
// program's Go code, which tells which mappings are the program's.
const anchor = "rasp-instrument literal anchor"

var (
	once       sync.Once
	start, end uintptr // the program's read-only mappings: [start, end)
)

// Is reports whether s is one of the program's string constants, or part
// of one: its bytes lie in the read-only mappings of the file that holds the
// program's code. Strings of fewer than two bytes are never reported
// constant, since the Go runtime may hand out one-byte strings from a
// static table whatever their origin. It does not allocate.
func Is(s string) bool {
	if len(s) < 2 {
		return false
	}
	once.Do(load)
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	return start <= p && p+uintptr(len(s)) <= end
}

// Known reports whether Is can tell: false where the program's mappings
// could not be read, and Is reports false for every string.
// For tests, those of other packages too (so it stays exported).
func Known() bool {
	once.Do(load)
	return start < end
}

func load() {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	s, e := readMaps(bufio.NewScanner(f), uintptr(unsafe.Pointer(unsafe.StringData(anchor))))
	start, end = s, e
}

// mapping is one line of /proc/self/maps.
type mapping struct {
	lo, hi   uintptr
	writable bool
	path     string
}

// readMaps returns the span covered by the non-writable mappings of the
// file whose mapping holds address at: the lowest start and highest end
// among them, provided that no writable mapping of another file or of no
// file lies in between (then only the contiguous run around at). It
// returns 0, 0 when no file mapping holds at.
func readMaps(sc *bufio.Scanner, at uintptr) (uintptr, uintptr) {
	var ms []mapping
	home := -1
	for sc.Scan() {
		m, ok := parseMapping(sc.Text())
		if !ok {
			continue
		}
		if m.lo <= at && at < m.hi && m.path != "" && !m.writable {
			home = len(ms)
		}
		ms = append(ms, m)
	}
	if home < 0 {
		return 0, 0
	}
	path := ms[home].path
	lo, hi := home, home
	for lo > 0 && ms[lo-1].path == path && !ms[lo-1].writable && ms[lo-1].hi == ms[lo].lo {
		lo--
	}
	for hi+1 < len(ms) && ms[hi+1].path == path && !ms[hi+1].writable && ms[hi+1].lo == ms[hi].hi {
		hi++
	}
	return ms[lo].lo, ms[hi].hi
}

// parseMapping parses "lo-hi perms offset dev inode path".
func parseMapping(line string) (mapping, bool) {
	f := strings.Fields(line)
	if len(f) < 5 {
		return mapping{}, false
	}
	a, b, ok := strings.Cut(f[0], "-")
	if !ok {
		return mapping{}, false
	}
	lo, err1 := strconv.ParseUint(a, 16, 64)
	hi, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil || hi <= lo || len(f[1]) < 2 {
		return mapping{}, false
	}
	m := mapping{lo: uintptr(lo), hi: uintptr(hi), writable: f[1][1] == 'w'}
	if len(f) >= 6 {
		m.path = strings.Join(f[5:], " ")
	}
	return m, true
}
