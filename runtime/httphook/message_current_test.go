package httphook

import (
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// TestCurrentRefusalOutside: outside any request or message there is no
// refusal, so a NATS ack or reply made by a program's own goroutine goes
// out. (Inside a message the goroutine's request needs the tool's patched
// runtime: integration/testdata/natsapp.txtar shows the ack withheld and
// the reply replaced.)
func TestCurrentRefusalOutside(t *testing.T) {
	inMode(t, policy.ModeBlock)
	if err := CurrentRefusal(); err != nil {
		t.Fatalf("CurrentRefusal outside a message = %v", err)
	}
}

// BenchmarkNATSMessage is what the nats.go patch adds to a benign message
// whose handler makes no judged sink call: BeginMessage with its position
// and lazy inputs, the refusal check of an ack or reply, End.
func BenchmarkNATSMessage(b *testing.B) {
	inMode(b, policy.ModeDetect)
	data := []byte(`{"name":"alice"}`)
	hdr := map[string][]string{"X-Request-Id": {"r-1"}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m := BeginMessage(nil, "nats", "users.find", "r-1", func() MessageInput {
			return MessageInput{Source: "nats", Key: "users.find", Body: data, Attrs: hdr}
		})
		if CurrentRefusal() != nil {
			b.Fatal("refused")
		}
		if m.End() != nil {
			b.Fatal("blocked")
		}
	}
}
