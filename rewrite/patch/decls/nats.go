//go:build rasp_decls

// Declarations added to package github.com/nats-io/nats.go: every message
// an asynchronous subscription's handler receives (Subscribe,
// QueueSubscribe, js.Subscribe and js.QueueSubscribe, the jetstream
// package's Consume, a micro service's endpoints: all are called by
// (*Conn).waitForMsgs) is handled as the goroutine's request. Its subject,
// headers and data are inputs (source nats). When a sink call made for it
// is refused: a request's reply is the runtime's error reply (headers
// Nats-Service-Error and Nats-Service-Error-Code 403, the same text as
// data), whether the handler responds after the refusal or not at all; a
// JetStream message is not acked, so the server redelivers it after its
// AckWait, up to MaxDeliver (then its advisory names it), by the
// consumer's policy.

package nats

import (
	"strings"
	"sync/atomic"

	__rasp_httphook "github.com/rasp-instrument/rasp-instrument/runtime/httphook"
)

// __rasp_jsAck is the prefix of a JetStream message's reply subject, its
// ack subject: a reply to it is an ack.
const __rasp_jsAck = "$JS.ACK."

// __rasp_deliver calls the handler waitForMsgs put in m (no closure per
// message) with m as the goroutine's request: BeginMessage before, End
// after, on this goroutine, also when the handler panics.
func __rasp_deliver(m *Msg) {
	cb := m.__rasp_cb
	m.__rasp_cb = nil
	msg := __rasp_begin(m)
	if msg == nil {
		cb(m)
		return
	}
	defer __rasp_end(m, msg)
	cb(m)
}

// __rasp_begin makes m known to the runtime; nil in mode off, or on an
// internal fault (counted and logged by the runtime, the message is
// handled unprotected).
func __rasp_begin(m *Msg) (msg *__rasp_httphook.Message) {
	defer func() {
		if r := recover(); r != nil {
			msg = nil
		}
	}()
	if __rasp_replies(m.Sub) {
		return nil
	}
	position := m.Subject
	if strings.HasPrefix(m.Reply, __rasp_jsAck) {
		// stream/subject@stream-sequence, as a Kafka record's
		// topic/partition@offset.
		if md, err := m.Metadata(); err == nil {
			position = md.Stream + "/" + m.Subject + "@" + __rasp_itoa(md.Sequence.Stream)
		}
	}
	id := ""
	if m.Header != nil {
		if id = m.Header.Get("X-Request-Id"); id == "" {
			id = m.Header.Get(MsgIdHdr)
		}
	}
	return __rasp_httphook.BeginMessage(nil, "nats", position, id, func() __rasp_httphook.MessageInput {
		return __rasp_httphook.MessageInput{Source: "nats", Key: m.Subject, Body: m.Data, Attrs: m.Header}
	})
}

// __rasp_replies reports whether s is the connection's own subscription
// to the replies of its requests (Request, RequestMsg: "_INBOX.<id>.*"),
// whose handler only hands each reply to the waiting requester: a reply is
// no message the program handles.
func __rasp_replies(s *Subscription) bool {
	if s == nil || s.conn == nil || !strings.HasSuffix(s.Subject, ".*") {
		return false
	}
	prefix := InboxPrefix
	if p := s.conn.Opts.InboxPrefix; p != "" {
		prefix = p + "."
	}
	return strings.HasPrefix(s.Subject, prefix)
}

// __rasp_end ends the message. A refused request that got no reply gets
// the runtime's error reply now; a JetStream message gets nothing (its ack
// was withheld).
func __rasp_end(m *Msg, msg *__rasp_httphook.Message) {
	be := msg.End()
	if be == nil {
		return
	}
	defer func() { recover() }()
	if m.Reply != "" && !strings.HasPrefix(m.Reply, __rasp_jsAck) {
		text := be.Error()
		if be.RequestID == "" {
			text += " (request " + msg.RequestID() + ")"
		}
		m.__rasp_reply(text, msg.RequestID())
	}
}

// __rasp_respond is the prologue of Respond and RespondMsg: after a
// refusal, the handler's reply to a request is replaced by the runtime's
// error reply, and a reply to a JetStream message (an ack) is withheld;
// both return the refusal.
func (m *Msg) __rasp_respond() error {
	err := __rasp_httphook.CurrentRefusal()
	if err == nil || m == nil || m.Sub == nil || m.Reply == "" {
		return err
	}
	if !strings.HasPrefix(m.Reply, __rasp_jsAck) {
		text := err.Error()
		m.__rasp_reply(text, __rasp_requestID(text))
	}
	return err
}

// __rasp_noAck is the prologue of a JetStream message's ack: a positive
// ack (Ack, AckSync, and js.Subscribe's automatic ack) of a message whose
// handling was refused is withheld, and returns the refusal. Nak, Term
// and InProgress go out.
func __rasp_noAck(ackType []byte) error {
	if string(ackType) != string(ackAck) {
		return nil
	}
	return __rasp_httphook.CurrentRefusal()
}

// __rasp_reply sends the error reply to m's requester, once.
func (m *Msg) __rasp_reply(text, id string) {
	if !atomic.CompareAndSwapUint32(&m.__rasp_answered, 0, 1) || m.Sub == nil {
		return
	}
	m.Sub.mu.Lock()
	nc := m.Sub.conn
	m.Sub.mu.Unlock()
	if nc == nil {
		return
	}
	r := NewMsg(m.Reply)
	r.Header.Set("Nats-Service-Error", text)
	r.Header.Set("Nats-Service-Error-Code", "403")
	if id != "" {
		r.Header.Set("X-Request-Id", id)
	}
	r.Data = []byte(text)
	nc.PublishMsg(r)
}

// __rasp_requestID returns the request ID a refusal's text names.
func __rasp_requestID(text string) string {
	i := strings.LastIndex(text, "(request ")
	if i < 0 || !strings.HasSuffix(text, ")") {
		return ""
	}
	return text[i+len("(request ") : len(text)-1]
}

func __rasp_itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
