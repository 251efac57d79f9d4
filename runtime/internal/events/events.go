package events

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
)

const eventQueueLen = 4096

var eventQueue struct {
	sync.Mutex
	test    io.Writer // SetWriter: written synchronously
	queue   chan []byte
	start   sync.Once
	written atomic.Int64
	failed  atomic.Int64
	dropped atomic.Int64
	pending atomic.Int64 // lines queued and not yet written
}

// SetWriter sends events to w, synchronously (for tests and
// embedders); nil restores the default destination.
func SetWriter(w io.Writer) {
	eventQueue.Lock()
	eventQueue.test = w
	eventQueue.Unlock()
}

// Failed returns how many events could not be written.
// For tests, those of other packages too (so it stays exported).
func Failed() int64 { return eventQueue.failed.Load() }

// queueWriter is the io.Writer behind the slog handler: it hands each line
// to the writer goroutine, or to the test writer.
type queueWriter struct{}

func (queueWriter) Write(p []byte) (int, error) {
	eventQueue.Lock()
	w := eventQueue.test
	eventQueue.Unlock()
	if w != nil {
		eventQueue.Lock()
		_, err := w.Write(p)
		eventQueue.Unlock()
		if err != nil {
			eventQueue.failed.Add(1)
			return 0, err
		}
		eventQueue.written.Add(1)
		return len(p), nil
	}
	eventQueue.start.Do(startEventWriter)
	line := append([]byte(nil), p...)
	eventQueue.pending.Add(1)
	select {
	case eventQueue.queue <- line:
	default:
		eventQueue.pending.Add(-1)
		eventQueue.dropped.Add(1)
		metrics.CountEventDropped()
	}
	return len(p), nil
}

func startEventWriter() {
	eventQueue.queue = make(chan []byte, eventQueueLen)
	go writeEvents(os.Getenv("RASP_EVENTS"))
	OnExit(Flush)
}

// Flush writes the summaries of the rate limit window still open
// and waits, at most a quarter of a second, for the queue to be written:
// the program is exiting (main returned, or os.Exit), and a short-lived
// program must not lose its last eventQueue.
func Flush() {
	defer func() { recover() }() // an exit hook must not panic
	writeSuppressed(closeWindow(eventClock()))
	deadline := time.Now().Add(250 * time.Millisecond)
	for eventQueue.pending.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// writeEvents writes the queue to the file named path (stderr when empty
// or when it cannot be opened). The file is opened on the first event, so
// a program that never reports creates none, and reopened when it no
// longer is the file at path (logrotate moved it away).
func writeEvents(path string) {
	var f *os.File
	var w io.Writer = os.Stderr
	var checked time.Time
	open := func() {
		if f != nil {
			f.Close()
			f = nil
		}
		w = os.Stderr
		nf, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			Logf("RASP_EVENTS: %v; writing events to stderr", err)
			return
		}
		f, w = nf, nf
	}
	if path != "" {
		open()
	}
	for line := range eventQueue.queue {
		if f != nil && time.Since(checked) > time.Second {
			checked = time.Now()
			cur, err1 := f.Stat()
			now, err2 := os.Stat(path)
			if err1 != nil || err2 != nil || !os.SameFile(cur, now) {
				open()
			}
		}
		if _, err := w.Write(line); err != nil {
			eventQueue.failed.Add(1)
		} else {
			eventQueue.written.Add(1)
		}
		eventQueue.pending.Add(-1)
	}
}

var eventLog = slog.New(slog.NewJSONHandler(queueWriter{}, &slog.HandlerOptions{
	ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			a.Value = slog.TimeValue(a.Value.Time().UTC())
		}
		return a
	},
}))

// Burst is how many events one rule, call site and verdict may write in a
// Window; a window holds at most maxLimitKeys of them.
const (
	Burst        = 20          // events per key and window
	Window       = time.Minute // the rate limit window
	maxLimitKeys = 10000
)

// eventClock tells the time for the rate limit; tests move it.
var eventClock = time.Now

// limitKey is what identical events share.
type limitKey struct{ rule, site, verdict string }

