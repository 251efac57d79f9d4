package rasp

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	limiter.Lock()
	limiter.window, limiter.seen = time.Time{}, nil // the test moves the clock
	limiter.Unlock()
	t0 := time.Now()
	key := "rule\x00site\x00" + t0.String() // fresh for each run of the test
	for i := 0; i < eventBurst; i++ {
		if ok, _ := admit(key, t0); !ok {
			t.Fatalf("event %d refused", i)
		}
	}
	for i := 0; i < 5; i++ {
		if ok, _ := admit(key, t0.Add(time.Second)); ok {
			t.Fatalf("event over the burst admitted")
		}
	}
	if ok, _ := admit("other\x00site\x00"+t0.String(), t0.Add(time.Second)); !ok {
		t.Errorf("another key was limited")
	}
	ok, suppressed := admit(key, t0.Add(61*time.Second))
	if !ok || suppressed != 5 {
		t.Errorf("next window: ok %v, suppressed %d, want 5", ok, suppressed)
	}
}

func TestFullQueueDropsAndCounts(t *testing.T) {
	events.start.Do(func() {}) // no writer goroutine: nothing drains the queue
	old := events.queue
	events.queue = make(chan []byte, 2)
	defer func() { events.queue = old }()
	before := EventsDropped()
	for i := 0; i < 5; i++ {
		if _, err := (queueWriter{}).Write([]byte("{}\n")); err != nil {
			t.Fatal(err)
		}
	}
	if got := EventsDropped() - before; got != 3 {
		t.Errorf("dropped %d, want 3", got)
	}
	if MetricValue("rasp_events_dropped_total") < 3 {
		t.Errorf("rasp_events_dropped_total = %v", MetricValue("rasp_events_dropped_total"))
	}
}

func TestEventSchema(t *testing.T) {
	var buf bytes.Buffer
	SetEventWriter(&buf)
	defer SetEventWriter(nil)
	site := &Site{Package: "example.com/app", File: "a.go", Line: 3, Sink: "database/sql.(*DB).Query", Family: FamilySQL}
	req := NewRequest("id-1", "POST", "/items", "10.0.0.1", fixedInputs{{Source: "json", Name: "id", Value: "1 OR 1=1"}})
	in := req.Inputs()
	record(site, req, Finding{Rule: "sqli-tautology", Value: "SELECT ? OR ?=?", Start: 7, End: 15, Input: &in[0]}, ModeBlock, "blocked")
	var e Event
	if err := json.Unmarshal(buf.Bytes(), &e); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	if e.Rule != "sqli-tautology" || e.Verdict != "blocked" || e.Site != "example.com/app/a.go:3" || e.RequestID != "id-1" ||
		e.Input == nil || e.Input.Name != "id" || len(e.Span) != 2 || len(e.Stack) == 0 || e.Time.IsZero() {
		t.Errorf("event %+v", e)
	}
	if !strings.Contains(buf.String(), `"level":"WARN","msg":"rasp finding"`) {
		t.Errorf("not a slog line: %s", buf.String())
	}
}

// TestReloadUnderLoad swaps policies while goroutines judge calls: run it
// with -race. Each judgement sees one policy or the other, never a mix.
func TestReloadUnderLoad(t *testing.T) {
	SetEventWriter(discard{})
	defer SetEventWriter(nil)
	oldMode := CurrentMode()
	SetMode(ModeDetect)
	defer SetMode(oldMode)
	old := CurrentPolicy()
	defer policy.Store(old)
	site := &Site{Package: "example.com/app", File: "a.go", Line: 9, Sink: "database/sql.(*DB).Query", Family: FamilySQL}
	block, err := compilePolicy(Policy{Rules: map[string]string{"sqli-tautology": "block"}}, "block")
	if err != nil {
		t.Fatal(err)
	}
	allow, err := compilePolicy(Policy{Allow: Allow{SQL: []SQLAllow{{Site: "example.com/app/a.go:9"}}}}, "allow")
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
				judge(site, nil, func() (Finding, bool) { return Finding{Rule: "sqli-tautology"}, true })
			}
		}()
	}
	for i := 0; i < 200; i++ {
		if i%2 == 0 {
			putPolicy(block)
		} else {
			putPolicy(allow)
		}
	}
	close(stop)
	wg.Wait()
	putPolicy(block)
	if err := judge(site, nil, func() (Finding, bool) { return Finding{Rule: "sqli-tautology"}, true }); err == nil {
		t.Errorf("the block policy did not block")
	}
	putPolicy(allow)
	if err := judge(site, nil, func() (Finding, bool) { return Finding{Rule: "sqli-tautology"}, true }); err != nil {
		t.Errorf("the allow policy blocked: %v", err)
	}
}

// TestStressFamiliesWhileReloading hits the SQL, command and file hooks and
// the entry points from many goroutines, inside and outside requests, while
// the policy flips between block and allowlist: run it with -race. Every
// call returns; none panics.
func TestStressFamiliesWhileReloading(t *testing.T) {
	SetEventWriter(discard{})
	defer SetEventWriter(nil)
	old := CurrentPolicy()
	defer func() { putPolicy(old) }()
	block, _ := compilePolicy(Policy{Mode: "block"}, "block")
	allow, _ := compilePolicy(Policy{Mode: "detect", Allow: Allow{Routes: []RouteAllow{{Path: "/*"}}}}, "allow")
	sqlSite := &Site{Package: "example.com/app", File: "a.go", Line: 1, Sink: "database/sql.(*DB).Query", Family: FamilySQL,
		Tmpls: []Tmpl{T(0, false, "SELECT * FROM t WHERE a = '", "'")}}
	fileSite := &Site{Package: "example.com/app", File: "a.go", Line: 2, Sink: "os.Open", Family: FamilyFile,
		Tmpls: []Tmpl{T(0, false, "/srv/", "")}}
	execSite := &Site{Package: "example.com/app", File: "a.go", Line: 3, Sink: "os/exec.Command", Family: FamilyExec,
		Tmpls: []Tmpl{T(2, false, "echo ", "")}}
	req := NewRequest("r", "GET", "/x", "127.0.0.1", fixedInputs{{Source: "query", Name: "q", Value: "x' OR '1'='1"}})
	ctx := WithRequest(context.Background(), req)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				payload := "plain"
				if i%2 == 0 {
					payload = "x' OR '1'='1"
				}
				checkSQL(ctx, sqlSite, nil, 0, "SELECT * FROM t WHERE a = '"+payload+"'")
				checkPath(fileSite, 0, "/srv/../etc/"+payload)
				checkCmd(execSite, 0, exec.Command("sh", "-c", "echo "+payload))
				entrySQL(ctx, nil, "SELECT * FROM t WHERE a = '"+payload+"'")
				entryOpen("/srv/"+payload, 0)
			}
		}(g)
	}
	for i := 0; i < 300; i++ {
		if i%2 == 0 {
			putPolicy(block)
		} else {
			putPolicy(allow)
		}
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
}
