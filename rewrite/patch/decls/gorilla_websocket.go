//go:build rasp_decls

// Declarations added to package github.com/gorilla/websocket: the messages
// a server's connection reads are inputs of the request it was upgraded
// from, and that request's refusal closes it with a policy violation.

package websocket

import (
	"io"
	"time"

	__rasp_httphook "github.com/rasp-instrument/rasp-instrument/runtime/httphook"
)

// __rasp_reader returns the reader NextReader made for a message (and so
// ReadMessage and ReadJSON), as one that adds the message to the inputs of
// the request the calling goroutine serves; r itself outside a request or
// on a client's connection.
func (c *Conn) __rasp_reader(r io.Reader) io.Reader {
	if !c.isServer || r == nil {
		return r
	}
	w := __rasp_httphook.CurrentWebSocket()
	if w == nil {
		return r
	}
	if !w.HasCloser() {
		w.SetCloser(c.__rasp_refuse)
	}
	return w.Reader(r)
}

// __rasp_refuse closes the connection with a policy-violation close frame
// (1008) carrying reason: the handler's later writes fail (the close was
// sent) and so do its reads.
func (c *Conn) __rasp_refuse(reason string) {
	c.WriteControl(CloseMessage, FormatCloseMessage(ClosePolicyViolation, reason), time.Now().Add(time.Second))
	c.Close()
}
