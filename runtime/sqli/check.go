package sqli

import (
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/span"
)

// Span is a half-open byte range [Start, End) of the query that came from a
// variable. It is the runtime's one span type, shared with the other
// detectors.
type Span = span.Span

// Finding describes one detected injection.
type Finding struct {
	Rule       string // stable rule name, one of Rules()
	Start, End int    // offending token span in the query
}

// Rule names.
const (
	RuleDynamic           = "sqli-dynamic"
	RuleTautology         = "sqli-tautology"
	RuleUnion             = "sqli-union"
	RuleStacked           = "sqli-stacked"
	RuleCommentTruncation = "sqli-comment-truncation"
	RuleTimeProbe         = "sqli-time-probe"
	RuleFileAccess        = "sqli-file-access"
	RuleErrorExtractor    = "sqli-error-extractor"
)

// Rules lists every rule name Check can return (for policy and metrics).
func Rules() []string {
	return []string{RuleDynamic, RuleTautology, RuleUnion, RuleStacked, RuleCommentTruncation,
		RuleTimeProbe, RuleFileAccess, RuleErrorExtractor}
}

// Check judges query. dyn lists dynamic byte ranges (may be nil: then only
// context-free rules run). It returns ok=true with the first finding. Zero
// allocations.
//
// Semantics of dyn:
//   - non-empty: the dynamic-part check runs and is the only judge: each
//     range must stay inside one literal or identifier token (or be a plain
//     comma list of such tokens or placeholders); the context-free rules do
//     not run, so the application's own UNIONs and comments never count.
//   - non-nil and empty: the caller knows the whole query is constant
//     (written by the programmer): no finding, ever.
//   - nil: provenance unknown. A query holding a bind placeholder is taken
//     as parameterised and gets no finding (fast path); otherwise the
//     context-free rules run. (A placeholder an attacker slips into a
//     concatenated query also takes the fast path; most drivers then reject
//     the query for a missing argument, but callers that can tell the
//     dynamic ranges should pass them.)
func Check(query string, dyn []Span, d Dialect) (f Finding, ok bool) {
	if dyn == nil {
		return checkRules(query, d, true)
	}
	if len(dyn) == 0 {
		return Finding{}, false
	}
	f, ok = checkDynamic(query, dyn, d, false)
	if ok || d != Generic {
		return f, ok
	}
	// Generic: a backslash means one thing in MySQL and another in standard
	// SQL; judge the query under both readings.
	for _, s := range dyn {
		a, b := clamp(s, len(query))
		if a < b && strings.IndexByte(query[a:b], '\\') >= 0 {
			return checkDynamic(query, dyn, d, true)
		}
	}
	return Finding{}, false
}

func clamp(s Span, n int) (int, int) {
	a, b := s.Start, s.End
	if a < 0 {
		a = 0
	}
	if b > n {
		b = n
	}
	if a > b {
		a = b
	}
	return a, b
}

// span verdict state
type spanState struct {
	a, b     int  // clamped range
	n        int  // tokens overlapping the range
	bad      bool // a violation was seen
	expect   bool // list machine: expecting an item
	afterDot bool // list machine: after '.' in a qualified name
	pendSign int  // end of a sign operator awaiting an adjacent number, or -1
	items    int
	fs, fe   int  // union of overlapping token spans
	modSeen  bool // list machine: ASC or DESC already follows the current item
}

const maxBatch = 8

// checkDynamic runs the dynamic-part check over at most maxBatch spans at a
// time so the state stays on the stack. Batches of ranges given in query
// order share one tokenizer pass, so the check stays linear in the query
// length however many ranges there are.
func checkDynamic(q string, dyn []Span, d Dialect, bs bool) (Finding, bool) {
	var sc dynScan
	sc.tz = newTokenizerBS(q, d, bs)
	for len(dyn) > 0 {
		n := len(dyn)
		if n > maxBatch {
			n = maxBatch
		}
		if f, ok := sc.batch(q, dyn[:n], d, bs); ok {
			return f, true
		}
		dyn = dyn[n:]
	}
	return Finding{}, false
}

// dynScan carries a tokenizer pass from one batch of ranges to the next.
type dynScan struct {
	tz        Tokenizer
	carry     Token // first token not yet judged
	haveCarry bool
	doneEnd   int // end of the last token judged
}

func (sc *dynScan) batch(q string, dyn []Span, d Dialect, bs bool) (Finding, bool) {
	var st [maxBatch]spanState
	maxEnd, minStart := 0, len(q)
	for i, s := range dyn {
		a, b := clamp(s, len(q))
		st[i] = spanState{a: a, b: b, expect: true, pendSign: -1, fs: a, fe: b}
		if a < b {
			if b > maxEnd {
				maxEnd = b
			}
			if a < minStart {
				minStart = a
			}
		}
	}
	if maxEnd == 0 {
		return Finding{}, false
	}
	if minStart < sc.doneEnd {
		// ranges out of order: start the pass again
		sc.tz = newTokenizerBS(q, d, bs)
		sc.haveCarry = false
		sc.doneEnd = 0
	}
	for {
		var t Token
		if sc.haveCarry {
			t = sc.carry
			sc.haveCarry = false
		} else {
			t = sc.tz.Next()
		}
		if t.Kind == KindEOF || t.Start >= maxEnd {
			sc.carry, sc.haveCarry = t, true
			break
		}
		if t.End > sc.doneEnd {
			sc.doneEnd = t.End
		}
		for i := range dyn {
			s := &st[i]
			if s.a >= s.b || t.End <= s.a || t.Start >= s.b || s.bad {
				continue
			}
			if s.n == 0 || t.Start < s.fs {
				s.fs = t.Start
			}
			if t.End > s.fe {
				s.fe = t.End
			}
			s.n++
			judge(q, s, t)
		}
	}
	for i := range dyn {
		s := &st[i]
		if s.a >= s.b || s.n == 0 {
			continue
		}
		if !s.bad && (s.pendSign >= 0 || s.afterDot) {
			s.bad = true
		}
		if s.bad {
			return Finding{Rule: RuleDynamic, Start: s.fs, End: s.fe}, true
		}
	}
	return Finding{}, false
}

