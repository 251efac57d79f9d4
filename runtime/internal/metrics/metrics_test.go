package metrics

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// metricLines returns Write' output as a map from series (name and
// labels as written) to value, and the HELP and TYPE lines.
func metricLines(t *testing.T) (series map[string]string, comments []string) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, true); err != nil {
		t.Fatal(err)
	}
	series = make(map[string]string)
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			comments = append(comments, line)
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("bad line %q", line)
		}
		if _, dup := series[line[:i]]; dup {
			t.Errorf("series %s written twice", line[:i])
		}
		series[line[:i]] = line[i+1:]
	}
	return series, comments
}

var allMetricNames = []struct{ name, typ string }{
	{"rasp_agent_active", "gauge"},
	{"rasp_allowlist_entries_total", "gauge"},
	{"rasp_allowlist_hits_total", "counter"},
	{"rasp_blocked_requests_total", "counter"},
	{"rasp_detection_latency_seconds", "histogram"},
	{"rasp_events_dropped_total", "counter"},
	{"rasp_events_total", "counter"},
	{"rasp_internal_errors_total", "counter"},
	{"rasp_messages_total", "counter"},
	{"rasp_policy_reload_timestamp_seconds", "gauge"},
}

// expectedSeries lists every series Write must write from the start.
func expectedSeries() []string {
	var out []string
	out = append(out, "rasp_agent_active", "rasp_events_dropped_total", "rasp_policy_reload_timestamp_seconds")
	for _, r := range policy.KnownRules() {
		for _, m := range []string{"off", "detect", "block"} {
			for _, v := range []string{"blocked", "detected", "allowlisted"} {
				out = append(out, fmt.Sprintf(`rasp_events_total{rule=%q,mode=%q,verdict=%q}`, r, m, v))
			}
		}
		for _, n := range []string{"rasp_blocked_requests_total", "rasp_allowlist_hits_total", "rasp_allowlist_entries_total"} {
			out = append(out, fmt.Sprintf(`%s{rule=%q}`, n, r))
		}
	}
	for _, g := range []string{"sqli", "cmdi", "path", "ssrf"} {
		for _, le := range []string{"1e-07", "2.5e-07", "5e-07", "1e-06", "2.5e-06", "5e-06", "1e-05", "2.5e-05", "0.0001", "0.001", "0.01", "+Inf"} {
			out = append(out, fmt.Sprintf(`rasp_detection_latency_seconds_bucket{rule=%q,le=%q}`, g, le))
		}
		out = append(out, fmt.Sprintf(`rasp_detection_latency_seconds_sum{rule=%q}`, g))
		out = append(out, fmt.Sprintf(`rasp_detection_latency_seconds_count{rule=%q}`, g))
		out = append(out, fmt.Sprintf(`rasp_internal_errors_total{rule=%q}`, g))
	}
	out = append(out, `rasp_internal_errors_total{rule="middleware"}`, `rasp_internal_errors_total{rule="request"}`, `rasp_internal_errors_total{rule="policy"}`)
	return out
}

// TestMetricsFreshProcess checks, in a new process where nothing has been
// counted yet, that every series is written with value 0.
func TestMetricsFreshProcess(t *testing.T) {
	if os.Getenv("RASP_METRICS_TEST_CHILD") == "1" {
		series, _ := metricLines(t)
		for _, s := range expectedSeries() {
			v, ok := series[s]
			if !ok {
				t.Errorf("series %s missing", s)
				continue
			}
			if s == "rasp_agent_active" {
				if v != "1" {
					t.Errorf("%s = %s in detect mode, want 1", s, v)
				}
			} else if v != "0" {
				t.Errorf("%s = %s at start, want 0", s, v)
			}
		}
		if want := len(expectedSeries()); len(series) != want {
			t.Errorf("%d series written, want %d", len(series), want)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMetricsFreshProcess$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "RASP_METRICS_TEST_CHILD=1", "RASP_MODE=detect", "RASP_POLICY=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: TestMetricsFreshProcess")) {
		t.Fatalf("child ran no test:\n%s", out)
	}
}

