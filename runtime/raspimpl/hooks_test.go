package raspimpl

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"strings"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/detect"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/eventstest"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

func site(family event.Family, sink string) *callsite.Site {
	return &callsite.Site{Package: "example.com/p", File: "a.go", Line: 7, Sink: sink, Family: family}
}

// withMode runs f in mode m and returns the events it made.
func withMode(t *testing.T, m policy.Mode, f func()) []event.Event {
	t.Helper()
	old := judge.CurrentMode()
	judge.SetMode(m)
	defer judge.SetMode(old)
	rec := eventstest.Capture(t)
	f()
	return rec.Events()
}

// attack is built at run time: a constant of the program is never judged
// (package literal).
var attack = strings.Clone("SELECT * FROM users WHERE name = '' OR '1'='1'")

func TestQueryRowBlocked(t *testing.T) {
	evs := withMode(t, policy.ModeBlock, func() {
		var name string
		err := DBQueryRowContext(site(event.FamilySQL, "database/sql.(*DB).QueryRowContext"), nil, context.Background(), attack).Scan(&name)
		if !errors.Is(err, rasp.ErrBlocked) {
			t.Fatalf("Scan error = %v, want rasp.ErrBlocked", err)
		}
		var be *rasp.BlockedError
		if !errors.As(err, &be) || be.Rule != "sqli-tautology" {
			t.Fatalf("error %v is not a tautology block", err)
		}
		if _, err := TxExec(site(event.FamilySQL, "database/sql.(*Tx).Exec"), nil, attack); !errors.Is(err, rasp.ErrBlocked) {
			t.Fatalf("TxExec error = %v", err)
		}
	})
	if len(evs) != 2 || evs[0].Verdict != "blocked" || evs[0].Site != "example.com/p/a.go:7" {
		t.Fatalf("events = %+v", evs)
	}
	if len(evs[0].Span) != 2 || evs[0].Span[1] <= evs[0].Span[0] {
		t.Fatalf("event has no offending span: %+v", evs[0])
	}
	if strings.Contains(evs[0].Value, "'1'") {
		t.Fatalf("event leaks literals: %q", evs[0].Value)
	}
}

func TestStaticSiteSkipped(t *testing.T) {
	s := site(event.FamilySQL, "database/sql.(*DB).Exec")
	s.Static = true
	evs := withMode(t, policy.ModeBlock, func() {
		if err := judgeDBQuery(nil, s, nil, 0, "CREATE TABLE t (a INT); INSERT INTO t VALUES (1)"); err != nil {
			t.Fatal(err)
		}
	})
	if len(evs) != 0 {
		t.Fatalf("events for a static query: %+v", evs)
	}
}

func TestCommandBlockedAtStart(t *testing.T) {
	withMode(t, policy.ModeBlock, func() {
		c := ExecCommand(site(event.FamilyExec, "os/exec.Command"), "sh", "-c", strings.Clone("echo x; id"))
		if err := CmdRun(site(event.FamilyExec, "os/exec.(*Cmd).Run"), c); !errors.Is(err, rasp.ErrBlocked) {
			t.Fatalf("Run error = %v", err)
		}
		c = ExecCommand(site(event.FamilyExec, "os/exec.Command"), "sh", "-c", strings.Clone("echo x; id"))
		if err := c.Start(); !errors.Is(err, rasp.ErrBlocked) { // started outside the hooks, too
			t.Fatalf("Start error = %v", err)
		}
		if out, err := ExecCommand(site(event.FamilyExec, "os/exec.Command"), "echo", "a;b").Output(); err != nil || string(out) != "a;b\n" {
			t.Fatalf("argv without a shell: %q, %v", out, err)
		}
	})
}

func TestDetectModeAllows(t *testing.T) {
	evs := withMode(t, policy.ModeDetect, func() {
		s := site(event.FamilyFile, "os.ReadFile")
		s.Tmpls = []Tmpl{T(0, false, "/nonexistent/", "")}
		_, err := OSReadFile(s, "/nonexistent/../etc/hostname-rasp-test")
		if errors.Is(err, rasp.ErrBlocked) {
			t.Fatal("detect mode blocked")
		}
	})
	if len(evs) != 1 || evs[0].Verdict != "detected" || evs[0].Rule != "path-traversal" {
		t.Fatalf("events = %+v", evs)
	}
}

