package metrics

import (
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// Metric names.
const (
	metricAgentActive      = "rasp_agent_active"
	metricAllowEntries     = "rasp_allowlist_entries_total"
	metricAllowHits        = "rasp_allowlist_hits_total"
	metricBlockedRequests  = "rasp_blocked_requests_total"
	metricDetectionLatency = "rasp_detection_latency_seconds"
	metricEventsDropped    = "rasp_events_dropped_total"
	metricEvents           = "rasp_events_total"
	metricInternalErrors   = "rasp_internal_errors_total"
	metricPolicyReload     = "rasp_policy_reload_timestamp_seconds"
	metricMessages         = "rasp_messages_total"
)

// Verdicts, in the order of their index (sorted).
var metricVerdicts = [...]string{"allowlisted", "blocked", "detected"}

const numVerdicts = len(metricVerdicts)

// verdictIndex returns the index of verdict, or -1.
func verdictIndex(verdict string) int {
	switch verdict {
	case "allowlisted":
		return 0
	case "blocked":
		return 1
	case "detected":
		return 2
	}
	return -1
}

// numModes is the number of modes; a Mode is its own index.
const numModes = int(policy.ModeBlock) + 1

// metricModes lists the modes sorted by name, the order they are exported in.
var metricModes = [...]policy.Mode{policy.ModeBlock, policy.ModeDetect, policy.ModeOff}

// Detector groups: the rule prefix of each detector family, in the order of
// their index (sorted).
var metricGroups = [...]string{"cmdi", "path", "sqli", "ssrf"}

const numGroups = len(metricGroups)

// errorGroups are the groups of rasp_internal_errors_total written from
// the start: the detector groups, the request middleware's, the request
// gate's and the policy loader's.
var errorGroups = []string{"cmdi", "path", "sqli", "ssrf", "middleware", "request", "policy"}

// RuleGroup maps a detector family to the prefix of its rules' names: the
// rule label of the detection latency histogram and of a detector's
// internal errors. A family without detectors (server) maps to itself.
func RuleGroup(family string) string {
	if i := groupIndex(event.Family(family)); i >= 0 {
		return metricGroups[i]
	}
	return family
}

// groupIndex returns the index in metricGroups of family's group, or -1.
func groupIndex(family event.Family) int {
	switch family {
	case event.FamilyExec:
		return 0
	case event.FamilyFile:
		return 1
	case event.FamilySQL:
		return 2
	case event.FamilyNet:
		return 3
	}
	return -1
}

// latencyBounds are the upper bounds of the detection latency histogram's
// buckets, in nanoseconds; latencyLE are the same in seconds as exported.
var (
	latencyBounds = [...]int64{100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 1000000, 10000000}
	latencyLE     = [...]string{"1e-07", "2.5e-07", "5e-07", "1e-06", "2.5e-06", "5e-06", "1e-05", "2.5e-05", "0.0001", "0.001", "0.01"}
)

const numBuckets = len(latencyBounds)

// histogram is one series of the detection latency histogram. buckets[i]
// counts the observations in (bound[i-1], bound[i]], the last one those
// above every bound; they are made cumulative when exported, and the count
// is their total, so the +Inf bucket and the count always agree.
type histogram struct {
	buckets [numBuckets + 1]atomic.Uint64
	sumNS   atomic.Int64
}

// series holds the counters of one rule (or, in the internal error set, of
// one group; only errors is used there).
type series struct {
	label        string // the exported label value: the name as valid UTF-8
	events       [numModes][numVerdicts]atomic.Uint64
	blocked      atomic.Uint64
	allowHits    atomic.Uint64
	allowEntries atomic.Int64
	errors       atomic.Uint64
}

// seriesTable is one published state of a seriesSet. It is never modified.
type seriesTable struct {
	byName map[string]*series
	sorted []*series // distinct records, by label
}

// maxExtraSeries caps the names a seriesSet adds after init; any later
// name is counted under overflowLabel.
const (
	maxExtraSeries = 256
	overflowLabel  = "_other"
)

// seriesSet maps names to series records: lock-free reads, copy-on-write
// additions.
type seriesSet struct {
	mu    sync.Mutex // serializes additions and SetAllowlistEntries
	table atomic.Pointer[seriesTable]
	extra int
}

// newSeriesSet returns a set holding a record for each of names.
func newSeriesSet(names []string) *seriesSet {
	s := new(seriesSet)
	t := &seriesTable{byName: make(map[string]*series, len(names))}
	for _, n := range names {
		t = t.with(n)
	}
	s.table.Store(t)
	return s
}

// with returns t if it has name, else a copy of t with a record for name
// added (or mapped to the record of the same label).
func (t *seriesTable) with(name string) *seriesTable {
	if _, ok := t.byName[name]; ok {
		return t
	}
	label := strings.ToValidUTF8(name, "\uFFFD")
	nt := &seriesTable{byName: make(map[string]*series, len(t.byName)+1), sorted: t.sorted}
	for k, v := range t.byName {
		nt.byName[k] = v
	}
	for _, r := range t.sorted {
		if r.label == label {
			nt.byName[name] = r
			return nt
		}
	}
	r := &series{label: label}
	nt.byName[name] = r
	i := sort.Search(len(t.sorted), func(i int) bool { return t.sorted[i].label >= label })
	nt.sorted = make([]*series, 0, len(t.sorted)+1)
	nt.sorted = append(nt.sorted, t.sorted[:i]...)
	nt.sorted = append(nt.sorted, r)
	nt.sorted = append(nt.sorted, t.sorted[i:]...)
	return nt
}

// get returns name's record, adding it the first time.
func (s *seriesSet) get(name string) *series {
	if r, ok := s.table.Load().byName[name]; ok {
		return r
	}
	return s.add(name)
}

func (s *seriesSet) add(name string) *series {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLocked(name)
}

// addLocked is add for a caller holding s.mu.
func (s *seriesSet) addLocked(name string) *series {
	t := s.table.Load()
	if r, ok := t.byName[name]; ok {
		return r
	}
	if s.extra >= maxExtraSeries {
		name = overflowLabel
		if r, ok := t.byName[name]; ok {
			return r
		}
	}
	s.extra++
	t = t.with(name)
	s.table.Store(t)
	return t.byName[name]
}

// all returns the records, sorted by label.
func (s *seriesSet) all() []*series { return s.table.Load().sorted }

var metrics = struct {
	rules         *seriesSet // by rule name
	errorGroups   *seriesSet // internal errors, by group
	messages      *seriesSet // messages and invocations handled, by source kind (in errors, the series' counter)
	latency       [numGroups]histogram
	dropped       atomic.Uint64
	policyReloadN atomic.Int64 // unix nanoseconds; 0: never
}{
	rules:       newSeriesSet(policy.KnownRules()),
	errorGroups: newSeriesSet(errorGroups),
	messages:    newSeriesSet(nil),
}

// CountMessage counts a message or an invocation handled with request
// context (a Kafka record, a NATS message, a Lambda event), by the kind of
// its source.
func CountMessage(kind string) { metrics.messages.get(kind).errors.Add(1) }

// CountEvent counts a finding of rule recorded in mode m with verdict
// (blocked, detected or allowlisted; another verdict is not counted).
func CountEvent(rule string, m policy.Mode, verdict string) {
	v := verdictIndex(verdict)
	if v < 0 || m < 0 || int(m) >= numModes {
		return
	}
	metrics.rules.get(rule).events[m][v].Add(1)
}

// CountBlockedRequest counts an HTTP request answered 403 because of rule.
func CountBlockedRequest(rule string) { metrics.rules.get(rule).blocked.Add(1) }

// ObserveDetection records that a detector of family ran for d. A family
// without detectors (server) is not recorded.
func ObserveDetection(family event.Family, d time.Duration) {
	g := groupIndex(family)
	if g < 0 {
		return
	}
	ns := int64(d)
	if ns < 0 {
		ns = 0
	}
	h := &metrics.latency[g]
	b := 0
	for b < numBuckets && ns > latencyBounds[b] {
		b++
	}
	h.buckets[b].Add(1)
	h.sumNS.Add(ns)
}

// CountAllowlistHit counts a finding of rule that an allowlist let through.
func CountAllowlistHit(rule string) { metrics.rules.get(rule).allowHits.Add(1) }

// SetAllowlistEntries sets the number of allowlist entries in force for
// each rule: the rules counts names get theirs, every other rule 0.
func SetAllowlistEntries(counts map[string]int) {
	s := metrics.rules
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := make(map[*series]int64, len(counts))
	for name, n := range counts {
		sum[s.addLocked(name)] += int64(n)
	}
	for _, r := range s.table.Load().sorted {
		r.allowEntries.Store(sum[r])
	}
}

// SetPolicyReloadTime records when a policy was last loaded successfully.
func SetPolicyReloadTime(t time.Time) { metrics.policyReloadN.Store(t.UnixNano()) }

// CountInternalError counts an internal failure the runtime recovered
// from, in a detector of group (sqli, cmdi, path, ssrf: see RuleGroup), in
// the middleware or in the policy loader. An empty group counts as
// "unknown".
func CountInternalError(group string) {
	if group == "" {
		group = "unknown"
	}
	metrics.errorGroups.get(group).errors.Add(1)
}

// CountEventDropped counts an event that could not be written.
func CountEventDropped() { metrics.dropped.Add(1) }

// metricFamily is one metric as exported.
type metricFamily struct {
	name, typ, help string
	samples         []metricSample
}

// metricSample is one line of the exposition.
type metricSample struct {
	suffix string   // "" or _bucket, _sum, _count
	labels []string // name, value, name, value, ...
	value  float64
}

// internalErrors counts detector panics and other internal failures; the
// call went ahead each time (fail open).
var internalErrors atomic.Int64

// InternalErrors returns how many internal failures the runtime recovered from.
// For tests, those of other packages too (so it stays exported).
func InternalErrors() int64 { return internalErrors.Load() }

// NoteInternalError counts an internal failure in InternalErrors; the
// series of rasp_internal_errors_total are CountInternalError's.
func NoteInternalError() { internalErrors.Add(1) }

// snapshot reads every metric, families sorted by name and each family's
// series by label values (a histogram's buckets by bound, then its sum and
// count). active is the value of rasp_agent_active: the mode is not off.
func snapshot(active bool) []metricFamily {
	rules := metrics.rules.all()
	fams := make([]metricFamily, 0, 9)

	on := 0.0
	if active {
		on = 1
	}
	fams = append(fams, metricFamily{name: metricAgentActive, typ: "gauge",
		help:    "1 when the RASP runtime is linked and its mode is not off, else 0.",
		samples: []metricSample{{value: on}}})

	perRule := func(name, typ, help string, get func(*series) float64) {
		f := metricFamily{name: name, typ: typ, help: help, samples: make([]metricSample, 0, len(rules))}
		for _, r := range rules {
			f.samples = append(f.samples, metricSample{labels: []string{"rule", r.label}, value: get(r)})
		}
		fams = append(fams, f)
	}
	perRule(metricAllowEntries, "gauge", "Allowlist entries in force, by rule.",
		func(r *series) float64 { return float64(r.allowEntries.Load()) })
	perRule(metricAllowHits, "counter", "Findings an allowlist let through, by rule.",
		func(r *series) float64 { return float64(r.allowHits.Load()) })
	perRule(metricBlockedRequests, "counter", "HTTP requests answered 403 because of a rule.",
		func(r *series) float64 { return float64(r.blocked.Load()) })

	lat := metricFamily{name: metricDetectionLatency, typ: "histogram",
		help:    "Time spent in detectors, by rule group.",
		samples: make([]metricSample, 0, numGroups*(numBuckets+3))}
	for g, group := range metricGroups {
		h := &metrics.latency[g]
		var cum uint64
		for b := 0; b <= numBuckets; b++ {
			cum += h.buckets[b].Load()
			le := "+Inf"
			if b < numBuckets {
				le = latencyLE[b]
			}
			lat.samples = append(lat.samples, metricSample{suffix: "_bucket", labels: []string{"rule", group, "le", le}, value: float64(cum)})
		}
		lat.samples = append(lat.samples,
			metricSample{suffix: "_sum", labels: []string{"rule", group}, value: float64(h.sumNS.Load()) / 1e9},
			metricSample{suffix: "_count", labels: []string{"rule", group}, value: float64(cum)})
	}
	fams = append(fams, lat)

	fams = append(fams, metricFamily{name: metricEventsDropped, typ: "counter",
		help:    "Events that could not be written.",
		samples: []metricSample{{value: float64(metrics.dropped.Load())}}})

	ev := metricFamily{name: metricEvents, typ: "counter",
		help:    "Findings recorded, by rule, mode and verdict.",
		samples: make([]metricSample, 0, len(rules)*numModes*numVerdicts)}
	for _, r := range rules {
		for _, m := range metricModes {
			for v, verdict := range metricVerdicts {
				ev.samples = append(ev.samples, metricSample{
					labels: []string{"rule", r.label, "mode", m.String(), "verdict", verdict},
					value:  float64(r.events[m][v].Load())})
			}
		}
	}
	fams = append(fams, ev)

	groups := metrics.errorGroups.all()
	ie := metricFamily{name: metricInternalErrors, typ: "counter",
		help:    "Internal failures the runtime recovered from (the call went ahead), by rule group or middleware.",
		samples: make([]metricSample, 0, len(groups))}
	for _, r := range groups {
		ie.samples = append(ie.samples, metricSample{labels: []string{"rule", r.label}, value: float64(r.errors.Load())})
	}
	fams = append(fams, ie)

	kinds := metrics.messages.all()
	mf := metricFamily{name: metricMessages, typ: "counter",
		help:    "Messages and invocations handled with request context (not HTTP, not gRPC), by source kind.",
		samples: make([]metricSample, 0, len(kinds))}
	for _, r := range kinds {
		mf.samples = append(mf.samples, metricSample{labels: []string{"source", r.label}, value: float64(r.errors.Load())})
	}
	fams = append(fams, mf)

	reload := 0.0
	if n := metrics.policyReloadN.Load(); n != 0 {
		reload = float64(n) / 1e9
	}
	fams = append(fams, metricFamily{name: metricPolicyReload, typ: "gauge",
		help:    "Unix time of the last successful policy load (0: none).",
		samples: []metricSample{{value: reload}}})
	return fams
}

// Write writes every metric of the runtime to w in the Prometheus
// text exposition format, version 0.0.4: metrics sorted by name, each with
// its HELP and TYPE lines, and its series sorted by label values. Every
// series of a known rule, mode, verdict and rule group is written from the
// start, with value 0. active is rasp_agent_active: the mode is not off.
func Write(w io.Writer, active bool) error {
	fams := snapshot(active)
	buf := make([]byte, 0, 64<<10)
	for _, f := range fams {
		buf = append(buf, "# HELP "...)
		buf = append(buf, f.name...)
		buf = append(buf, ' ')
		buf = appendEscaped(buf, f.help, false)
		buf = append(buf, "\n# TYPE "...)
		buf = append(buf, f.name...)
		buf = append(buf, ' ')
		buf = append(buf, f.typ...)
		buf = append(buf, '\n')
		for _, s := range f.samples {
			buf = append(buf, f.name...)
			buf = append(buf, s.suffix...)
			if len(s.labels) > 0 {
				buf = append(buf, '{')
				for i := 0; i+1 < len(s.labels); i += 2 {
					if i > 0 {
						buf = append(buf, ',')
					}
					buf = append(buf, s.labels[i]...)
					buf = append(buf, `="`...)
					buf = appendEscaped(buf, s.labels[i+1], true)
					buf = append(buf, '"')
				}
				buf = append(buf, '}')
			}
			buf = append(buf, ' ')
			buf = appendValue(buf, s.value)
			buf = append(buf, '\n')
		}
	}
	_, err := w.Write(buf)
	return err
}

// appendEscaped appends s escaped as the text format wants: backslash and
// newline everywhere, and the double quote in a label value.
func appendEscaped(buf []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			buf = append(buf, `\\`...)
		case c == '\n':
			buf = append(buf, `\n`...)
		case c == '"' && quote:
			buf = append(buf, `\"`...)
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// appendValue appends v as the text format writes floats.
func appendValue(buf []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(buf, "+Inf"...)
	case math.IsInf(v, -1):
		return append(buf, "-Inf"...)
	case math.IsNaN(v):
		return append(buf, "NaN"...)
	}
	return strconv.AppendFloat(buf, v, 'g', -1, 64)
}

// Value returns the value of the runtime's metric name: the sum of
// every series of that name whose labels include the given ones, passed
// as alternating names and values ("rule", "sqli-union", "mode", "block");
// with none, the sum of all its series. For the histogram, name is
// rasp_detection_latency_seconds_count, _sum or _bucket (with an "le"
// label written as Write writes it, e.g. "1e-06" or "+Inf"). It
// returns 0 when no series matches, and NaN for an odd number of labels.
// It is meant for tests and diagnostics, not for the hot path. active is
// rasp_agent_active, as for Write.
func Value(active bool, name string, labels ...string) float64 {
	if len(labels)%2 != 0 {
		return math.NaN()
	}
	want := make([]string, len(labels))
	for i, l := range labels {
		want[i] = strings.ToValidUTF8(l, "\uFFFD")
	}
	total := 0.0
	for _, f := range snapshot(active) {
		if !strings.HasPrefix(name, f.name) {
			continue
		}
		for _, s := range f.samples {
			if f.name+s.suffix == name && hasLabels(s.labels, want) {
				total += s.value
			}
		}
	}
	return total
}

// hasLabels reports whether have contains every name-value pair of want.
func hasLabels(have, want []string) bool {
	for i := 0; i+1 < len(want); i += 2 {
		found := false
		for j := 0; j+1 < len(have); j += 2 {
			if have[j] == want[i] && have[j+1] == want[i+1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
