package callsite

import (
	"strconv"
	"strings"
	"sync"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
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
	Tmpls []taint.Tmpl
	// Entry marks the site of a standard-library entry point (see package
	// stdhook): it stands for every caller, and events name the innermost
	// caller outside the standard library instead.
	Entry bool
}

// String returns "package/file.go:line".
func (s *Site) String() string {
	if s == nil {
		return "unknown"
	}
	return s.Package + "/" + s.File + ":" + strconv.Itoa(s.Line)
}

// Template returns the template of argument arg of the call, or nil when
// the call site did not know how it was built.
func (s *Site) Template(arg int) *taint.Tmpl {
	for i := range s.Tmpls {
		if s.Tmpls[i].Arg == arg {
			return &s.Tmpls[i]
		}
	}
	return nil
}

var sites struct {
	sync.Mutex
	byFamily map[event.Family]int
}

// New registers a rewritten call site and returns it: raspimpl.NewSite, which
// generated code calls once per site, at package initialisation.
func New(pkg, file string, line, col int, sink string, family event.Family, static bool, tmpls ...taint.Tmpl) *Site {
	s := &Site{Package: pkg, File: file, Line: line, Column: col, Sink: sink, Family: family, Static: static, Tmpls: tmpls}
	sites.Lock()
	if sites.byFamily == nil {
		sites.byFamily = make(map[event.Family]int)
	}
	sites.byFamily[family]++
	sites.Unlock()
	return s
}

// NewEntry declares the site of a standard-library or framework entry
// point (see package stdhook): joinPoint is the entry join point of the
// sink spec that installs the hook ("os.OpenFile",
// "google.golang.org/grpc.NewClient"), or the package of several
// ("database/sql"). A test of the tool checks that each names the spec's
// entries; events name "<joinPoint> entry point".
func NewEntry(joinPoint string, family event.Family) *Site {
	pkg := joinPoint
	slash := strings.LastIndexByte(pkg, '/')
	if dot := strings.IndexByte(pkg[slash+1:], '.'); dot >= 0 {
		pkg = pkg[:slash+1+dot]
	}
	return &Site{Package: pkg, Sink: joinPoint + " entry point", Family: family, Entry: true}
}

// Counts returns the number of instrumented call sites linked into the
// program, per family.
func Counts() map[event.Family]int {
	sites.Lock()
	defer sites.Unlock()
	out := make(map[event.Family]int, len(sites.byFamily))
	for f, n := range sites.byFamily {
		out[f] = n
	}
	return out
}

// ErrBlocked is rasp.ErrBlocked, which every refusal matches.
var ErrBlocked = rasp.ErrBlocked

// BlockedError is rasp.BlockedError, the error of a refusal.
type BlockedError = rasp.BlockedError

// Public returns the site as users see it, in a BlockedError.
func (s *Site) Public() *rasp.Site {
	if s == nil {
		return nil
	}
	return &rasp.Site{Package: s.Package, File: s.File, Line: s.Line, Column: s.Column, Sink: s.Sink, Family: s.Family}
}
