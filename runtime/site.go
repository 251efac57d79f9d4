package rasp

import (
	"strconv"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
)

// Site describes one rewritten call site. The build declares one Site per
// rewritten call, so events can name where the call is in the source.
type Site struct {
	Package string // import path of the calling package
	File    string // file name, relative to the package directory
	Line    int
	Column  int
	Sink    string // the sink called, e.g. "database/sql.(*DB).Query"
	Family  event.Family
	// Static is true when every value the sink judges was a constant at the
	// call site: the programmer wrote the whole query, command, path or
	// address, so no detector runs for it.
	Static bool
	// Tmpls describe how the judged string arguments were built, where the
	// build could tell.
	Tmpls []Tmpl
	// Entry marks the site of a standard-library entry point (see
	// stdhooks.go): it stands for every caller, and events name the
	// innermost caller outside the standard library instead.
	Entry bool
}

// String returns "package/file.go:line".
func (s *Site) String() string {
	if s == nil {
		return "unknown"
	}
	return s.Package + "/" + s.File + ":" + strconv.Itoa(s.Line)
}

var sites struct {
	sync.Mutex
	byFamily map[event.Family]int
}

// NewSite registers a rewritten call site. Generated code calls it once per
// site, at package initialisation.
func NewSite(pkg, file string, line, col int, sink string, family event.Family, static bool, tmpls ...Tmpl) *Site {
	s := &Site{Package: pkg, File: file, Line: line, Column: col, Sink: sink, Family: family, Static: static, Tmpls: tmpls}
	sites.Lock()
	if sites.byFamily == nil {
		sites.byFamily = make(map[event.Family]int)
	}
	sites.byFamily[family]++
	sites.Unlock()
	return s
}

// SiteCounts returns the number of instrumented call sites linked into the
// program, per family.
func SiteCounts() map[event.Family]int {
	sites.Lock()
	defer sites.Unlock()
	out := make(map[event.Family]int, len(sites.byFamily))
	for f, n := range sites.byFamily {
		out[f] = n
	}
	return out
}
