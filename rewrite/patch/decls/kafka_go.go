//go:build rasp_decls

// Declarations added to package github.com/segmentio/kafka-go: the message
// a Reader's FetchMessage (or ReadMessage, which calls it) returns is the
// calling goroutine's request from then until the Reader's next read, a
// CommitMessages of the program, or Close; its key, headers and value
// (JSON fields by path) the inputs of source kafka, its position
// topic/partition@offset. kafka-go has no error path for a message: a sink
// call refused while handling it returns its error (rasp.ErrBlocked) to
// the program, which decides. The Reader keeps the one message it began,
// so it is meant to be read (and committed) from one goroutine at a time,
// as kafka-go's examples do.

package kafka

import (
	"context"
	"strconv"

	__rasp_httphook "github.com/rasp-instrument/rasp-instrument/runtime/httphook"
)

// __rasp_message is the message the Reader's last read began (the type of
// its field).
type __rasp_message = __rasp_httphook.Message

// __rasp_innerKey marks the context of the FetchMessage that __rasp_fetch
// calls, whose body is kafka-go's own (as is a call with a nil context,
// which panics there as it did).
type __rasp_innerKey struct{}

func __rasp_inner(ctx context.Context) bool {
	return ctx == nil || ctx.Value(__rasp_innerKey{}) != nil
}

// __rasp_fetch is FetchMessage: it ends the message the Reader's last read
// began, reads the next, and begins it.
func (r *Reader) __rasp_fetch(ctx context.Context) (Message, error) {
	r.__rasp_end()
	msg, err := r.FetchMessage(context.WithValue(ctx, __rasp_innerKey{}, true))
	if err == nil {
		r.__rasp_begin(ctx, msg)
	}
	return msg, err
}

// __rasp_begin makes the message FetchMessage returns the calling
// goroutine's request (nothing in mode off).
func (r *Reader) __rasp_begin(ctx context.Context, msg Message) {
	pos := msg.Topic + "/" + strconv.Itoa(msg.Partition) + "@" + strconv.FormatInt(msg.Offset, 10)
	r.__rasp_m = __rasp_httphook.BeginMessage(ctx, "kafka", pos, "", func() __rasp_httphook.MessageInput {
		var attrs map[string][]string
		if len(msg.Headers) > 0 {
			attrs = make(map[string][]string, len(msg.Headers))
			for _, h := range msg.Headers {
				attrs[h.Key] = append(attrs[h.Key], string(h.Value))
			}
		}
		return __rasp_httphook.MessageInput{Source: "kafka", Key: string(msg.Key), Body: msg.Value, Attrs: attrs}
	})
}

// __rasp_end ends the message the Reader's last read began, if any.
func (r *Reader) __rasp_end() {
	if m := r.__rasp_m; m != nil {
		r.__rasp_m = nil
		m.End()
	}
}

// __rasp_take takes the message ReadMessage's FetchMessage began from the
// Reader, so that ReadMessage's own commit (in a consumer group) does not
// end it; __rasp_put gives it back when ReadMessage returns.
func (r *Reader) __rasp_take() *__rasp_message {
	m := r.__rasp_m
	r.__rasp_m = nil
	return m
}

func (r *Reader) __rasp_put(m *__rasp_message) {
	if m != nil {
		r.__rasp_m = m
	}
}
