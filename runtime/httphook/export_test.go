package httphook

import (
	"io"
	"net/http"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

// This file exports, for the package's tests, names that the runtime's own
// code does not need exported.

// BodyTee is the tee the middleware reads request bodies through.
type BodyTee = bodyTee

// NewBodyTee returns a BodyTee reading rc (nil reads as empty) that keeps
// at most max bytes.
func NewBodyTee(rc io.ReadCloser, max int) *BodyTee {
	if max < 0 {
		max = 0
	}
	return &BodyTee{rc: rc, max: max}
}

// Inputs returns the inputs of r (see inputs); body may be nil.
func Inputs(r *http.Request, body *BodyTee) []taint.Input { return inputs(r, body) }

// CloseReason is closeReason: the reason of the close frame of a refused
// WebSocket connection.
func CloseReason(rule, id string) string { return closeReason(rule, id) }