// judge feeds one token overlapping span s into the span's state machine.
func judge(q string, s *spanState, t Token) {
	contained := s.a <= t.Start && t.End <= s.b
	if !contained {
		k := t.Kind
		if k == KindVariable && t.Open() == 0 {
			k = KindWord // @name: a name, not a quoted form
		}
		switch k {
		case KindString, KindQuotedIdent, KindComment, KindVariable:
			// The range must lie strictly inside the token, away from its
			// delimiters, and must not itself unbalance the quoting.
			closeAt := t.End - t.Close()
			if t.Flags()&FlagUnterminated != 0 {
				closeAt = t.End
			}
			if s.n > 1 || s.a < t.Start+t.Open() || s.b > closeAt || !interiorOK(q, s.a, s.b, t) {
				s.bad = true
				return
			}
			s.items++
			s.expect = false
			return
		case KindWord, KindNumber, KindPlaceholder:
			// A name or number assembled from constant and dynamic bytes
			// (tbl_ + suffix, $ + n).
			if !s.expect && !s.afterDot {
				s.bad = true
				return
			}
			s.items++
			s.expect = false
			s.afterDot = false
			return
		case KindPunct:
			if t.is(q, ',') || t.is(q, '.') {
				break // cannot be partial: one byte
			}
		}
		s.bad = true
		return
	}
	// token fully inside the range: run the list machine
	if t.Flags()&FlagUnterminated != 0 {
		s.bad = true // the dynamic part opened a quote or comment it never closed
		return
	}
	if s.pendSign >= 0 {
		if t.Kind != KindNumber || t.Start != s.pendSign {
			s.bad = true
			return
		}
		s.pendSign = -1
		s.items++
		s.expect = false
		return
	}
	switch t.Kind {
	case KindString, KindNumber, KindPlaceholder, KindQuotedIdent:
		if s.afterDot && t.Kind == KindQuotedIdent {
			s.afterDot = false
			return
		}
		if !s.expect || s.afterDot {
			s.bad = true
			return
		}
		s.items++
		s.expect = false
		return
	case KindWord:
		k := lookupKw(q[t.Start:t.End])
		if s.afterDot {
			s.afterDot = false
			return
		}
		if !s.expect {
			if (k == kwAsc || k == kwDesc) && !s.modSeen {
				s.modSeen = true // at most one modifier per item
				return
			}
			s.bad = true
			return
		}
		if structural(k) {
			s.bad = true
			return
		}
		s.items++
		s.expect = false
		s.modSeen = false
		return
	case KindPunct:
		switch {
		case t.is(q, ','):
			if s.expect && s.items > 0 {
				s.bad = true // ",,"
				return
			}
			s.expect = true
			s.modSeen = false
			return
		case t.is(q, '.'):
			if s.expect || s.afterDot {
				s.bad = true
				return
			}
			s.afterDot = true
			return
		}
	case KindOperator:
		if (t.is(q, '-') || t.is(q, '+')) && s.expect && !s.afterDot {
			s.pendSign = t.End
			return
		}
		if t.is(q, '*') && (s.afterDot || s.expect) {
			// t.* or a bare * column list
			if s.expect {
				s.items++
				s.expect = false
			}
			s.afterDot = false
			return
		}
	}
	s.bad = true
}

// interiorOK reports whether the dynamic bytes q[a:b], lying inside the
// body of token t, keep the token's quoting balanced: every quote byte they
// hold is doubled within them, no trailing backslash escapes the constant
// byte that follows, and no comment opener or line break changes where a
// comment ends.
func interiorOK(q string, a, b int, t Token) bool {
	switch t.Kind {
	case KindComment:
		if t.Open() == 2 && q[t.Start] == '/' {
			if t.Flags()&FlagNested != 0 && strings.Contains(q[a:b], "/*") {
				return false
			}
			// a trailing '*' or leading '/' could pair with constant bytes
			if q[b-1] == '*' || q[a] == '/' {
				return false
			}
			return !strings.Contains(q[a:b], "*/")
		}
		return strings.IndexByte(q[a:b], '\n') < 0 && strings.IndexByte(q[a:b], '\r') < 0
	case KindString, KindQuotedIdent, KindVariable:
		if t.Open() == 0 {
			return true
		}
	default:
		return true
	}
	if t.Open() > 2 || (t.Open() == 2 && q[t.Start] == '$') {
		// dollar quoting: the body cannot hold the tag by construction;
		// a '$' at either edge could form one with constant bytes.
		return q[a] != '$' && q[b-1] != '$'
	}
	qc := q[t.Start+t.Open()-1]
	if qc == '[' {
		qc = ']'
	}
	bs := t.Flags()&FlagBackslash != 0
	for i := a; i < b; i++ {
		c := q[i]
		if bs && c == '\\' {
			if i+1 >= b {
				return false
			}
			i++
			continue
		}
		if c == qc {
			if i+1 < b && q[i+1] == qc {
				i++
				continue
			}
			return false
		}
	}
	return true
}