func TestMetricsEverySeriesPresent(t *testing.T) {
	series, comments := metricLines(t)
	for _, s := range expectedSeries() {
		if _, ok := series[s]; !ok {
			t.Errorf("series %s missing", s)
		}
	}
	for _, m := range allMetricNames {
		for _, c := range []string{"# HELP " + m.name + " ", "# TYPE " + m.name + " " + m.typ} {
			found := false
			for _, line := range comments {
				if strings.HasPrefix(line, c) && (strings.HasPrefix(c, "# HELP") || line == c) {
					found = true
				}
			}
			if !found {
				t.Errorf("no %q line", c)
			}
		}
	}
	if len(comments) != 2*len(allMetricNames) {
		t.Errorf("%d comment lines, want %d", len(comments), 2*len(allMetricNames))
	}
}

func TestMetricsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := Write(&a, true); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, true); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Error("two expositions without counting in between differ")
	}
	// Series of one metric are sorted by rule.
	var last string
	for _, line := range strings.Split(a.String(), "\n") {
		if strings.HasPrefix(line, `rasp_blocked_requests_total{rule="`) {
			if line < last {
				t.Errorf("%q after %q", line, last)
			}
			last = line
		}
	}
}

func TestMetricsCounting(t *testing.T) {
	rule := policy.KnownRules()[0]
	ev := func() float64 {
		return metricValue("rasp_events_total", "rule", rule, "mode", "block", "verdict", "blocked")
	}
	before := ev()
	beforeAll := metricValue("rasp_events_total", "rule", rule)
	CountEvent(rule, policy.ModeBlock, "blocked")
	CountEvent(rule, policy.ModeBlock, "blocked")
	CountEvent(rule, policy.ModeDetect, "detected")
	CountEvent(rule, policy.ModeDetect, "no-such-verdict")
	CountEvent(rule, policy.Mode(7), "detected")
	if got := ev() - before; got != 2 {
		t.Errorf("events{block,blocked} grew by %v, want 2", got)
	}
	if got := metricValue("rasp_events_total", "rule", rule) - beforeAll; got != 3 {
		t.Errorf("events{rule} grew by %v, want 3", got)
	}

	delta := func(name string, f func(), labels ...string) float64 {
		b := metricValue(name, labels...)
		f()
		return metricValue(name, labels...) - b
	}
	if d := delta("rasp_blocked_requests_total", func() { CountBlockedRequest(rule) }, "rule", rule); d != 1 {
		t.Errorf("blocked requests grew by %v", d)
	}
	if d := delta("rasp_allowlist_hits_total", func() { CountAllowlistHit(rule); CountAllowlistHit(rule) }, "rule", rule); d != 2 {
		t.Errorf("allowlist hits grew by %v", d)
	}
	if d := delta("rasp_internal_errors_total", func() { CountInternalError("middleware") }, "rule", "middleware"); d != 1 {
		t.Errorf("middleware errors grew by %v", d)
	}
	if d := delta("rasp_internal_errors_total", func() { CountInternalError("sqli") }, "rule", "sqli"); d != 1 {
		t.Errorf("sqli errors grew by %v", d)
	}
	if d := delta("rasp_internal_errors_total", func() { CountInternalError("") }, "rule", "unknown"); d != 1 {
		t.Errorf("unknown group's errors grew by %v", d)
	}
	if d := delta("rasp_events_dropped_total", CountEventDropped); d != 1 {
		t.Errorf("dropped grew by %v", d)
	}

	// An unknown rule is exported under its name from its first count.
	if d := delta("rasp_events_total", func() { CountEvent("test-new-rule", policy.ModeDetect, "allowlisted") },
		"rule", "test-new-rule", "mode", "detect", "verdict", "allowlisted"); d != 1 {
		t.Errorf("new rule's events grew by %v", d)
	}
	series, _ := metricLines(t)
	if v := series[`rasp_events_total{rule="test-new-rule",mode="off",verdict="blocked"}`]; v != "0" {
		t.Errorf("new rule's other series = %q, want 0", v)
	}
	if v := series[`rasp_blocked_requests_total{rule="test-new-rule"}`]; v != "0" {
		t.Errorf("new rule's blocked requests = %q, want 0", v)
	}

	reload0 := metrics.policyReloadN.Load()
	t.Cleanup(func() { metrics.policyReloadN.Store(reload0) })
	when := time.Unix(1700000000, 500000000)
	SetPolicyReloadTime(when)
	if got := metricValue("rasp_policy_reload_timestamp_seconds"); got != 1700000000.5 {
		t.Errorf("reload time = %v", got)
	}

	if got := Value(false, "rasp_agent_active"); got != 0 {
		t.Errorf("agent active = %v when inactive", got)
	}
	if got := Value(true, "rasp_agent_active"); got != 1 {
		t.Errorf("agent active = %v when active", got)
	}

	if got := metricValue("rasp_events_total", "rule"); !math.IsNaN(got) {
		t.Errorf("odd labels gave %v, want NaN", got)
	}
	if got := metricValue("rasp_no_such_metric"); got != 0 {
		t.Errorf("unknown metric gave %v, want 0", got)
	}
}

