package raspimpl

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/detect"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// TestPathNulByteNotRefused: a NUL byte is recorded, but the call goes
// ahead and fails with the operating system's own error, in block mode
// too, and the request is not refused.
func TestPathNulByteNotRefused(t *testing.T) {
	var err error
	req := reqctx.NewRequest("r-nul", "GET", "/", "", reqctx.Fixed{{Value: "a\x00b"}})
	evs := withMode(t, policy.ModeBlock, func() {
		_, err = OSOpen(site(event.FamilyFile, "os.Open"), "a\x00b")
		s := site(event.FamilyFile, "os.ReadFile")
		s.Tmpls = []Tmpl{T(0, false, "/srv/", "")}
		if f, found := detect.DefaultDetectors().File.CheckPath(s, 0, "/srv/a\x00b", req); !found || f.Rule != pathguard.RuleNulByte {
			t.Errorf("the NUL byte was not found: %+v %v", f, found)
		}
		if e := judge.JudgePath(s, req, func() (judge.Finding, bool) {
			return detect.DefaultDetectors().File.CheckPath(s, 0, "/srv/a\x00b", req)
		}); e != nil {
			t.Errorf("JudgePath refused a NUL byte: %v", e)
		}
	})
	if err == nil || errors.Is(err, rasp.ErrBlocked) {
		t.Fatalf("OSOpen error = %v, want the OS's error", err)
	}
	if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "invalid argument") {
		t.Errorf("OSOpen error = %v, want EINVAL", err)
	}
	// One event: the call outside a request (OSOpen) reports nothing.
	if len(evs) != 1 || evs[0].Rule != pathguard.RuleNulByte || evs[0].Verdict != "blocked" {
		t.Errorf("events = %+v", evs)
	}
	if req.Blocked() != nil {
		t.Errorf("the request was refused: %v", req.Blocked())
	}
	// Other rules still refuse.
	withMode(t, policy.ModeBlock, func() {
		s := site(event.FamilyFile, "os.Open")
		s.Tmpls = []Tmpl{T(0, false, "/srv/app/uploads/", "")}
		if _, err := OSOpen(s, "/srv/app/uploads/../../../etc/passwd"); !errors.Is(err, rasp.ErrBlocked) {
			t.Errorf("a traversal was not refused: %v", err)
		}
	})
}

// BenchmarkPathTemplate is a rewritten call site with a template, clean.
func BenchmarkPathTemplate(b *testing.B) {
	s := &callsite.Site{Package: "example.com/app", File: "f.go", Line: 9, Sink: "os.Open", Family: event.FamilyFile,
		Tmpls: []Tmpl{T(0, false, "", "/uploads/", "")}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if judgeFileArg(s, 0, "/srv/app/uploads/2024/photo-1.jpg") != nil {
			b.Fatal("blocked")
		}
	}
}
