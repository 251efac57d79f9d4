package httphook

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/detect"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// Fault injection: whatever breaks inside the runtime, the request
// completes as if there were no RASP, and rasp_internal_errors_total says so.

type panickyPath struct{}

func (panickyPath) CheckPath(*callsite.Site, int, string, *reqctx.Request) (judge.Finding, bool) {
	panic("detector bug")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestFaultsFailOpen(t *testing.T) {
	inMode(t, policy.ModeBlock)
	dir := t.TempDir()
	file := filepath.Join(dir, "doc.txt")
	os.WriteFile(file, []byte("the document"), 0o644)
	site := &callsite.Site{Package: "example.com/app", File: "a.go", Line: 1, Sink: "os.ReadFile", Family: event.FamilyFile,
		Tmpls: []taint.Tmpl{taint.T(0, false, dir+"/", "")}}
	// The handler calls the file detector as the os.ReadFile hook does, with
	// the request from the context (a plain build has no goroutine field).
	det := detect.DefaultDetectors().File
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := dir + "/" + r.URL.Query().Get("name")
		req := reqctx.CurrentRequest(r.Context())
		err := judge.JudgeCall(site, req, func() (judge.Finding, bool) { return det.CheckPath(site, 0, p, req) })
		var data []byte
		if err == nil {
			data, err = os.ReadFile(p)
		}
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Write(data)
	}))

	// A detector that panics: the call goes ahead, the error is counted.
	before := judge.MetricValue("rasp_internal_errors_total", "rule", "path")
	det = panickyPath{}
	w := serve(h, httptest.NewRequest("GET", "/?name=doc.txt", nil))
	det = detect.DefaultDetectors().File
	if w.Code != 200 || w.Body.String() != "the document" {
		t.Fatalf("a panicking detector broke the request: %d %q", w.Code, w.Body)
	}
	if got := judge.MetricValue("rasp_internal_errors_total", "rule", "path"); got != before+1 {
		t.Errorf("rasp_internal_errors_total{rule=path} = %v, want %v", got, before+1)
	}

	// An event destination that fails: the block still happens, the
	// request still gets its answer.
	events.SetWriter(failingWriter{})
	failed := events.Failed()
	w = serve(h, httptest.NewRequest("GET", "/?name=../../../../etc/passwd", nil))
	if w.Code != 403 {
		t.Errorf("with a failing event writer: status %d %q", w.Code, w.Body)
	}
	if events.Failed() != failed+1 {
		t.Errorf("the failed event was not counted")
	}

	// Inputs that cannot be read: the request goes on.
	r := httptest.NewRequest("POST", "/?name=doc.txt", io.NopCloser(errReader{err: errors.New("connection reset")}))
	r.Header.Set("Content-Type", "application/json")
	if w := serve(h, r); w.Code != 200 {
		t.Errorf("an unreadable body broke the request: %d %q", w.Code, w.Body)
	}
}

func TestPolicyFileDisappears(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "policy.json")
	os.WriteFile(name, []byte(`{"mode":"block","rules":{"path-traversal":"detect"}}`), 0o644)
	t.Setenv("RASP_POLICY", name)
	if err := rasp.ReloadPolicy(); err != nil {
		t.Fatal(err)
	}
	os.Remove(name)
	before := judge.MetricValue("rasp_internal_errors_total", "rule", "policy")
	err := rasp.ReloadPolicy()
	if err == nil || !strings.Contains(err.Error(), "policy.json") {
		t.Fatalf("reload of a missing file: %v", err)
	}
	if p := judge.CurrentPolicy(); p.Source != name || p.RuleMode("path-traversal", policy.ModeBlock) != policy.ModeDetect {
		t.Errorf("the policy in force was lost: %+v", p)
	}
	if judge.MetricValue("rasp_internal_errors_total", "rule", "policy") != before+1 {
		t.Errorf("the failed reload was not counted")
	}
	judge.SetPolicy(policy.Policy{}, "")
}
