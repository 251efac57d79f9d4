package httphook

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/eventstest"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// wantMetrics are the runtime's metrics and their types.
var wantMetrics = map[string]dto.MetricType{
	"rasp_events_total":                    dto.MetricType_COUNTER,
	"rasp_blocked_requests_total":          dto.MetricType_COUNTER,
	"rasp_detection_latency_seconds":       dto.MetricType_HISTOGRAM,
	"rasp_agent_active":                    dto.MetricType_GAUGE,
	"rasp_allowlist_hits_total":            dto.MetricType_COUNTER,
	"rasp_allowlist_entries_total":         dto.MetricType_GAUGE,
	"rasp_policy_reload_timestamp_seconds": dto.MetricType_GAUGE,
	"rasp_internal_errors_total":           dto.MetricType_COUNTER,
	"rasp_events_dropped_total":            dto.MetricType_COUNTER,
}

// scrape gets MetricsHandler's answer and parses it with Prometheus' own
// parser. It fails on a duplicate series.
func scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	w := httptest.NewRecorder()
	MetricsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if got := expfmt.ResponseFormat(w.Header()); got.FormatType() != expfmt.TypeTextPlain {
		t.Errorf("expfmt sees format %v", got)
	}
	return parse(t, w.Body)
}

func parse(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parsing the exposition: %v", err)
	}
	for name, f := range fams {
		seen := make(map[string]bool)
		for _, m := range f.GetMetric() {
			k := labelKey(m.GetLabel())
			if seen[k] {
				t.Errorf("%s%s appears twice", name, k)
			}
			seen[k] = true
		}
	}
	return fams
}