// keepAllowlistEntries restores, when t ends, the allowlist entry counts in
// force now (from the policy another test may have set).
func keepAllowlistEntries(t *testing.T) {
	counts := map[string]int{}
	seen := map[*series]bool{}
	for name, r := range metrics.rules.table.Load().byName {
		if n := r.allowEntries.Load(); n != 0 && !seen[r] {
			seen[r] = true
			counts[name] = int(n)
		}
	}
	t.Cleanup(func() { SetAllowlistEntries(counts) })
}

func TestSetAllowlistEntries(t *testing.T) {
	keepAllowlistEntries(t)
	rules := policy.KnownRules()
	SetAllowlistEntries(map[string]int{rules[0]: 3, "test-allow-new": 2})
	if got := metricValue("rasp_allowlist_entries_total", "rule", rules[0]); got != 3 {
		t.Errorf("%s entries = %v, want 3", rules[0], got)
	}
	if got := metricValue("rasp_allowlist_entries_total", "rule", "test-allow-new"); got != 2 {
		t.Errorf("new rule's entries = %v, want 2", got)
	}
	if got := metricValue("rasp_allowlist_entries_total"); got != 5 {
		t.Errorf("all entries = %v, want 5", got)
	}
	SetAllowlistEntries(map[string]int{rules[1]: 1})
	for rule, want := range map[string]float64{rules[0]: 0, "test-allow-new": 0, rules[1]: 1} {
		if got := metricValue("rasp_allowlist_entries_total", "rule", rule); got != want {
			t.Errorf("after replacing, %s entries = %v, want %v", rule, got, want)
		}
	}
}

func TestRuleGroup(t *testing.T) {
	for fam, want := range map[string]string{"sql": "sqli", "exec": "cmdi", "file": "path", "net": "ssrf", "server": "server", "": ""} {
		if got := RuleGroup(fam); got != want {
			t.Errorf("RuleGroup(%q) = %q, want %q", fam, got, want)
		}
	}
	// Every rule of a detector belongs to one of the groups; the request
	// rules and the egress allowlist are not detectors (no latency).
	for _, r := range policy.KnownRules() {
		if r == policy.RuleEgressUnlisted || slices.Contains(policy.RulesByFamily()[len(event.SinkFamilies)].Rules, r) {
			continue
		}
		ok := false
		for _, g := range metricGroups {
			ok = ok || strings.HasPrefix(r, g+"-")
		}
		if !ok {
			t.Errorf("rule %s is in no group", r)
		}
	}
}

