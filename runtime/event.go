package rasp

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event is one finding as written to the event log, one JSON object a line.
type Event struct {
	Time    time.Time `json:"time"`
	Rule    string    `json:"rule"`
	Family  Family    `json:"family"`
	Mode    string    `json:"mode"`
	Verdict string    `json:"verdict"`
	Site    string    `json:"site"`
	Sink    string    `json:"sink"`
	Value   string    `json:"value,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	Span    []int     `json:"span,omitempty"` // [start, end) of the offending part of the raw value

	// The request the call served, when the server middleware knew it.
	RequestID string      `json:"request_id,omitempty"`
	Method    string      `json:"method,omitempty"`
	Path      string      `json:"path,omitempty"`
	ClientIP  string      `json:"client_ip,omitempty"`
	Input     *EventInput `json:"input,omitempty"` // the input found in the offending part
}

// EventInput is the request input an event names.
type EventInput struct {
	Source string `json:"source"` // query, form, json, header, ...
	Name   string `json:"name"`
	Value  string `json:"value"` // at most 256 bytes
}

var events struct {
	sync.Mutex
	w       io.Writer // nil until the first event: see writer
	written atomic.Int64
	failed  atomic.Int64
}

// writer returns where events go, opening the file named by RASP_EVENTS
// on the first event (so a program that never reports creates no file).
// The caller holds events.
func writer() io.Writer {
	if events.w == nil {
		events.w = os.Stderr
		if p := os.Getenv("RASP_EVENTS"); p != "" {
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				logf("RASP_EVENTS: %v; writing events to stderr", err)
			} else {
				events.w = f
			}
		}
	}
	return events.w
}

// SetEventWriter sends events to w; nil restores the default (the file
// named by RASP_EVENTS, else stderr).
func SetEventWriter(w io.Writer) {
	events.Lock()
	events.w = w
	events.Unlock()
}

// EventsWritten returns how many events were written.
func EventsWritten() int64 { return events.written.Load() }

// EventsFailed returns how many events could not be written.
func EventsFailed() int64 { return events.failed.Load() }

func record(site *Site, req *Request, f Finding, m Mode, verdict string) {
	e := Event{
		Time:    time.Now().UTC(),
		Rule:    f.Rule,
		Family:  site.Family,
		Mode:    m.String(),
		Verdict: verdict,
		Site:    siteOf(site),
		Sink:    site.Sink,
		Value:   f.Value,
		Detail:  f.Detail,
	}
	if f.End > f.Start {
		e.Span = []int{f.Start, f.End}
	}
	if req != nil {
		e.RequestID, e.Method, e.Path, e.ClientIP = req.ID, req.Method, req.Path, req.ClientIP
	}
	if in := f.Input; in != nil {
		v := in.Value
		if len(v) > 256 {
			v = v[:256]
		}
		e.Input = &EventInput{Source: in.Source, Name: in.Name, Value: v}
	}
	b, err := json.Marshal(e)
	if err != nil {
		events.failed.Add(1)
		return
	}
	b = append(b, '\n')
	events.Lock()
	_, err = writer().Write(b)
	events.Unlock()
	if err != nil {
		events.failed.Add(1)
		return
	}
	events.written.Add(1)
}

// siteOf names where the call was made: the site, or for an entry point
// the innermost caller outside the standard library and the runtime.
func siteOf(site *Site) string {
	if !site.Entry {
		return site.String()
	}
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if fn := f.Function; fn != "" && !isStdFunc(fn) && !strings.HasPrefix(fn, runtimeModule) {
			return fn + " (" + filepath.Base(f.File) + ":" + strconv.Itoa(f.Line) + ")"
		}
		if !more {
			return site.String()
		}
	}
}

const runtimeModule = "github.com/rasp-instrument/rasp-instrument/runtime"

// isStdFunc tells a function of the standard library by its package path:
// no dot in its first element (and not main).
func isStdFunc(fn string) bool {
	slash := strings.LastIndexByte(fn, '/')
	pkg := fn
	if dot := strings.IndexByte(fn[slash+1:], '.'); dot >= 0 {
		pkg = fn[:slash+1+dot]
	}
	first := pkg
	if i := strings.IndexByte(first, '/'); i >= 0 {
		first = first[:i]
	}
	return pkg != "main" && !strings.Contains(first, ".")
}