var limiter struct {
	sync.Mutex
	window time.Time                // start of the open window
	gen    uint64                   // counts windows: a timer closes only its own
	seen   map[limitKey]*limitState // nil: no window open
	armed  bool                     // a timer will close the open window
	// afterFunc arms the timer: time.AfterFunc; tests replace it.
	afterFunc func(d time.Duration, f func())
}

type limitState struct {
	n          int   // events written in the window
	suppressed int64 // events left out in the window
}

// suppression is the summary of a key's events left out in one window.
type suppression struct {
	key        limitKey
	n          int64
	start, end time.Time
}

// admit reports whether an event for key may be written at now. When now
// is past the open window (or the window holds too many keys), it closes
// that window first and returns its summaries, for the caller to write
// (outside the lock).
func admit(key limitKey, now time.Time) (ok bool, closed []suppression) {
	limiter.Lock()
	defer limiter.Unlock()
	s := limiter.seen[key]
	if limiter.seen != nil && (!now.Before(limiter.window.Add(Window)) || s == nil && len(limiter.seen) >= maxLimitKeys) {
		closed = closeLocked(now)
		s = nil
	}
	if limiter.seen == nil {
		limiter.window = now
		limiter.gen++
		limiter.seen = make(map[limitKey]*limitState)
	}
	if s == nil {
		s = &limitState{}
		limiter.seen[key] = s
	}
	if s.n < Burst {
		s.n++
		return true, closed
	}
	s.suppressed++
	if !limiter.armed {
		limiter.armed = true
		gen := limiter.gen
		after := limiter.afterFunc
		if after == nil {
			after = func(d time.Duration, f func()) { time.AfterFunc(d, f) }
		}
		after(limiter.window.Add(Window).Sub(now), func() { writeSuppressed(expireWindow(gen)) })
	}
	return false, closed
}

// closeLocked closes the open window at now (its end, if now is later) and
// returns the summaries of the keys it suppressed, sorted. The limiter is
// locked.
func closeLocked(now time.Time) []suppression {
	if limiter.seen == nil {
		return nil
	}
	start, end := limiter.window, limiter.window.Add(Window)
	if now.Before(end) {
		end = now
	}
	var closed []suppression
	for k, s := range limiter.seen {
		if s.suppressed > 0 {
			closed = append(closed, suppression{key: k, n: s.suppressed, start: start, end: end})
		}
	}
	sort.Slice(closed, func(i, j int) bool {
		a, b := closed[i].key, closed[j].key
		if a.rule != b.rule {
			return a.rule < b.rule
		}
		if a.site != b.site {
			return a.site < b.site
		}
		return a.verdict < b.verdict
	})
	limiter.seen, limiter.armed = nil, false
	return closed
}

// closeWindow closes the open window at now and returns its summaries.
func closeWindow(now time.Time) []suppression {
	limiter.Lock()
	defer limiter.Unlock()
	return closeLocked(now)
}

// expireWindow is the timer of window gen: it closes that window at its
// end, unless it was closed already.
func expireWindow(gen uint64) []suppression {
	limiter.Lock()
	defer limiter.Unlock()
	if limiter.gen != gen || limiter.seen == nil {
		return nil
	}
	return closeLocked(limiter.window.Add(Window))
}

// writeSuppressed writes a summary line for each of closed.
func writeSuppressed(closed []suppression) {
	for _, c := range closed {
		level := slog.LevelWarn
		if c.key.verdict == "allowlisted" {
			level = slog.LevelInfo
		}
		eventLog.LogAttrs(context.Background(), level, event.MsgSuppressed,
			slog.String("rule", c.key.rule), slog.String("site", c.key.site), slog.String("verdict", c.key.verdict),
			slog.Int64("suppressed", c.n), slog.Time("window_start", c.start.UTC()), slog.Time("window_end", c.end.UTC()))
	}
}

// Emit writes an event line: a finding (event.MsgFinding), the start
// banner, a policy that failed to load.
func Emit(level slog.Level, msg string, attrs ...slog.Attr) {
	eventLog.LogAttrs(context.Background(), level, msg, attrs...)
}

