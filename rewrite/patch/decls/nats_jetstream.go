//go:build rasp_decls

// Declarations added to package github.com/nats-io/nats.go/jetstream: a
// message whose handling was refused (a sink call made for it, in the
// handler Consume calls, was blocked) is not acked: the server redelivers
// it after the consumer's AckWait, up to MaxDeliver. See nats.go.

package jetstream

import (
	"bytes"

	__rasp_httphook "github.com/rasp-instrument/rasp-instrument/runtime/httphook"
)

// __rasp_noAck is the prologue of ackReply: a positive ack (Ack,
// DoubleAck) after a refusal is withheld and returns the refusal; Nak,
// Term and InProgress go out.
func __rasp_noAck(t ackType) error {
	if !bytes.Equal(t, ackAck) {
		return nil
	}
	return __rasp_httphook.CurrentRefusal()
}
