//go:build rasp_decls

// Declarations added to package github.com/coder/websocket (and so to
// wsjson, which reads through Reader): the messages a server's connection
// reads are inputs of the request it was upgraded from, and that
// request's refusal closes it with a policy violation.

package websocket

import (
	"io"

	__rasp_httphook "github.com/rasp-instrument/rasp-instrument/runtime/httphook"
)

// __rasp_watch reports whether the messages that c reads are inputs: c is
// a server's connection read inside a request. It sets the request's
// closer.
func (c *Conn) __rasp_watch() bool {
	if c.client {
		return false
	}
	w := __rasp_httphook.CurrentWebSocket()
	if w == nil {
		return false
	}
	if !w.HasCloser() {
		w.SetCloser(c.__rasp_refuse)
	}
	return true
}

// __rasp_wrap returns what Reader returns, with a reader that adds the
// message to the request's inputs.
func (c *Conn) __rasp_wrap(typ MessageType, r io.Reader, err error) (MessageType, io.Reader, error) {
	if err != nil || r == nil {
		return typ, r, err
	}
	if w := __rasp_httphook.CurrentWebSocket(); w != nil {
		r = w.Reader(r)
	}
	return typ, r, err
}

// __rasp_refuse closes the connection with a policy-violation close frame
// (1008) carrying reason, without waiting for the peer's: the handler's
// later reads and writes fail.
func (c *Conn) __rasp_refuse(reason string) {
	c.writeClose(StatusPolicyViolation, reason)
	c.CloseNow()
}