func TestObserveDetection(t *testing.T) {
	bucket := func(le string) float64 {
		return metricValue("rasp_detection_latency_seconds_bucket", "rule", "path", "le", le)
	}
	les := []string{"1e-07", "2.5e-07", "5e-07", "1e-06", "2.5e-06", "5e-06", "1e-05", "2.5e-05", "0.0001", "0.001", "0.01", "+Inf"}
	before := make(map[string]float64)
	for _, le := range les {
		before[le] = bucket(le)
	}
	count0 := metricValue("rasp_detection_latency_seconds_count", "rule", "path")
	sum0 := metricValue("rasp_detection_latency_seconds_sum", "rule", "path")
	sqli0 := metricValue("rasp_detection_latency_seconds_count", "rule", "sqli")

	ObserveDetection(event.FamilyFile, 100*time.Nanosecond) // on a bound: in its bucket
	ObserveDetection(event.FamilyFile, 101*time.Nanosecond)
	ObserveDetection(event.FamilyFile, 3*time.Microsecond)
	ObserveDetection(event.FamilyFile, time.Second) // above every bound
	ObserveDetection(event.FamilyFile, -5)          // clock went back: 0
	ObserveDetection(event.FamilyServer, time.Millisecond)

	want := map[string]float64{ // cumulative growth
		"1e-07": 2, "2.5e-07": 3, "5e-07": 3, "1e-06": 3, "2.5e-06": 3, "5e-06": 4,
		"1e-05": 4, "2.5e-05": 4, "0.0001": 4, "0.001": 4, "0.01": 4, "+Inf": 5,
	}
	for _, le := range les {
		if got := bucket(le) - before[le]; got != want[le] {
			t.Errorf("bucket le=%s grew by %v, want %v", le, got, want[le])
		}
	}
	if got := metricValue("rasp_detection_latency_seconds_count", "rule", "path") - count0; got != 5 {
		t.Errorf("count grew by %v, want 5", got)
	}
	wantSum := (100 + 101 + 3000 + 1e9) / 1e9
	if got := metricValue("rasp_detection_latency_seconds_sum", "rule", "path") - sum0; math.Abs(got-wantSum) > 1e-9 {
		t.Errorf("sum grew by %v, want %v", got, wantSum)
	}
	if got := metricValue("rasp_detection_latency_seconds_count", "rule", "sqli") - sqli0; got != 0 {
		t.Errorf("sqli count grew by %v, want 0", got)
	}
}

func TestMetricsLabelEscaping(t *testing.T) {
	odd := "test-odd\"quote\\back\nline"
	blocked0 := metricValue("rasp_blocked_requests_total", "rule", odd)
	hits0 := metricValue("rasp_allowlist_hits_total", "rule", "test-bad\xff")
	CountEvent(odd, policy.ModeDetect, "detected")
	CountBlockedRequest(odd)
	// Two names that are the same once made valid UTF-8 share one series.
	CountAllowlistHit("test-bad\xff")
	CountAllowlistHit("test-bad\xfe")

	var buf bytes.Buffer
	if err := Write(&buf, true); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	esc := `test-odd\"quote\\back\nline`
	for _, want := range []string{
		`rasp_events_total{rule="` + esc + `",mode="detect",verdict="detected"} `,
		`rasp_blocked_requests_total{rule="` + esc + `"} `,
		"rasp_allowlist_hits_total{rule=\"test-bad\uFFFD\"} ",
	} {
		if strings.Count(out, want) != 1 {
			t.Errorf("output has %d lines with %q, want 1", strings.Count(out, want), want)
		}
	}
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" || !utf8.ValidString(line) {
			t.Errorf("line %d is bad: %q", i+1, line)
		}
	}
	if got := metricValue("rasp_blocked_requests_total", "rule", odd) - blocked0; got != 1 {
		t.Errorf("Value by the raw odd name grew by %v, want 1", got)
	}
	if got := metricValue("rasp_allowlist_hits_total", "rule", "test-bad\xff") - hits0; got != 2 {
		t.Errorf("Value by the invalid name grew by %v, want 2", got)
	}
}

