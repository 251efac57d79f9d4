//go:build rasp_decls

// Declarations added to package golang.org/x/net/websocket: the messages a
// server's connection reads (Conn.Read, Message.Receive, JSON.Receive) are
// inputs of the request it was upgraded from, and that request's refusal
// closes it with a policy violation.

package websocket

import (
	"encoding/binary"

	__rasp_httphook "github.com/rasp-instrument/rasp-instrument/runtime/httphook"
)

// __rasp_received adds bytes that Read returned to the inputs of the
// request the calling goroutine serves: the start of a message when next.
func (ws *Conn) __rasp_received(next bool, b []byte) {
	if w := ws.__rasp_ws(); w != nil {
		w.Received(next, b)
	}
}

// __rasp_message adds a message that a Codec received to the inputs.
func (ws *Conn) __rasp_message(b []byte) {
	if w := ws.__rasp_ws(); w != nil {
		w.Message(b)
	}
}

func (ws *Conn) __rasp_ws() *__rasp_httphook.WebSocket {
	if !ws.IsServerConn() {
		return nil
	}
	w := __rasp_httphook.CurrentWebSocket()
	if w != nil && !w.HasCloser() {
		w.SetCloser(ws.__rasp_refuse)
	}
	return w
}

// __rasp_refuse closes the connection as Close does, with a
// policy-violation close frame (1008) carrying reason.
func (ws *Conn) __rasp_refuse(reason string) {
	msg := make([]byte, 2, 2+len(reason))
	binary.BigEndian.PutUint16(msg, 1008)
	msg = append(msg, reason...)
	ws.wio.Lock()
	if w, err := ws.frameWriterFactory.NewFrameWriter(CloseFrame); err == nil {
		w.Write(msg)
		w.Close()
	}
	ws.wio.Unlock()
	ws.rwc.Close()
}
