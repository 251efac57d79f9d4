package judge

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// freshProcess makes the test a process that has neither served nor
// written its "rasp active" record, with RASP_EVENTS set to eventsFile, the
// banner off, and its event lines in the buffer returned.
func freshProcess(t *testing.T, eventsFile string) *bytes.Buffer {
	t.Helper()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	testLimiter(t, &now)
	t.Setenv("RASP_EVENTS", eventsFile)
	t.Setenv("RASP_BANNER", "off")
	activeOnce, serverOnce = sync.Once{}, sync.Once{}
	oldRec := buildRecord
	buildRecord = `{"tool":"rasp-instrument","go":"go1.26"}`
	var buf bytes.Buffer
	events.SetWriter(&buf)
	t.Cleanup(func() {
		events.SetWriter(nil)
		buildRecord = oldRec
		activeOnce, serverOnce = sync.Once{}, sync.Once{}
	})
	return &buf
}

// messages returns the msg of each line of buf, and the lines.
func messages(t *testing.T, buf *bytes.Buffer) ([]string, []map[string]any) {
	t.Helper()
	var msgs []string
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		msgs = append(msgs, m["msg"].(string))
		lines = append(lines, m)
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
	buf := freshProcess(t, "/var/log/app/rasp.jsonl")
	finding("cmdi-one")
	finding("cmdi-two")
	msgs, lines := messages(t, buf)
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
	buf.Reset()
	ServerStarting()
	if buf.Len() != 0 {
		t.Errorf("a server after a finding wrote %s", buf)
	}
}

// TestActiveWhenServerStarts: a server process writes its record when its
// first server starts, once, whatever starts or is found next.
func TestActiveWhenServerStarts(t *testing.T) {
	buf := freshProcess(t, "/var/log/app/rasp.jsonl")
	ServerStarting()
	ServerStarting()
	finding("cmdi-one")
	msgs, _ := messages(t, buf)
	if want := []string{event.MsgActive, event.MsgFinding}; strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Fatalf("lines %q, want %q", msgs, want)
	}
}

// TestNoActiveWithoutEventsFile: without RASP_EVENTS, the events go to
// standard error, which gets findings only.
func TestNoActiveWithoutEventsFile(t *testing.T) {
	buf := freshProcess(t, "")
	ServerStarting()
	finding("cmdi-one")
	msgs, _ := messages(t, buf)
	if want := []string{event.MsgFinding}; strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Fatalf("lines %q, want %q", msgs, want)
	}
}
