package judge

import (
	"io"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// Finding is what a detector reports about one call.
type Finding struct {
	Rule   string // stable rule name, e.g. "sqli-tautology"
	Detail string // short human explanation; never raw user data
	Value  string // the redacted sink value (query with literals as ?, path, address)
	// Dialect is the SQL dialect that judged a query (postgres, mysql,
	// sqlite, sqlserver, or generic when the driver could not be told).
	Dialect string
	// Start and End delimit the offending part of the raw value, when the
	// detector can tell (End > Start).
	Start, End int
	// Input is the request input that made the offending part, when the
	// detector found it by correlating the request's inputs.
	Input *taint.Input
}

// JudgeCall runs detect on a value that the call through site, made for req
// (nil: outside any request), passed itself, and returns the hook's
// decision: nil to let the call go ahead, or a *BlockedError in block mode.
// A site whose values were all constants is not judged. It records the
// event, and never panics: a panicking detector is recovered, counted and
// logged, and the call goes ahead. Hook packages of other families call it.
func JudgeCall(site *callsite.Site, req *reqctx.Request, detect func() (Finding, bool)) (err error) {
	if site.Static {
		return nil
	}
	return JudgeValue(site, req, detect)
}

// JudgeValue is JudgeCall for a value the call site did not pass itself but
// led to (the address a redirect or a resolver chose, the query an entry
// point received): the site's being all static does not exempt it.
func JudgeValue(site *callsite.Site, req *reqctx.Request, detect func() (Finding, bool)) (err error) {
	m := CurrentMode()
	if m == policy.ModeOff {
		return nil // the kill switch: nothing is checked, whatever the rules say
	}
	defer func() {
		if r := recover(); r != nil {
			metrics.NoteInternalError()
			metrics.CountInternalError(metrics.RuleGroup(string(site.Family)))
			events.Logf("internal error in %s detector at %s: %v (call allowed)", site.Family, site, r)
			err = nil
		}
	}()
	start := time.Now()
	f, found := detect()
	metrics.ObserveDetection(site.Family, time.Since(start))
	if !found {
		return nil
	}
	p := CurrentPolicy()
	if be := conclude(p, site, req, f, p.RuleMode(f.Rule, m), true, true); be != nil {
		return be
	}
	return nil
}

// conclude applies a finding f of site for req (nil: none) in mode m: off
// does nothing; an allowlist entry or route exemption allows it; block
// refuses the call when refuse is set, and marks the request refused.
// It counts and records the finding when report is set, and returns the
// refusal, or nil.
func conclude(p *policy.Compiled, site *callsite.Site, req *reqctx.Request, f Finding, m policy.Mode, report, refuse bool) *callsite.BlockedError {
	if m == policy.ModeOff {
		return nil
	}
	if allowlisted(p, site, f, req) {
		if report {
			metrics.CountAllowlistHit(f.Rule)
			record(site, req, f, m, "allowlisted")
		}
		return nil
	}
	verdict := "detected" // a finding that refuses nothing is detected, whatever the mode
	var be *callsite.BlockedError
	if refuse && m == policy.ModeBlock {
		verdict = "blocked"
		be = &callsite.BlockedError{Rule: f.Rule, Site: site.Public()}
		if req != nil {
			be.RequestID = req.RequestID()
			if req.NoteBlocked(be) {
				metrics.CountBlockedRequest(f.Rule)
			}
		}
	}
	if report {
		record(site, req, f, m, verdict)
	}
	return be
}

// JudgePath is JudgeCall for a path. A path-nul-byte finding is recorded with
// the verdict its mode gives (blocked, detected or allowlisted), but the
// call goes ahead and the request is not refused: the operating system
// refuses a path holding a NUL byte by itself (the os package returns
// EINVAL, "invalid argument", before any system call), so the caller sees
// the error it would see without the runtime.
func JudgePath(site *callsite.Site, req *reqctx.Request, detect func() (Finding, bool)) error {
	var nul Finding
	nulFound := false
	err := JudgeCall(site, req, func() (Finding, bool) {
		f, found := detect()
		if found && f.Rule == pathguard.RuleNulByte {
			nul, nulFound = f, true
			return Finding{}, false
		}
		return f, found
	})
	if nulFound {
		recordUnrefused(site, req, nul)
	}
	return err
}

// recordUnrefused records finding f as JudgeValue would, without refusing the
// call or marking the request as blocked.
func recordUnrefused(site *callsite.Site, req *reqctx.Request, f Finding) {
	m := CurrentMode()
	if m == policy.ModeOff {
		return
	}
	p := CurrentPolicy()
	m = p.RuleMode(f.Rule, m)
	if m == policy.ModeOff {
		return
	}
	if allowlisted(p, site, f, req) {
		metrics.CountAllowlistHit(f.Rule)
		record(site, req, f, m, "allowlisted")
		return
	}
	verdict := "detected"
	if m == policy.ModeBlock {
		verdict = "blocked"
	}
	record(site, req, f, m, verdict)
}

// WriteMetrics writes every metric of the runtime to w (see metrics.Write),
// rasp_agent_active telling whether the mode in force is not off.
func WriteMetrics(w io.Writer) error { return metrics.Write(w, CurrentMode() != policy.ModeOff) }

// MetricValue returns the value of the runtime's metric name (see
// metrics.Value).
// For tests, those of other packages too (so it stays exported).
func MetricValue(name string, labels ...string) float64 {
	return metrics.Value(CurrentMode() != policy.ModeOff, name, labels...)
}
