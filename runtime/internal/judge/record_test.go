package judge

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/eventstest"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// testLimiter gives the test an empty rate limiter whose clock it moves:
// the clock reads *now, and the timers the limiter arms are not started but
// returned (with their delays), for the test to fire. When the test ends,
// the limiter is emptied again.
func testLimiter(t *testing.T, now *time.Time) (timers *[]func(), delays *[]time.Duration) {
	t.Helper()
	timers, delays, restore := events.FakeClock(func() time.Time { return *now })
	t.Cleanup(restore)
	return timers, delays
}

// captureEvents captures the events until the test ends; the function
// returned decodes the lines written since its last call.
func captureEvents(t *testing.T) func() []event.Event {
	t.Helper()
	rec := eventstest.Capture(t)
	return func() []event.Event {
		t.Helper()
		evs := rec.Events()
		rec.Reset()
		return evs
	}
}

// summaries returns the MsgSuppressed lines of evs.
func summaries(evs []event.Event) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Msg == event.MsgSuppressed {
			out = append(out, e)
		}
	}
	return out
}

// floodFindings records n identical sqli-tautology findings at site, at
// the limiter's clock.
func floodFindings(site *callsite.Site, n int, verdict string) {
	for i := 0; i < n; i++ {
		record(site, nil, Finding{Rule: "sqli-tautology", Value: "SELECT ? OR ?=?"}, policy.ModeDetect, verdict)
	}
}

// checkSummary checks that evs hold exactly one summary, for rule at site
// with verdict, of n events in [start, end).
func checkSummary(t *testing.T, evs []event.Event, site *callsite.Site, verdict string, n int64, start, end time.Time) {
	t.Helper()
	sums := summaries(evs)
	if len(sums) != 1 {
		t.Fatalf("%d summaries, want 1: %+v", len(sums), sums)
	}
	e := sums[0]
	if e.Rule != "sqli-tautology" || e.Site != site.String() || e.Verdict != verdict || e.Suppressed != n ||
		!e.WindowStart.Equal(start) || !e.WindowEnd.Equal(end) || e.Time.IsZero() {
		t.Errorf("summary %+v, want %d suppressed in [%v, %v)", e, n, start, end)
	}
}

func TestSuppressedSummaryOnLaterEvent(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	now := t0
	testLimiter(t, &now)
	read := captureEvents(t)
	a := &callsite.Site{Package: "example.com/app", File: "limit.go", Line: 1, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL}
	b := &callsite.Site{Package: "example.com/app", File: "limit.go", Line: 2, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL}
	floodFindings(a, events.Burst+5, "detected")
	now = t0.Add(30 * time.Second)
	floodFindings(a, 2, "detected")
	floodFindings(b, 3, "detected") // under the burst: nothing to summarise
	evs := read()
	if len(evs) != events.Burst+3 || len(summaries(evs)) != 0 {
		t.Fatalf("%d lines, %d summaries in the window, want %d and 0", len(evs), len(summaries(evs)), events.Burst+3)
	}
	for _, e := range evs {
		if e.Msg != event.MsgFinding || e.Suppressed != 0 {
			t.Fatalf("finding line %+v", e)
		}
	}
	// An event of another key after the window's end closes it.
	now = t0.Add(90 * time.Second)
	floodFindings(b, 1, "detected")
	evs = read()
	if len(evs) != 2 || evs[0].Msg != event.MsgSuppressed || evs[1].Msg != event.MsgFinding {
		t.Fatalf("lines after the window %+v, want the summary then the finding", evs)
	}
	checkSummary(t, evs, a, "detected", 7, t0, t0.Add(events.Window))
	if !strings.Contains(evs[0].Site, "limit.go:1") {
		t.Errorf("summary site %q", evs[0].Site)
	}
	// The new window suppressed nothing: neither a later event nor the
	// exit flush summarise again.
	now = t0.Add(200 * time.Second)
	floodFindings(a, 1, "detected")
	events.Flush()
	if evs := read(); len(evs) != 1 || len(summaries(evs)) != 0 {
		t.Errorf("lines %+v, want one finding", evs)
	}
}

func TestSuppressedSummaryOnWindowClose(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	now := t0
	timers, delays := testLimiter(t, &now)
	read := captureEvents(t)
	a := &callsite.Site{Package: "example.com/app", File: "limit.go", Line: 3, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL}
	b := &callsite.Site{Package: "example.com/app", File: "limit.go", Line: 4, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL}
	floodFindings(a, events.Burst, "allowlisted")
	if len(*timers) != 0 {
		t.Fatalf("a timer was armed before anything was suppressed")
	}
	now = t0.Add(15 * time.Second)
	floodFindings(a, 4, "allowlisted")
	floodFindings(b, events.Burst+1, "detected")
	if len(*timers) != 1 || (*delays)[0] != 45*time.Second {
		t.Fatalf("timers armed with delays %v, want one of 45s", *delays)
	}
	read()
	(*timers)[0]() // the window's end: no other event came
	evs := read()
	if len(evs) != 2 {
		t.Fatalf("lines %+v, want two summaries", evs)
	}
	checkSummary(t, evs[:1], a, "allowlisted", 4, t0, t0.Add(events.Window))
	checkSummary(t, evs[1:], b, "detected", 1, t0, t0.Add(events.Window))
	// Once closed, the window is summarised neither by a later event nor
	// by its timer again nor at exit.
	now = t0.Add(61 * time.Second)
	floodFindings(a, 1, "allowlisted")
	(*timers)[0]()
	events.Flush()
	if evs := read(); len(evs) != 1 || evs[0].Msg != event.MsgFinding {
		t.Errorf("lines %+v, want one finding", evs)
	}
	// The next window (the flush closed the one the finding opened) arms
	// its own timer at its first suppression.
	floodFindings(a, events.Burst+1, "allowlisted")
	if len(*timers) != 2 || (*delays)[1] != events.Window {
		t.Fatalf("timers armed with delays %v, want a second one of %v", *delays, events.Window)
	}
	(*timers)[1]()
	checkSummary(t, read(), a, "allowlisted", 1, now, now.Add(events.Window))
}