// Admit reports whether the rate limit lets an event of rule at site with
// verdict be written now; it writes the summaries of a window it closes.
func Admit(rule, site, verdict string) bool {
	ok, closed := admit(limitKey{rule, site, verdict}, eventClock())
	writeSuppressed(closed)
	return ok
}

// Caller names the innermost caller of its caller's caller that is
// outside the standard library and the runtime, as "function (file:line)";
// ok is false when there is none.
func Caller() (name string, ok bool) {
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if fn := f.Function; fn != "" && !isStdFunc(fn) && !strings.HasPrefix(fn, runtimeModule) {
			return fn + " (" + filepath.Base(f.File) + ":" + strconv.Itoa(f.Line) + ")", true
		}
		if !more {
			return "", false
		}
	}
}

// OnExit runs f when the program exits (main returns, or os.Exit). A
// plain build has no exit hook; the standard library's hooks set one.
var OnExit = func(f func()) {}

// FakeClock gives a test an empty rate limiter whose clock reads now, and
// whose timers are not started but returned (with their delays), for the
// test to fire. restore puts the clock and the timers back and empties the
// limiter again.
func FakeClock(now func() time.Time) (timers *[]func(), delays *[]time.Duration, restore func()) {
	timers, delays = new([]func()), new([]time.Duration)
	oldClock := eventClock
	eventClock = now
	limiter.Lock()
	oldAfter := limiter.afterFunc
	limiter.seen, limiter.armed = nil, false
	limiter.gen++
	limiter.afterFunc = func(d time.Duration, f func()) { // called with the limiter locked
		*timers = append(*timers, f)
		*delays = append(*delays, d)
	}
	limiter.Unlock()
	return timers, delays, func() {
		eventClock = oldClock
		limiter.Lock()
		limiter.afterFunc = oldAfter
		limiter.Unlock()
		ResetLimiter()
	}
}

// ResetLimiter forgets the open rate limit window and what it suppressed.
// It is meant for tests: a flood of identical events is not summarised
// into a later test's events.
func ResetLimiter() {
	limiter.Lock()
	limiter.seen, limiter.armed = nil, false
	limiter.gen++
	limiter.Unlock()
}

// Stack returns the caller's stack, innermost first, without the runtime's
// own frames: at most 16 "function (file:line)" entries.
func Stack() []string {
	var pcs [48]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	out := make([]string, 0, 16)
	for len(out) < 16 {
		f, more := frames.Next()
		if f.Function != "" && !strings.HasPrefix(f.Function, runtimeModule) && !strings.HasPrefix(f.Function, "runtime.") {
			out = append(out, f.Function+" ("+filepath.Base(f.File)+":"+strconv.Itoa(f.Line)+")")
		}
		if !more {
			break
		}
	}
	return out
}

const runtimeModule = "github.com/rasp-instrument/rasp-instrument/runtime"

// isStdFunc tells a function of the standard library by its package path:
// not main, and not in a module of the program. A module path need not have
// a dot (`go mod init myapp`), so the modules come from the build
// information; a binary without it falls back to "no dot in the first
// element".
func isStdFunc(fn string) bool {
	slash := strings.LastIndexByte(fn, '/')
	pkg := fn
	if dot := strings.IndexByte(fn[slash+1:], '.'); dot >= 0 {
		pkg = fn[:slash+1+dot]
	}
	if pkg == "main" {
		return false
	}
	for _, m := range programModules() {
		if pkg == m || strings.HasPrefix(pkg, m) && pkg[len(m)] == '/' {
			return false
		}
	}
	first, _, _ := strings.Cut(pkg, "/")
	return !strings.Contains(first, ".")
}

// programModules are the paths of the program's main module and of every
// module it depends on, as the go command recorded them in the binary.
var programModules = sync.OnceValue(func() []string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	var mods []string
	if info.Main.Path != "" {
		mods = append(mods, info.Main.Path)
	}
	for _, d := range info.Deps {
		mods = append(mods, d.Path)
	}
	return mods
})

// Logf writes a line of the runtime's log (stderr, prefixed "rasp: ").
// Hook packages of other families use it.
func Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "rasp: "+format+"\n", args...)
}
