package rasp

import (
	"errors"
	"strconv"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
)

// ErrBlocked is matched, through errors.Is, by every error the runtime
// returns when it refuses a call.
var ErrBlocked = errors.New("rasp: call blocked")

// BlockedError is the error the runtime returns when it refuses a call.
type BlockedError struct {
	Rule      string // the rule that refused the call, e.g. "sqli-dynamic"
	Site      *Site  // where the call is in the program's source
	RequestID string // the request the call served, if known
}

// Error describes the refusal by its rule and request ID only: handlers
// often send an error's text to the client, who must not learn where the
// code is. The call site is in the event, and in Site.
func (e *BlockedError) Error() string {
	if e.RequestID != "" {
		return "rasp: blocked by rule " + e.Rule + " (request " + e.RequestID + ")"
	}
	return "rasp: blocked by rule " + e.Rule
}

// Is makes errors.Is(err, ErrBlocked) true.
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// Site is a call the build rerouted through the runtime: where it is, and
// what it calls.
type Site struct {
	Package string // import path of the calling package
	File    string // file name, relative to the package directory
	Line    int
	Column  int
	Sink    string       // the function called, e.g. "database/sql.(*DB).Query"
	Family  event.Family // sql, exec, file or net
}

// String returns "package/file.go:line".
func (s *Site) String() string {
	if s == nil {
		return "unknown"
	}
	return s.Package + "/" + s.File + ":" + strconv.Itoa(s.Line)
}
