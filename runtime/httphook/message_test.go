package httphook

import (
	"context"
	"errors"
	"strings"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// TestMessageInputs: a message's key, attributes and JSON body fields are
// inputs under its source; a body that is not JSON is one input.
func TestMessageInputs(t *testing.T) {
	got := func(in MessageInput) string {
		var out []string
		for _, i := range MessageInputs(in) {
			out = append(out, i.Source+":"+i.Name+"="+i.Value)
		}
		return strings.Join(out, ";")
	}
	if g := got(MessageInput{Source: "kafka", Key: "k1", Attrs: map[string][]string{"trace": {"t"}, "a": {"x"}},
		Body: []byte(`{"user":{"name":"bob"},"ids":[7]}`)}); g != "kafka:key=k1;kafka:a=x;kafka:trace=t;kafka:user.name=bob;kafka:ids[0]=7" {
		t.Errorf("JSON message: %s", g)
	}
	if g := got(MessageInput{Source: "nats", Body: []byte("rm -rf /")}); g != "nats:body=rm -rf /" {
		t.Errorf("text message: %s", g)
	}
}

// TestMessageRefusal: a sink call refused while a message is handled makes
// End return the refusal; the message's kind and position name it.
func TestMessageRefusal(t *testing.T) {
	inMode(t, policy.ModeBlock)
	m := BeginMessage(context.Background(), "kafka", "orders/0@42", "", func() MessageInput {
		return MessageInput{Source: "kafka", Body: []byte(`{"sku":"x' OR 1=1--"}`)}
	})
	req := reqctx.CurrentRequest(m.Context())
	if req == nil || req.Method != "KAFKA" || req.Path != "orders/0@42" {
		t.Fatalf("request %+v", req)
	}
	if in := req.Inputs(); len(in) != 1 || in[0].Name != "sku" {
		t.Errorf("inputs %+v", in)
	}
	be := &rasp.BlockedError{Rule: "sqli-tautology"}
	req.NoteBlocked(be)
	if got := m.End(); !errors.Is(got, rasp.ErrBlocked) {
		t.Errorf("End = %v", got)
	}
	judge.SetMode(policy.ModeOff)
	if BeginMessage(nil, "nats", "s", "", nil) != nil {
		t.Error("a message in mode off")
	}
}

// BenchmarkMessage is the per-message cost of the request context: a
// message whose handler reaches no sink (its inputs are never read).
func BenchmarkMessage(b *testing.B) {
	inMode(b, policy.ModeDetect)
	read := func() MessageInput { return MessageInput{Source: "kafka", Body: []byte(`{"sku":"a"}`)} }
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m := BeginMessage(ctx, "kafka", "orders/0@42", "", read)
		m.End()
	}
}

// BenchmarkMessageInputs is the cost of reading a small JSON message's
// inputs, once a detector asks.
func BenchmarkMessageInputs(b *testing.B) {
	in := MessageInput{Source: "kafka", Key: "order-7", Attrs: map[string][]string{"trace": {"abc"}},
		Body: []byte(`{"sku":"lamp-1","qty":2,"customer":{"name":"bob","email":"b@example.com"}}`)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		MessageInputs(in)
	}
}
