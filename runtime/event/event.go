// Package event is the schema of the runtime's event log: one JSON object
// a line, written by the runtime of an instrumented program and read back
// by the tool's triage command.
package event

import "time"

// Family names a class of sink.
type Family string

// The sink families.
const (
	FamilySQL  Family = "sql"
	FamilyExec Family = "exec"
	FamilyFile Family = "file"
	FamilyNet  Family = "net"
	// FamilyServer sites start an HTTP server: their hooks wrap its
	// handler with the request middleware (package httphook).
	FamilyServer Family = "server"
	// FamilyJoin sites are not sinks: they join paths, and remember a
	// join whose element climbed, for the file sinks (see sinks.yaml's
	// propagate advice).
	FamilyJoin Family = "join"
	// FamilyRequest rules judge who sends a request (IP lists, bots, rate
	// limits, users, attack waves), before the handler runs.
	FamilyRequest Family = "request"
)

// SinkFamilies are the families of rules: a call sink or an entry point
// judges one of them. The build's sink spec takes its vocabulary from
// here.
var SinkFamilies = []Family{FamilySQL, FamilyExec, FamilyFile, FamilyNet}

// Event is one finding as written to the event log: one JSON object a line,
// written through log/slog (so it also carries "level" and "msg"). The
// summary of the identical findings a rate limit window left out
// (MsgSuppressed) decodes into an Event too.
type Event struct {
	Time    time.Time `json:"time"`
	Rule    string    `json:"rule"`
	Family  Family    `json:"family"`
	Mode    string    `json:"mode"`
	Verdict string    `json:"verdict"` // blocked, detected, allowlisted
	Site    string    `json:"site"`
	Sink    string    `json:"sink"`
	Value   string    `json:"value,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	Span    []int     `json:"span,omitempty"`    // [start, end) of the offending part of the raw value
	Dialect string    `json:"dialect,omitempty"` // the SQL dialect that judged a query

	// The request the call served, when the server middleware knew it.
	RequestID string `json:"request_id,omitempty"`
	Method    string `json:"method,omitempty"`
	Path      string `json:"path,omitempty"`
	ClientIP  string `json:"client_ip,omitempty"`
	Input     *Input `json:"input,omitempty"` // the input found in the offending part

	Stack []string `json:"stack,omitempty"` // innermost first, at most 16 frames

	// Msg tells a finding (MsgFinding) from a summary of suppressed events
	// (MsgSuppressed). A summary carries Rule, Site and Verdict, the number
	// of identical events the rate limit left out (Suppressed) and the
	// window they were left out in [WindowStart, WindowEnd).
	Msg         string    `json:"msg,omitempty"`
	Suppressed  int64     `json:"suppressed,omitempty"`
	WindowStart time.Time `json:"window_start,omitzero"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
}

// The messages of the event log's lines.
const (
	// MsgFinding is the message of a finding's line.
	MsgFinding = "rasp finding"
	// MsgSuppressed is the message of the line that closes a rate limit
	// window in which identical findings (same rule, site and verdict)
	// were left out: it says how many.
	MsgSuppressed = "rasp events suppressed"
	// MsgActive is the message of the line that says what the runtime does
	// in the process (its banner, and the build record): written once, when
	// the first server starts, or just before the first finding of a
	// process that serves nothing; only to a RASP_EVENTS file.
	MsgActive = "rasp active"
)

// Input is the request input an event names.
type Input struct {
	Source string `json:"source"` // query, form, json, header, ...
	Name   string `json:"name"`
	Value  string `json:"value"` // at most 256 bytes
}
