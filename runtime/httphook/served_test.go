package httphook

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// sinkHere stands for a hooked sink call made by a handler of a server
// other than net/http's. It would find its request through the goroutine,
// which a test's plain build of the runtime cannot: it is handed over.
func sinkHere(req *reqctx.Request) error {
	return judge.JudgeCall(sinkSite, req, func() (judge.Finding, bool) {
		for i, in := range req.Inputs() {
			if strings.Contains(in.Value, "attack") {
				return judge.Finding{Rule: "test-rule", Input: &req.Inputs()[i]}, true
			}
		}
		return judge.Finding{}, false
	})
}

// rawRequest is a Raw as the glue of a server gives it: its headers, and
// the rest of the request read by read.
type rawRequest struct {
	header http.Header
	read   func() RawRequest
}

// rawReq returns a Raw with the headers given as name, value pairs.
func rawReq(read func() RawRequest, headers ...string) *rawRequest {
	r := &rawRequest{header: http.Header{}, read: read}
	for i := 0; i+1 < len(headers); i += 2 {
		r.header.Add(headers[i], headers[i+1])
	}
	return r
}

func (r *rawRequest) Header(name string) string   { return r.header.Get(name) }
func (r *rawRequest) Values(name string) []string { return r.header.Values(name) }
func (r *rawRequest) Read() RawRequest            { return r.read() }

func TestServedBlocks(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	reads := 0
	s := Begin("GET", "/docs/..%2Fan%20attack", "127.0.0.1:5000", rawReq(func() RawRequest {
		reads++
		return RawRequest{RawQuery: "q=lamp", Header: map[string][]string{"Cookie": {"user=ann"}}}
	}, "X-Request-Id", "fb-1"))
	if sinkHere(&s.request) == nil {
		t.Fatal("the sink call was not blocked")
	}
	refusal, id := s.End()
	if refusal == nil || refusal.Status != 403 || id != "fb-1" ||
		refusal.Body != `{"error":"blocked","rule":"test-rule","request_id":"fb-1"}`+"\n" ||
		!slices.Contains(refusal.Header, [2]string{"Content-Type", "application/json"}) || !slices.Contains(refusal.Header, [2]string{"X-Request-Id", "fb-1"}) {
		t.Fatalf("refusal %+v, id %q", refusal, id)
	}
	if reads != 1 {
		t.Errorf("the request was read %d times", reads)
	}
	evs := events.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events: %s", len(evs), events)
	}
	e := evs[0]
	if e.RequestID != "fb-1" || e.Path != "/docs/../an attack" || e.ClientIP != "127.0.0.1" ||
		e.Input == nil || e.Input.Source != "path" || e.Input.Value != "../an attack" {
		t.Errorf("event %+v input %+v", e, e.Input)
	}
}

func TestServedBenignAndOff(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	s := Begin("GET", "/items", "127.0.0.1:5000", rawReq(func() RawRequest { return RawRequest{RawQuery: "q=lamp"} }))
	if err := sinkHere(&s.request); err != nil {
		t.Fatal(err)
	}
	if refusal, id := s.End(); refusal != nil || id != "" {
		t.Errorf("benign: refusal %+v, id %q", refusal, id)
	}
	if len(events.Lines()) != 0 {
		t.Errorf("events: %s", events)
	}
	judge.SetMode(policy.ModeOff)
	if s := Begin("GET", "/", "", rawReq(nil)); s != nil {
		t.Error("Begin in mode off")
	}
}

// TestServedInputs: the inputs of a raw request are those net/http's would
// have, multipart bodies included.
func TestServedInputs(t *testing.T) {
	inMode(t, policy.ModeDetect)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("dir", "../up")
	fw, _ := mw.CreateFormFile("file", "evil.txt")
	fw.Write([]byte("data"))
	mw.Close()
	s := Begin("POST", "/upload", "127.0.0.1:1", rawReq(func() RawRequest {
		return RawRequest{RawQuery: "a=1", Body: body.Bytes(),
			Header: map[string][]string{"Content-Type": {mw.FormDataContentType()}, "Cookie": {"user=bob"}, "X-Callback-Url": {"http://x/"}}}
	}))
	defer s.End()
	var got []string
	for _, in := range s.Inputs() {
		got = append(got, in.Source+":"+in.Name+"="+in.Value)
	}
	for _, want := range []string{"query:a=1", "multipart:dir=../up", "multipart:file=evil.txt", "path:0=upload", "cookie:user=bob", "header:X-Callback-Url=http://x/"} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("inputs lack %s: %q", want, got)
		}
	}
}
