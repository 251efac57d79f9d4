package judge

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/eventstest"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// freshProcess makes the test a process that has neither served nor
// written its "rasp active" record, with RASP_EVENTS set to eventsFile, the
// banner off, and its event lines in the recorder returned.
func freshProcess(t *testing.T, eventsFile string) *eventstest.Recorder {
	t.Helper()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	testLimiter(t, &now)
	t.Setenv("RASP_EVENTS", eventsFile)
	t.Setenv("RASP_BANNER", "off")
	activeOnce, serverOnce = sync.Once{}, sync.Once{}
	oldRec := buildRecord
	buildRecord = `{"tool":"rasp-instrument","go":"go1.26"}`
	t.Cleanup(func() {
		buildRecord = oldRec
		activeOnce, serverOnce = sync.Once{}, sync.Once{}
	})
	return eventstest.Capture(t)
}

// messages returns the msg of each line rec holds, and the lines.
func messages(t *testing.T, rec *eventstest.Recorder) ([]string, []map[string]any) {
	t.Helper()
	lines := rec.Records()
	var msgs []string
	for _, m := range lines {
		msgs = append(msgs, m["msg"].(string))
	}
	return msgs, lines
}

var activeSite = &callsite.Site{Package: "example.com/cli", File: "main.go", Line: 9, Sink: "os/exec.Command", Family: event.FamilyExec}

func finding(rule string) {
	record(activeSite, nil, Finding{Rule: rule, Value: "x"}, policy.ModeDetect, "detected")
}

// TestActiveBeforeFirstFinding: a process that serves nothing writes its
// "rasp active" record just before its first finding, and only then.
func TestActiveBeforeFirstFinding(t *testing.T) {
	rec := freshProcess(t, "/var/log/app/rasp.jsonl")
	finding("cmdi-one")
	finding("cmdi-two")
	msgs, lines := messages(t, rec)
	if want := []string{event.MsgActive, event.MsgFinding, event.MsgFinding}; strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Fatalf("lines %q, want %q", msgs, want)
	}
	if b, _ := lines[0]["banner"].(string); !strings.HasPrefix(b, "active, mode ") {
		t.Errorf("banner %q", b)
	}
	if b, _ := lines[0]["build"].(map[string]any); b["tool"] != "rasp-instrument" {
		t.Errorf("build %v", lines[0]["build"])
	}
	// A server started later writes no second record.
	rec.Reset()
	ServerStarting()
	if rec.String() != "" {
		t.Errorf("a server after a finding wrote %s", rec)
	}
}

// TestActiveWhenServerStarts: a server process writes its record when its
// first server starts, once, whatever starts or is found next.
func TestActiveWhenServerStarts(t *testing.T) {
	rec := freshProcess(t, "/var/log/app/rasp.jsonl")
	ServerStarting()
	ServerStarting()
	finding("cmdi-one")
	msgs, _ := messages(t, rec)
	if want := []string{event.MsgActive, event.MsgFinding}; strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Fatalf("lines %q, want %q", msgs, want)
	}
}

// TestNoActiveWithoutEventsFile: without RASP_EVENTS, the events go to
// standard error, which gets findings only.
func TestNoActiveWithoutEventsFile(t *testing.T) {
	rec := freshProcess(t, "")
	ServerStarting()
	finding("cmdi-one")
	msgs, _ := messages(t, rec)
	if want := []string{event.MsgFinding}; strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Fatalf("lines %q, want %q", msgs, want)
	}
}