func TestSuppressedSummaryAtExit(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	now := t0
	timers, _ := testLimiter(t, &now)
	read := captureEvents(t)
	a := &callsite.Site{Package: "example.com/app", File: "limit.go", Line: 5, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL}
	floodFindings(a, events.Burst+7, "blocked")
	read()
	now = t0.Add(20 * time.Second)
	events.Flush() // the exit hook
	checkSummary(t, read(), a, "blocked", 7, t0, now)
	events.Flush()
	for _, fire := range *timers {
		fire()
	}
	if evs := read(); len(evs) != 0 {
		t.Errorf("lines after the flush %+v, want none", evs)
	}
}

// Every block is counted, whether its event line was written or left out
// by the rate limit.
func TestBlocksCountedWhenSuppressed(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	now := t0
	testLimiter(t, &now)
	read := captureEvents(t)
	old := CurrentMode()
	SetMode(policy.ModeBlock)
	defer SetMode(old)
	site := &callsite.Site{Package: "example.com/app", File: "limit.go", Line: 6, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL}
	const rule, calls = "sqli-tautology", events.Burst + 10
	findings := func() float64 {
		return MetricValue("rasp_events_total", "rule", rule, "mode", "block", "verdict", "blocked")
	}
	requests := func() float64 { return MetricValue("rasp_blocked_requests_total", "rule", rule) }
	ev0, req0 := findings(), requests()
	for i := 0; i < calls; i++ {
		req := reqctx.NewRequest("r"+strconv.Itoa(i), "GET", "/", "127.0.0.1", nil)
		err := JudgeValue(site, req, func() (Finding, bool) { return Finding{Rule: rule}, true })
		if !errors.Is(err, callsite.ErrBlocked) {
			t.Fatalf("call %d: %v, want a block", i, err)
		}
	}
	if got := findings() - ev0; got != calls {
		t.Errorf("rasp_events_total{blocked} grew by %v, want %d", got, calls)
	}
	if got := requests() - req0; got != calls {
		t.Errorf("rasp_blocked_requests_total grew by %v, want %d", got, calls)
	}
	if evs := read(); len(evs) != events.Burst {
		t.Errorf("%d lines, want %d", len(evs), events.Burst)
	}
	now = t0.Add(5 * time.Second)
	events.Flush()
	checkSummary(t, read(), site, "blocked", 10, t0, now)
}

func TestEventSchema(t *testing.T) {
	rec := eventstest.Capture(t)
	site := &callsite.Site{Package: "example.com/app", File: "a.go", Line: 3, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL}
	req := reqctx.NewRequest("id-1", "POST", "/items", "10.0.0.1", reqctx.Fixed{{Source: "json", Name: "id", Value: "1 OR 1=1"}})
	in := req.Inputs()
	record(site, req, Finding{Rule: "sqli-tautology", Value: "SELECT ? OR ?=?", Start: 7, End: 15, Input: &in[0]}, policy.ModeBlock, "blocked")
	evs := rec.Events()
	if len(evs) != 1 {
		t.Fatalf("%d lines: %s", len(evs), rec)
	}
	e := evs[0]
	if e.Rule != "sqli-tautology" || e.Verdict != "blocked" || e.Site != "example.com/app/a.go:3" || e.RequestID != "id-1" ||
		e.Input == nil || e.Input.Name != "id" || len(e.Span) != 2 || len(e.Stack) == 0 || e.Time.IsZero() {
		t.Errorf("event %+v", e)
	}
	if !strings.Contains(rec.String(), `"level":"WARN","msg":"rasp finding"`) {
		t.Errorf("not a slog line: %s", rec)
	}
}

// TestReloadUnderLoad swaps policies while goroutines judge calls: run it
// with -race. Each judgement sees one policy or the other, never a mix.
func TestReloadUnderLoad(t *testing.T) {
	eventstest.Discard(t)
	defer events.ResetLimiter()
	oldMode := CurrentMode()
	SetMode(policy.ModeDetect)
	defer SetMode(oldMode)
	old := CurrentPolicy()
	defer Restore(old)
	site := &callsite.Site{Package: "example.com/app", File: "a.go", Line: 9, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL}
	block, err := CompilePolicy(policy.Policy{Rules: map[string]string{"sqli-tautology": "block"}}, "block")
	if err != nil {
		t.Fatal(err)
	}
	allow, err := CompilePolicy(policy.Policy{Allow: policy.Allow{SQL: []policy.SQLAllow{{Site: "example.com/app/a.go:9"}}}}, "allow")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				JudgeValue(site, nil, func() (Finding, bool) { return Finding{Rule: "sqli-tautology"}, true })
			}
		}()
	}
	for i := 0; i < 200; i++ {
		if i%2 == 0 {
			PutPolicy(block)
		} else {
			PutPolicy(allow)
		}
	}
	close(stop)
	wg.Wait()
	PutPolicy(block)
	if err := JudgeValue(site, nil, func() (Finding, bool) { return Finding{Rule: "sqli-tautology"}, true }); err == nil {
		t.Errorf("the block policy did not block")
	}
	PutPolicy(allow)
	if err := JudgeValue(site, nil, func() (Finding, bool) { return Finding{Rule: "sqli-tautology"}, true }); err != nil {
		t.Errorf("the allow policy blocked: %v", err)
	}
}