func TestSeriesSetCap(t *testing.T) {
	s := newSeriesSet([]string{"a", "b"})
	for i := 0; i < maxExtraSeries+50; i++ {
		s.get(fmt.Sprintf("x%03d", i)).errors.Add(1)
	}
	all := s.all()
	if len(all) != 2+maxExtraSeries+1 {
		t.Fatalf("%d records, want %d", len(all), 2+maxExtraSeries+1)
	}
	var over *series
	for i, r := range all {
		if i > 0 && all[i-1].label >= r.label {
			t.Errorf("records not sorted: %q before %q", all[i-1].label, r.label)
		}
		if r.label == overflowLabel {
			over = r
		}
	}
	if over == nil || over.errors.Load() != 50 {
		t.Errorf("overflow record %+v, want 50 errors", over)
	}
	if r := s.get("a"); r.label != "a" || r.errors.Load() != 0 {
		t.Errorf("known name a gives %+v", r)
	}
}

func TestMetricsConcurrent(t *testing.T) {
	keepAllowlistEntries(t)
	rules := policy.KnownRules()
	const workers, n = 8, 500
	before := make(map[string]float64)
	for _, r := range rules {
		before[r] = metricValue("rasp_events_total", "rule", r, "mode", "detect", "verdict", "detected")
	}
	conc0 := 0.0
	for i := 0; i < 7; i++ {
		conc0 += metricValue("rasp_events_total", "rule", fmt.Sprintf("test-conc-%d", i), "mode", "block", "verdict", "blocked")
	}
	lat0 := metricValue("rasp_detection_latency_seconds_count", "rule", "sqli")
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < n; i++ {
				CountEvent(rules[i%len(rules)], policy.ModeDetect, "detected")
				CountEvent(fmt.Sprintf("test-conc-%d", i%7), policy.ModeBlock, "blocked")
				ObserveDetection(event.FamilySQL, time.Duration(i)*time.Nanosecond)
				CountAllowlistHit(rules[w%len(rules)])
				if i%100 == 0 {
					SetAllowlistEntries(map[string]int{rules[w%len(rules)]: i})
					if err := Write(io.Discard, true); err != nil {
						t.Error(err)
					}
				}
			}
		}(w)
	}
	wg.Wait()
	var total float64
	for _, r := range rules {
		total += metricValue("rasp_events_total", "rule", r, "mode", "detect", "verdict", "detected") - before[r]
	}
	if total != workers*n {
		t.Errorf("known rules' events grew by %v, want %d", total, workers*n)
	}
	conc := -conc0
	for i := 0; i < 7; i++ {
		conc += metricValue("rasp_events_total", "rule", fmt.Sprintf("test-conc-%d", i), "mode", "block", "verdict", "blocked")
	}
	if conc != workers*n {
		t.Errorf("new rules' events grew by %v, want %d", conc, workers*n)
	}
	if got := metricValue("rasp_detection_latency_seconds_count", "rule", "sqli") - lat0; got != workers*n {
		t.Errorf("sqli latency count grew by %v, want %d", got, workers*n)
	}
}

func TestMetricsHotPathAllocs(t *testing.T) {
	rule := policy.KnownRules()[0]
	if a := testing.AllocsPerRun(1000, func() { CountEvent(rule, policy.ModeBlock, "blocked") }); a != 0 {
		t.Errorf("CountEvent: %v allocs", a)
	}
	if a := testing.AllocsPerRun(1000, func() { ObserveDetection(event.FamilySQL, 1234) }); a != 0 {
		t.Errorf("ObserveDetection: %v allocs", a)
	}
	if a := testing.AllocsPerRun(1000, func() { CountBlockedRequest(rule); CountAllowlistHit(rule); CountInternalError("sqli") }); a != 0 {
		t.Errorf("other counters: %v allocs", a)
	}
}

func BenchmarkCountEvent(b *testing.B) {
	rule := policy.KnownRules()[0]
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		CountEvent(rule, policy.ModeDetect, "detected")
	}
}

func BenchmarkObserveDetection(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ObserveDetection(event.FamilySQL, time.Duration(i&4095)*time.Nanosecond)
	}
}

// metricValue is Value for a runtime whose mode is not off.
func metricValue(name string, labels ...string) float64 { return Value(true, name, labels...) }
