package nethook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

// BenchmarkDialCheckUnmarked is a dial no hook started (a library's own
// connection) to a public address: the clean path of the entry point.
func BenchmarkDialCheckUnmarked(b *testing.B) {
	ctx := context.Background()
	ra := tcpAddr("93.184.215.14:80")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if dialCheck(ctx, "tcp", "example.com:80", ra) != nil {
			b.Fatal("blocked")
		}
	}
}

// BenchmarkClientDo is one request through the (*http.Client).Do hook to a
// loopback server, with a keep-alive connection: what the hook adds to a
// request the program makes outside any request of its own.
func BenchmarkClientDo(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	site := &callsite.Site{Sink: "net/http.(*Client).Do", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(-1, false, "", "")}}
	c := srv.Client()
	req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := ClientDo(site, c, req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkClientHookOverhead is what the (*http.Client).Do hook does
// around the client's own work, outside a request: judge the URL, mark the
// call.
func BenchmarkClientHookOverhead(b *testing.B) {
	site := &callsite.Site{Sink: "net/http.(*Client).Do", Family: event.FamilyNet, Tmpls: []taint.Tmpl{taint.T(-1, false, "", "")}}
	const u = "http://hooks.example.com:8080/deliver"
	raw := string([]byte(u)) // read at run time, as a stored URL is
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if checkURL(nil, site, -1, raw) != nil {
			b.Fatal("blocked")
		}
		_, m := mark(nil, site, -1, raw)
		_ = m
	}
}
