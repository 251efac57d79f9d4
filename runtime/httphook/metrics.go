package httphook

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
)

// MetricsContentType is the Content-Type of the metrics exposition.
const MetricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// MetricsHandler returns a handler that serves the runtime's metrics
// (judge.WriteMetrics) in the Prometheus text exposition format 0.0.4, to
// GET and HEAD requests.
func MetricsHandler() http.Handler {
	return http.HandlerFunc(serveMetrics)
}

func serveMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var buf bytes.Buffer
	if err := judge.WriteMetrics(&buf); err != nil {
		http.Error(w, "rasp: writing metrics: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", MetricsContentType)
	h.Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	w.Write(buf.Bytes())
}

// init serves the metrics at /metrics on the address RASP_METRICS_ADDR
// names (host:port, e.g. "127.0.0.1:9464"), when it is set. The listener
// runs in its own goroutine; a failure is logged and never stops the
// program. Its handler is not wrapped by the request middleware: scrapes
// are not requests of the program.
func init() {
	if addr := os.Getenv("RASP_METRICS_ADDR"); addr != "" {
		go listenMetrics(addr)
	}
}

// listenMetrics serves the metrics on addr until the program ends.
func listenMetrics(addr string) {
	defer func() {
		if r := recover(); r != nil {
			events.Logf("RASP_METRICS_ADDR %s: metrics listener failed: %v", addr, r)
		}
	}()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		events.Logf("RASP_METRICS_ADDR: %v; metrics are not served", err)
		return
	}
	if err := newMetricsServer().Serve(ln); err != nil {
		events.Logf("RASP_METRICS_ADDR %s: metrics server stopped: %v", addr, err)
	}
}

// newMetricsServer returns the server of the metrics listener: /metrics
// only, on a mux of its own (not http.DefaultServeMux, which the program
// may use), with timeouts so that slow clients cannot pile up.
func newMetricsServer() *http.Server {
	mux := http.NewServeMux()
	mux.Handle("/metrics", MetricsHandler())
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
}
