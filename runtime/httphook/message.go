package httphook

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// MessageInput is what a message (a Kafka record, a NATS or RabbitMQ
// message, a queue record of a serverless event) gives as request inputs,
// read only when a detector first asks.
type MessageInput struct {
	// Source names the inputs' source in events: kafka, nats, rabbitmq,
	// sqs, sns, s3, eventbridge, lambda.
	Source string
	// Key is the record's key, the subject, the routing key: input "key".
	Key string
	// Body is the value, data or body: the fields of a JSON object or
	// array, by path ("user.name", "items[0].id"), when it parses; else
	// the whole body, input "body".
	Body []byte
	// Attrs are the headers or attributes, by name.
	Attrs map[string][]string
}

// Message is one message a consumer handles, or one invocation of a
// serverless handler, from BeginMessage to End: it gets what a request
// gets, made known to every sink call of the goroutine (and the goroutines
// it starts) and of the context Context returns, with its inputs read
// lazily; its events name it by kind (the method) and position (the
// path).
type Message struct {
	request reqctx.Request
	ctx     reqctx.RequestContext
	entered reqctx.Entered
	read    func() MessageInput
	once    sync.Once
	inputs  []taint.Input
}

// BeginMessage starts handling a message of the source kind ("kafka",
// "nats", "lambda") on the calling goroutine. position says where it is,
// for events: "topic/partition@offset", the subject, the delivery tag, the
// function and its request ID. id is the message's own ID when it has one
// (a Lambda request ID, a message ID), else "" (one is made when an event
// needs it). read returns its inputs. parent is the handler's context, or
// nil. It returns nil in mode off, and End must be called on the same
// goroutine when the handler returns or panics.
func BeginMessage(parent context.Context, kind, position, id string, read func() MessageInput) *Message {
	if judge.CurrentMode() == policy.ModeOff {
		return nil
	}
	metrics.CountMessage(kind)
	m := &Message{read: read}
	m.request.Init(id, strings.ToUpper(kind), position, "", m)
	if parent == nil {
		parent = context.Background()
	}
	m.ctx = reqctx.RequestContext{Context: parent, Request: &m.request}
	m.entered = reqctx.Enter(&m.request)
	return m
}

// Context returns the handler's context with the message in it, through
// which sink calls given it find the message.
func (m *Message) Context() context.Context { return &m.ctx }

// RequestID returns the message's ID in events: its own, or one made.
func (m *Message) RequestID() string { return m.request.RequestID() }

// End ends the message: it restores the goroutine's request, and returns
// the first refusal of a sink call made for it, or nil. The caller makes
// the handler's processing of the message fail through the library's own
// error path with it (an error, a nack, an error response).
func (m *Message) End() *callsite.BlockedError {
	m.entered.Leave()
	return m.request.Blocked()
}

// Inputs reads the message's inputs, for reqctx.Request: the key, the
// attributes (sorted by name), then the body's fields.
func (m *Message) Inputs() []taint.Input {
	m.once.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				metrics.NoteInternalError()
				metrics.CountInternalError("middleware")
				events.Logf("internal error reading the inputs of message %s: %v", m.request.Path, r)
			}
		}()
		in := m.read()
		m.inputs = MessageInputs(in)
	})
	return m.inputs
}

// MessageInputs returns the request inputs of a message, as
// Message.Inputs does; bounded like a request's (at most 256 inputs, 64
// KiB of body, JSON nesting at most 32 deep).
func MessageInputs(in MessageInput) []taint.Input {
	src := in.Source
	if src == "" {
		src = "message"
	}
	c := collector{ins: make([]taint.Input, 0, 16)}
	c.add(src, "key", in.Key)
	names := make([]string, 0, len(in.Attrs))
	for k := range in.Attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range in.Attrs[k] {
			c.add(src, k, v)
		}
	}
	body := in.Body
	if len(body) > maxBody {
		body = body[:maxBody]
	}
	if len(body) > 0 {
		if looksJSON(body) {
			c.json(src, body) // the fields, by path, under the message's source
		} else {
			c.add(src, "body", string(body))
		}
	}
	return c.ins
}
