package judge

import (
	"context"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/apihooks"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

func init() { apihooks.SetUser = setUser }

// setUser is rasp.SetUser: it names the user of the request ctx carries,
// else of the goroutine's.
func setUser(ctx context.Context, user string) bool {
	req := reqctx.CurrentRequest(ctx)
	if req == nil {
		return false
	}
	req.SetUser(user)
	return true
}

// requestSite stands for the request rules' findings: they judge a request
// before its handler runs, at no call site. Events name it "request".
var requestSite = &callsite.Site{Package: "request", Sink: "request", Family: event.FamilyRequest}

// JudgeRequest records the finding of a request rule (package gate) for
// req in the rule's mode, and reports whether the request is refused: the
// mode is block. A route exemption (allow.routes) allows it.
func JudgeRequest(req *reqctx.Request, f Finding) bool {
	return judgeRequest(req, f, -1, true, true)
}

// JudgeRequestIn is JudgeRequest in mode m instead of the rule's (a bot
// category's mode); the global mode off still turns it off.
func JudgeRequestIn(req *reqctx.Request, f Finding, m policy.Mode) bool {
	return judgeRequest(req, f, m, true, true)
}

// JudgeRequestOnce is JudgeRequest for a finding that repeats (a rate limit
// exceeded): it is counted and recorded only when first is true, and the
// request is refused each time in block mode.
func JudgeRequestOnce(req *reqctx.Request, f Finding, first bool) bool {
	return judgeRequest(req, f, -1, first, true)
}

// judgeRequest records f (when report) and, when refuse, refuses req in
// block mode; it reports whether req is refused.
func judgeRequest(req *reqctx.Request, f Finding, m policy.Mode, report, refuse bool) bool {
	global := CurrentMode()
	if global == policy.ModeOff {
		return false
	}
	p := CurrentPolicy()
	if m < 0 {
		m = p.RuleMode(f.Rule, global)
	}
	return conclude(p, requestSite, req, f, m, report, refuse) != nil
}