// labelKey writes labels sorted by name: {a="x",b="y"}.
func labelKey(labels []*dto.LabelPair) string {
	parts := make([]string, 0, len(labels))
	for _, l := range labels {
		parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

// find returns the series of family name whose labels are exactly kv
// (alternating names and values), or nil.
func find(fams map[string]*dto.MetricFamily, name string, kv ...string) *dto.Metric {
	var want []*dto.LabelPair
	for i := 0; i+1 < len(kv); i += 2 {
		want = append(want, &dto.LabelPair{Name: &kv[i], Value: &kv[i+1]})
	}
	key := labelKey(want)
	for _, m := range fams[name].GetMetric() {
		if labelKey(m.GetLabel()) == key {
			return m
		}
	}
	return nil
}

// value returns a counter's or gauge's value; -1 when the series is missing.
func value(fams map[string]*dto.MetricFamily, name string, kv ...string) float64 {
	m := find(fams, name, kv...)
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return -1
}

// latencyCount returns the count of the detection latency histogram of group.
func latencyCount(fams map[string]*dto.MetricFamily, group string) uint64 {
	return find(fams, "rasp_detection_latency_seconds", "rule", group).GetHistogram().GetSampleCount()
}

// TestMetricsExpositionFresh scrapes a new process, where nothing has been
// counted, and checks that every metric is there with its type and every
// series is at 0.
func TestMetricsExpositionFresh(t *testing.T) {
	if os.Getenv("RASP_HTTPHOOK_METRICS_CHILD") != "fresh" {
		out := runChild(t, "^TestMetricsExpositionFresh$", "RASP_HTTPHOOK_METRICS_CHILD=fresh", "RASP_MODE=block", "RASP_POLICY=", "RASP_METRICS_ADDR=")
		if !strings.Contains(out, "--- PASS: TestMetricsExpositionFresh") {
			t.Fatalf("child did not run the test:\n%s", out)
		}
		return
	}
	fams := scrape(t)
	for name, typ := range wantMetrics {
		f, ok := fams[name]
		if !ok {
			t.Errorf("metric %s missing", name)
			continue
		}
		if f.GetType() != typ {
			t.Errorf("%s has type %v, want %v", name, f.GetType(), typ)
		}
		if f.GetHelp() == "" {
			t.Errorf("%s has no HELP", name)
		}
		if !model.LegacyValidation.IsValidMetricName(name) {
			t.Errorf("%s is not a classic metric name", name)
		}
	}
	if len(fams) != len(wantMetrics) {
		t.Errorf("%d metrics, want %d", len(fams), len(wantMetrics))
	}
	rules := policy.KnownRules()
	if got := len(fams["rasp_events_total"].GetMetric()); got != len(rules)*3*3 {
		t.Errorf("rasp_events_total has %d series, want %d", got, len(rules)*3*3)
	}
	for _, r := range rules {
		for _, m := range []string{"off", "detect", "block"} {
			for _, v := range []string{"blocked", "detected", "allowlisted"} {
				if got := value(fams, "rasp_events_total", "rule", r, "mode", m, "verdict", v); got != 0 {
					t.Errorf("rasp_events_total{rule=%s,mode=%s,verdict=%s} = %v, want 0", r, m, v, got)
				}
			}
		}
		for _, name := range []string{"rasp_blocked_requests_total", "rasp_allowlist_hits_total", "rasp_allowlist_entries_total"} {
			if got := value(fams, name, "rule", r); got != 0 {
				t.Errorf("%s{rule=%s} = %v, want 0", name, r, got)
			}
		}
	}
	for _, g := range []string{"sqli", "cmdi", "path", "ssrf", "middleware", "policy"} {
		if got := value(fams, "rasp_internal_errors_total", "rule", g); got != 0 {
			t.Errorf("rasp_internal_errors_total{rule=%s} = %v, want 0", g, got)
		}
	}
	for _, g := range []string{"sqli", "cmdi", "path", "ssrf"} {
		m := find(fams, "rasp_detection_latency_seconds", "rule", g)
		if m == nil {
			t.Errorf("no latency histogram for %s", g)
			continue
		}
		h := m.GetHistogram()
		if h.GetSampleCount() != 0 || h.GetSampleSum() != 0 {
			t.Errorf("latency histogram of %s: count %d sum %v", g, h.GetSampleCount(), h.GetSampleSum())
		}
		var bounds []float64
		for _, b := range h.GetBucket() {
			if !math.IsInf(b.GetUpperBound(), 1) { // this parser keeps the +Inf bucket
				bounds = append(bounds, b.GetUpperBound())
			}
			if b.GetCumulativeCount() != 0 {
				t.Errorf("latency bucket le=%v of %s = %d", b.GetUpperBound(), g, b.GetCumulativeCount())
			}
		}
		if want := []float64{1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 1e-4, 1e-3, 1e-2}; !slices.Equal(bounds, want) {
			t.Errorf("latency buckets of %s: %v, want %v", g, bounds, want)
		}
	}
	if got := len(fams["rasp_detection_latency_seconds"].GetMetric()); got != 4 {
		t.Errorf("%d latency histograms, want 4", got)
	}
	for name, want := range map[string]float64{"rasp_agent_active": 1, "rasp_policy_reload_timestamp_seconds": 0, "rasp_events_dropped_total": 0} {
		if got := value(fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

var metricsSite = &callsite.Site{Package: "example.com/app", File: "db.go", Line: 12, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL}

// unionSink reports sqli-union for every request whose q input contains
// "union".
func unionSink(w http.ResponseWriter, r *http.Request) {
	req := reqctx.CurrentRequest(r.Context())
	err := judge.JudgeCall(metricsSite, req, func() (judge.Finding, bool) {
		if strings.Contains(r.URL.Query().Get("q"), "union") {
			return judge.Finding{Rule: "sqli-union"}, true
		}
		return judge.Finding{}, false
	})
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	io.WriteString(w, "ok\n")
}

func TestMetricsExpositionCounts(t *testing.T) {
	old := judge.CurrentMode()
	t.Cleanup(func() { judge.SetMode(old) })
	eventstest.Discard(t)
	h := Wrap(http.HandlerFunc(unionSink))

	before := scrape(t)
	judge.SetMode(policy.ModeBlock)
	for i := 0; i < 3; i++ {
		if w := hit(h, httptest.NewRequest("GET", "/?q=1+union+select", nil)); w.Code != 403 {
			t.Fatalf("block mode: status %d", w.Code)
		}
	}
	hit(h, httptest.NewRequest("GET", "/?q=lamp", nil))
	judge.SetMode(policy.ModeDetect)
	if w := hit(h, httptest.NewRequest("GET", "/?q=union", nil)); w.Code != 200 {
		t.Fatalf("detect mode: status %d", w.Code)
	}
	after := scrape(t)

	grew := func(name string, kv ...string) float64 { return value(after, name, kv...) - value(before, name, kv...) }
	for _, c := range []struct {
		name string
		kv   []string
		want float64
	}{
		{"rasp_events_total", []string{"rule", "sqli-union", "mode", "block", "verdict", "blocked"}, 3},
		{"rasp_events_total", []string{"rule", "sqli-union", "mode", "detect", "verdict", "detected"}, 1},
		{"rasp_events_total", []string{"rule", "sqli-union", "mode", "block", "verdict", "detected"}, 0},
		{"rasp_events_total", []string{"rule", "sqli-tautology", "mode", "block", "verdict", "blocked"}, 0},
		{"rasp_blocked_requests_total", []string{"rule", "sqli-union"}, 3},
		{"rasp_blocked_requests_total", []string{"rule", "sqli-tautology"}, 0},
	} {
		if got := grew(c.name, c.kv...); got != c.want {
			t.Errorf("%s%v grew by %v, want %v", c.name, c.kv, got, c.want)
		}
	}
	if got := latencyCount(after, "sqli") - latencyCount(before, "sqli"); got != 5 {
		t.Errorf("sqli latency count grew by %d, want 5", got)
	}
	if got := latencyCount(after, "cmdi") - latencyCount(before, "cmdi"); got != 0 {
		t.Errorf("cmdi latency count grew by %d, want 0", got)
	}
	if got := value(after, "rasp_agent_active"); got != 1 {
		t.Errorf("rasp_agent_active = %v in detect mode", got)
	}
	judge.SetMode(policy.ModeOff)
	if got := value(scrape(t), "rasp_agent_active"); got != 0 {
		t.Errorf("rasp_agent_active = %v in mode off", got)
	}

	// The parsed exposition and judge.MetricValue agree on every series.
	for name, f := range after {
		for _, m := range f.GetMetric() {
			var kv []string
			for _, l := range m.GetLabel() {
				kv = append(kv, l.GetName(), l.GetValue())
			}
			var got, want float64
			switch {
			case m.Histogram != nil:
				got, want = judge.MetricValue(name+"_count", kv...), float64(m.Histogram.GetSampleCount())
			case m.Counter != nil:
				got, want = judge.MetricValue(name, kv...), m.Counter.GetValue()
			case m.Gauge != nil:
				got, want = judge.MetricValue(name, kv...), m.Gauge.GetValue()
			}
			if name == "rasp_agent_active" {
				continue // the mode changed since
			}
			if got != want {
				t.Errorf("MetricValue(%s, %v) = %v, exposition says %v", name, kv, got, want)
			}
		}
	}
}

func TestMetricsHandlerMethods(t *testing.T) {
	w := httptest.NewRecorder()
	MetricsHandler().ServeHTTP(w, httptest.NewRequest("POST", "/metrics", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d", w.Code)
	}
	w = httptest.NewRecorder()
	MetricsHandler().ServeHTTP(w, httptest.NewRequest("HEAD", "/metrics", nil))
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Type") != MetricsContentType {
		t.Errorf("HEAD: status %d, %d bytes, %v", w.Code, w.Body.Len(), w.Header())
	}
}

// TestMetricsListener checks the server RASP_METRICS_ADDR starts: /metrics
// only, and no request middleware (no request ID, no inputs).
func TestMetricsListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newMetricsServer()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	base := "http://" + ln.Addr().String()

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != MetricsContentType {
		t.Errorf("status %d, header %v", resp.StatusCode, resp.Header)
	}
	if id := resp.Header.Get("X-Request-Id"); id != "" {
		t.Errorf("the metrics listener went through the middleware (X-Request-Id %q)", id)
	}
	if _, ok := parse(t, resp.Body)["rasp_events_total"]; !ok {
		t.Error("no rasp_events_total")
	}
	resp2, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 404 {
		t.Errorf("/: status %d, want 404", resp2.StatusCode)
	}
}

// TestMetricsAddrEnv starts processes with RASP_METRICS_ADDR set: a good
// address is served at /metrics, a bad one is logged and the program goes on.
func TestMetricsAddrEnv(t *testing.T) {
	switch os.Getenv("RASP_HTTPHOOK_METRICS_CHILD") {
	case "serve":
		url := "http://" + os.Getenv("RASP_METRICS_ADDR") + "/metrics"
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := http.Get(url)
			if err == nil {
				defer resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
				parse(t, resp.Body)
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the metrics listener never answered: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	case "bad":
		time.Sleep(200 * time.Millisecond) // let the listener fail
		return
	}

	// A free port: taken, then released for the child.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	out := runChild(t, "^TestMetricsAddrEnv$", "RASP_HTTPHOOK_METRICS_CHILD=serve", "RASP_METRICS_ADDR="+addr)
	if !strings.Contains(out, "--- PASS: TestMetricsAddrEnv") {
		t.Errorf("serving child did not pass:\n%s", out)
	}
	out = runChild(t, "^TestMetricsAddrEnv$", "RASP_HTTPHOOK_METRICS_CHILD=bad", "RASP_METRICS_ADDR=127.0.0.1:notaport")
	if !strings.Contains(out, "--- PASS: TestMetricsAddrEnv") || !strings.Contains(out, "rasp: RASP_METRICS_ADDR") {
		t.Errorf("bad address child:\n%s", out)
	}
}

// hit serves r with h.
func hit(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// runChild runs this test binary's tests matching run with env added, and
// returns its output; it fails the test when the child fails.
func runChild(t *testing.T, run string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("child %v: %v\n%s", env, err, out.String())
	}
	return out.String()
}
