package httphook

import "github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"

// CurrentRefusal returns the first refusal of a sink call made for the
// request or message the calling goroutine serves, or nil (outside any
// request, or before any refusal). A library's patch asks it where the
// handler's processing would otherwise be confirmed after a refusal: a
// NATS JetStream message's ack is withheld, a NATS reply becomes the
// runtime's error reply.
func CurrentRefusal() error {
	r := reqctx.CurrentRequest(nil)
	if r == nil {
		return nil
	}
	if b := r.Blocked(); b != nil {
		return b
	}
	return nil
}
