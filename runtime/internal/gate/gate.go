package gate

import (
	"net/netip"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/attackwave"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/ratelimit"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// Info is what the gate reads of a request, whatever the server.
type Info struct {
	Method    string
	Path      string     // unescaped, as events name it
	Client    netip.Addr // the client IP (see package clientip); invalid when unknown
	UserAgent string
}

// Refusal is the gate's answer to a request it refuses.
type Refusal struct {
	Rule       string
	Status     int           // 403, or 429 for a rate limit
	RetryAfter time.Duration // for a rate limit: when the client may try again
}

// RetryAfterSeconds is RetryAfter as the Retry-After header gives it:
// whole seconds, rounded up, at least 1.
func (r *Refusal) RetryAfterSeconds() string {
	s := int64((r.RetryAfter + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

// Check judges req, described by in, by the request rules of g (the
// policy's Gate, which the server read when the request came and found
// Active), in order: bypass_ips (never refused), the attack-wave block, block_ips and
// allow_ips (global, then the route's), users.block, bots, the route's
// rate limit; a scanner probe path is noted for attack waves. It records
// the findings and returns the refusal to answer instead of running the
// handler (block mode), or nil. It never panics: a fault is recovered,
// counted and logged, and the request goes ahead.
func Check(g *policy.Gate, req *reqctx.Request, in *Info) (ref *Refusal) {
	defer func() {
		if r := recover(); r != nil {
			metrics.NoteInternalError()
			metrics.CountInternalError("request")
			events.Logf("internal error in the request gate: %v (request allowed)", r)
			ref = nil
		}
	}()
	if in.Client.IsValid() && g.Bypass.Contains(in.Client) {
		return nil
	}
	if g.Wave != nil && in.Client.IsValid() {
		if attackwave.IsProbe(in.Path) {
			judge.NoteProbe(req, in.Client)
		}
		if until, ok := judge.WaveBlocked(in.Client); ok {
			f := judge.Finding{Rule: policy.RuleAttackWave, Detail: "the client is blocked after an attack wave, until " + until.UTC().Format(time.RFC3339), Value: in.Client.String()}
			if judge.JudgeRequest(req, f) {
				return &Refusal{Rule: policy.RuleAttackWave, Status: 403}
			}
		}
	}
	route := g.Route(in.Method, in.Path)
	if in.Client.IsValid() {
		if g.Block.Contains(in.Client) || route != nil && route.Block.Contains(in.Client) {
			if judge.JudgeRequest(req, judge.Finding{Rule: policy.RuleIPBlocked, Detail: "the client IP is in block_ips", Value: in.Client.String()}) {
				return &Refusal{Rule: policy.RuleIPBlocked, Status: 403}
			}
		}
		if g.Allow != nil && !g.Allow.Contains(in.Client) || route != nil && route.Allow != nil && !route.Allow.Contains(in.Client) {
			if judge.JudgeRequest(req, judge.Finding{Rule: policy.RuleIPNotAllowed, Detail: "the client IP is not in allow_ips", Value: in.Client.String()}) {
				return &Refusal{Rule: policy.RuleIPNotAllowed, Status: 403}
			}
		}
	}
	if len(g.BlockUser) > 0 {
		if u := req.User(); u != "" && g.BlockUser[u] {
			if judge.JudgeRequest(req, judge.Finding{Rule: policy.RuleUserBlocked, Detail: "the user is in users.block", Value: u}) {
				return &Refusal{Rule: policy.RuleUserBlocked, Status: 403}
			}
		}
	}
	if g.Bots != nil && in.UserAgent != "" {
		if cat, pat, ok := g.Bots.Match(in.UserAgent); ok {
			if m := g.BotModes[cat]; m != policy.ModeOff {
				f := judge.Finding{Rule: policy.RuleBot, Detail: "user agent of category " + cat + " (" + pat + ")", Value: truncate(in.UserAgent, 200)}
				if judge.JudgeRequestIn(req, f, m) {
					return &Refusal{Rule: policy.RuleBot, Status: 403}
				}
			}
		}
	}
	if route != nil && route.Limit != nil {
		// The key ("192.0.2.1", or "user:NAME") is built in a buffer on
		// the stack, not in a string on the heap: the limiter hashes it
		// and keeps nothing of it, and an allowed request (the common
		// case) then allocates nothing. A refusal copies it.
		var buf [64]byte
		kb := buf[:0]
		if route.Limit.By == "user" {
			if u := req.User(); u != "" {
				kb = append(append(kb, "user:"...), u...)
			}
		}
		if len(kb) == 0 {
			if in.Client.IsValid() {
				kb = in.Client.AppendTo(kb)
			} else {
				kb = append(kb, "invalid IP"...) // as netip.Addr.String says
			}
		}
		d := limiters.get(route).Allow(unsafe.String(unsafe.SliceData(kb), len(kb)), time.Now())
		if !d.Allowed {
			f := judge.Finding{Rule: policy.RuleRateLimit, Detail: "more than " + strconv.Itoa(route.Limit.MaxRequests) + " requests in " + route.Window.String() + " on " + route.Pattern, Value: string(kb)}
			if judge.JudgeRequestOnce(req, f, d.First) {
				return &Refusal{Rule: policy.RuleRateLimit, Status: 429, RetryAfter: d.RetryAfter}
			}
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// maxRateKeys bounds the keys each route's limiter tracks.
const maxRateKeys = 65536

// limiters holds a limiter per rate limit, by its key: a policy reload
// that keeps a limit keeps its counts.
var limiters = limiterSet{m: map[string]*ratelimit.Limiter{}}

type limiterSet struct {
	mu sync.Mutex
	m  map[string]*ratelimit.Limiter
}

func (s *limiterSet) get(r *policy.GateRoute) *ratelimit.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.m[r.LimitKey]
	if l == nil {
		if len(s.m) >= 1024 { // policies changed many times: start afresh
			s.m = map[string]*ratelimit.Limiter{}
		}
		l = ratelimit.New(r.Limit.MaxRequests, r.Window, maxRateKeys)
		s.m[r.LimitKey] = l
	}
	return l
}
