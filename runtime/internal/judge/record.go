package judge

import (
	"log/slog"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// record counts a finding and writes its event, unless the rate limit
// leaves it out.
func record(site *callsite.Site, req *reqctx.Request, f Finding, m policy.Mode, verdict string) {
	metrics.CountEvent(f.Rule, m, verdict)
	if verdict != "allowlisted" {
		noteFinding(req, f, site.Family)
	}
	where := siteOf(site)
	if !events.Admit(f.Rule, where, verdict) {
		return
	}
	attrs := make([]slog.Attr, 0, 20)
	attrs = append(attrs,
		slog.String("rule", f.Rule), slog.String("family", string(site.Family)), slog.String("mode", m.String()),
		slog.String("verdict", verdict), slog.String("site", where), slog.String("sink", site.Sink))
	if f.Value != "" {
		attrs = append(attrs, slog.String("value", f.Value))
	}
	if f.Detail != "" {
		attrs = append(attrs, slog.String("detail", f.Detail))
	}
	if f.End > f.Start {
		attrs = append(attrs, slog.Any("span", []int{f.Start, f.End}))
	}
	if f.Dialect != "" {
		attrs = append(attrs, slog.String("dialect", f.Dialect))
	}
	if req != nil {
		attrs = append(attrs, slog.String("request_id", req.RequestID()), slog.String("method", req.Method),
			slog.String("path", req.Path), slog.String("client_ip", req.ClientIP))
		if u := req.User(); u != "" {
			attrs = append(attrs, slog.String("user", u))
		}
	}
	if in := f.Input; in != nil {
		v := in.Value
		if len(v) > 256 {
			v = v[:256]
		}
		attrs = append(attrs, slog.Any("input", event.Input{Source: in.Source, Name: in.Name, Value: v}))
	}
	attrs = append(attrs, slog.Any("stack", events.Stack()))
	level := slog.LevelWarn
	if verdict == "allowlisted" {
		level = slog.LevelInfo
	}
	announce() // a process that serves nothing says what is active before its first finding
	events.Emit(level, event.MsgFinding, attrs...)
}

// siteOf names where the call was made: the site, or for an entry point
// the innermost caller outside the standard library and the runtime.
func siteOf(site *callsite.Site) string {
	if site == requestSite {
		return "request"
	}
	if site.Entry {
		if name, ok := events.Caller(); ok {
			return name
		}
	}
	return site.String()
}