func TestErrorShapes(t *testing.T) {
	withMode(t, policy.ModeBlock, func() {
		s := site(event.FamilyFile, "os.Open")
		s.Tmpls = []Tmpl{T(0, false, "", "")}
		_, err := OSOpen(s, "../../etc/passwd")
		var pe *fs.PathError
		if !errors.As(err, &pe) || !errors.Is(err, rasp.ErrBlocked) {
			t.Fatalf("OSOpen error = %#v", err)
		}
	})
}

// TestBlockedErrorHidesTheSite: a refusal's error text, which handlers
// send to clients, names the rule and the request and nothing of the code.
func TestBlockedErrorHidesTheSite(t *testing.T) {
	withMode(t, policy.ModeBlock, func() {
		s := site(event.FamilyFile, "os.Open")
		s.Tmpls = []Tmpl{T(0, false, "", "")}
		_, err := OSOpen(s, "../../etc/passwd")
		var be *rasp.BlockedError
		if !errors.As(err, &be) || *be.Site != *s.Public() {
			t.Fatalf("OSOpen error = %#v", err)
		}
		for _, e := range []error{err, &rasp.BlockedError{Rule: "sqli-dynamic", Site: s.Public(), RequestID: "rid-42"}} {
			msg := e.Error()
			for _, leak := range []string{"a.go", "example.com/p", ":7", "os.Open"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q tells %q", msg, leak)
				}
			}
		}
		if got := (&rasp.BlockedError{Rule: "sqli-dynamic", Site: s.Public(), RequestID: "rid-42"}).Error(); got != "rasp: blocked by rule sqli-dynamic (request rid-42)" {
			t.Errorf("error = %q", got)
		}
	})
}

type panicky struct{}

func (panicky) CheckPath(*callsite.Site, int, string, *reqctx.Request) (judge.Finding, bool) {
	panic("detector bug")
}

func TestDetectorPanicFailsOpen(t *testing.T) {
	detect.SetDetectors(detect.Detectors{File: panicky{}})
	defer detect.SetDetectors(detect.DefaultDetectors())
	before := metrics.InternalErrors()
	withMode(t, policy.ModeBlock, func() {
		if _, err := OSStat(site(event.FamilyFile, "os.Stat"), "."); err != nil {
			t.Fatalf("a panicking detector broke the call: %v", err)
		}
	})
	if metrics.InternalErrors() != before+1 {
		t.Fatal("the panic was not counted")
	}
}

// BenchmarkParameterisedQuery: a query the programmer wrote whole (the
// build marks its site static), as handler (b) of scripts/bench sends it.
func BenchmarkParameterisedQuery(b *testing.B) {
	s := site(event.FamilySQL, "database/sql.(*DB).QueryRowContext")
	s.Static = true
	db, err := sql.Open("rasp-test-static", "")
	if err != nil {
		b.Fatal(err)
	}
	q := "SELECT name FROM items WHERE id = $1"
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := judgeDBQuery(ctx, s, db, 1, q); err != nil {
			b.Fatal(err)
		}
	}
}

func init() { sql.Register("rasp-test-static", refusingDriver{}) }

// BenchmarkCheckSQLClean: a clean query read at run time (a library's,
// through a variable) at a site without a template: the context-free
// rules judge it whole.
func BenchmarkCheckSQLClean(b *testing.B) {
	s := site(event.FamilySQL, "database/sql.(*DB).Query")
	q := strings.Clone("SELECT id, name, price FROM products WHERE category = 'fruit' AND price < 10 ORDER BY name LIMIT 20")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := judgeDBQuery(nil, s, nil, 0, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckSQLConstant: the same query as a string constant of the
// program, handed through a variable: the programmer wrote all of it
// (package literal), so no rule runs.
func BenchmarkCheckSQLConstant(b *testing.B) {
	s := site(event.FamilySQL, "database/sql.(*DB).Query")
	q := "SELECT id, name, price FROM products WHERE category = 'fruit' AND price < 10 ORDER BY name LIMIT 20"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := judgeDBQuery(nil, s, nil, 0, q); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMetricsAgentActive: rasp_agent_active is 0 in mode off, else 1.
func TestMetricsAgentActive(t *testing.T) {
	old := judge.CurrentMode()
	defer judge.SetMode(old)
	judge.SetMode(policy.ModeOff)
	if got := judge.MetricValue("rasp_agent_active"); got != 0 {
		t.Errorf("agent active = %v in mode off", got)
	}
	judge.SetMode(policy.ModeBlock)
	if got := judge.MetricValue("rasp_agent_active"); got != 1 {
		t.Errorf("agent active = %v in mode block", got)
	}
}
