// Package eventstest captures the runtime's event lines for tests.
//
// It is not a test file, so that the tests of every runtime package can
// import it, but only tests do: no code of the runtime imports it, and
// being under runtime/internal, no program can. Like the runtime, it
// imports only the standard library and runtime packages.
//
// Capture sends the event lines to a Recorder until the test ends; its
// methods return them raw (String, Lines) or decoded (Events, Records).
// Discard drops them until the test ends. The tests of package events
// itself cannot use it (it imports that package).
package eventstest

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
)

// A Recorder holds the event lines written since Capture or its last
// Reset. It is safe for concurrent use: lines written by other goroutines
// (a server's handlers, a policy watcher) may be read while they come.
type Recorder struct {
	t   testing.TB
	mu  sync.Mutex
	buf bytes.Buffer
}

// Capture sends the runtime's events to a new Recorder, synchronously
// (events.SetWriter), and restores the default destination when the test
// ends (t.Cleanup). A later Capture in the same test takes the events
// from then on.
func Capture(t testing.TB) *Recorder {
	t.Helper()
	r := &Recorder{t: t}
	events.SetWriter(r)
	t.Cleanup(func() { events.SetWriter(nil) })
	return r
}

// Discard drops the runtime's events until the test ends, for a test that
// makes events without reading them.
func Discard(t testing.TB) {
	t.Helper()
	events.SetWriter(io.Discard)
	t.Cleanup(func() { events.SetWriter(nil) })
}

// Write keeps p, one event line; it makes a Recorder the events' writer.
func (r *Recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Write(p)
}

// String returns the lines as written, each ending in a newline.
func (r *Recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// Lines returns the lines, without their newlines.
func (r *Recorder) Lines() []string {
	var lines []string
	for _, l := range strings.Split(r.String(), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// Events returns the lines decoded as events, failing the test at a line
// that is not JSON.
func (r *Recorder) Events() []event.Event {
	r.t.Helper()
	var evs []event.Event
	for _, l := range r.Lines() {
		var e event.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			r.t.Fatalf("event line %q: %v", l, err)
		}
		evs = append(evs, e)
	}
	return evs
}

// Records returns the lines decoded as JSON objects, for the fields an
// event.Event does not have (a log line's "error", the start record's
// "banner"), failing the test at a line that is not a JSON object.
func (r *Recorder) Records() []map[string]any {
	r.t.Helper()
	var recs []map[string]any
	for _, l := range r.Lines() {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			r.t.Fatalf("event line %q: %v", l, err)
		}
		recs = append(recs, m)
	}
	return recs
}

// Reset forgets the lines written so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf.Reset()
}
