package sqli

import "strconv"

// nextCode returns the next token that is not a comment or an executable
// comment marker.
func nextCode(tz *Tokenizer) Token {
	for {
		t := tz.Next()
		switch t.Kind {
		case KindComment, KindExecOpen, KindExecClose:
			continue
		}
		return t
	}
}

func isData(k kw) bool {
	switch k {
	case kwSelect, kwInsert, kwUpdate, kwDelete, kwReplace, kwWith, kwValues, kwMerge, kwUpsert:
		return true
	}
	return false
}

// checkRules runs the context-free rules. With fast set, a query holding a
// bind placeholder is judged parameterised and never yields a finding.
func checkRules(q string, d Dialect, fast bool) (Finding, bool) {
	tz := NewTokenizer(q, d)
	var prev Token
	havePrev := false
	depth := 0
	stmtStarted := false
	stmtFirst := kwNone
	firstData := false
	stmtNo := 0
	var found Finding
	ok := false
	for {
		t := tz.Next()
		if t.Kind == KindEOF {
			break
		}
		if t.Kind == KindPlaceholder && fast {
			return Finding{}, false
		}
		if ok {
			if !fast {
				break
			}
			continue
		}
		switch t.Kind {
		case KindComment:
			if havePrev {
				if truncates(q, tz, prev, t) {
					found, ok = Finding{Rule: RuleCommentTruncation, Start: t.Start, End: t.End}, true
				}
			}
			continue
		case KindExecOpen, KindExecClose:
			continue
		case KindPunct:
			switch q[t.Start] {
			case '(':
				depth++
			case ')':
				depth--
			case ';':
				if firstData && stmtNo == 0 {
					p := tz
					n := nextCode(&p)
					if n.Kind != KindEOF && !n.is(q, ';') {
						found, ok = Finding{Rule: RuleStacked, Start: t.Start, End: n.End}, true
					}
				}
				if stmtStarted {
					stmtNo++
				}
				stmtStarted = false
				depth = 0
			}
		case KindOperator:
			if d == MySQL && t.End-t.Start == 2 && q[t.Start] == '|' && q[t.Start+1] == '|' {
				if e, yes := tautology(q, tz, d); yes {
					found, ok = Finding{Rule: RuleTautology, Start: t.Start, End: e}, true
				}
			}
		case KindWord:
			k := lookupRuleKw(q[t.Start:t.End])
			if !stmtStarted {
				stmtStarted = true
				stmtFirst = k
				if stmtNo == 0 {
					firstData = isData(k)
				}
			}
			switch k {
			case kwOr, kwXor:
				if e, yes := tautology(q, tz, d); yes {
					found, ok = Finding{Rule: RuleTautology, Start: t.Start, End: e}, true
				}
			case kwUnion:
				if depth <= 0 && havePrev {
					if e, yes := unionProbe(q, tz, prev, depth); yes {
						found, ok = Finding{Rule: RuleUnion, Start: t.Start, End: e}, true
					}
				}
			case fnSleep, fnBenchmark, fnPgSleep, fnReceiveMessage:
				if n := peek(tz); n.is(q, '(') {
					found, ok = Finding{Rule: RuleTimeProbe, Start: t.Start, End: n.End}, true
				}
			case fnRandomblob:
				if e, yes := bigRandomblob(q, tz); yes {
					found, ok = Finding{Rule: RuleTimeProbe, Start: t.Start, End: e}, true
				}
			case kwWaitfor:
				n := peek(tz)
				if n.Kind == KindWord {
					if nk := lookupKw(q[n.Start:n.End]); nk == kwDelay || nk == kwTime {
						found, ok = Finding{Rule: RuleTimeProbe, Start: t.Start, End: n.End}, true
					}
				}
			case fnLoadFile, fnPgReadFile, fnLoImport, fnSysExec:
				if n := peek(tz); n.is(q, '(') {
					found, ok = Finding{Rule: RuleFileAccess, Start: t.Start, End: n.End}, true
				}
			case fnXpCmdshell:
				found, ok = Finding{Rule: RuleFileAccess, Start: t.Start, End: t.End}, true
			case kwInto:
				n := peek(tz)
				if n.Kind == KindWord {
					if nk := lookupKw(q[n.Start:n.End]); nk == kwOutfile || nk == kwDumpfile {
						found, ok = Finding{Rule: RuleFileAccess, Start: t.Start, End: n.End}, true
					}
				}
			case kwCopy, kwLoad:
				if stmtFirst == k {
					if e, yes := fileStatement(q, tz, k); yes {
						found, ok = Finding{Rule: RuleFileAccess, Start: t.Start, End: e}, true
					}
				}
			case fnExtractvalue, fnUpdatexml, fnNameConst, fnGtid:
				if n := peek(tz); n.is(q, '(') {
					found, ok = Finding{Rule: RuleErrorExtractor, Start: t.Start, End: n.End}, true
				}
			}
		}
		prev = t
		havePrev = true
	}
	return found, ok
}

func peek(tz Tokenizer) Token { return nextCode(&tz) }

// truncates reports whether comment c, which follows the code token prev,
// cuts off the rest of the query: it sits on the same line as code, nothing
// but comments follow it, and it is unterminated, empty, or starts with
// what looks like the remains of the statement (a quote, a bracket, an
// operator, or a clause keyword).
func truncates(q string, tz Tokenizer, prev, c Token) bool {
	for i := prev.End; i < c.Start; i++ {
		if q[i] == '\n' || q[i] == '\r' {
			return false
		}
	}
	if tz.Next().Kind != KindEOF {
		return false // something follows (checked one token ahead: stays linear)
	}
	if c.Flags()&FlagUnterminated != 0 {
		return true
	}
	if c.Close() != 0 {
		return false // a closed /* */ comment truncates nothing
	}
	i := c.Start + c.Open()
	for i < c.End && (q[i] == ' ' || q[i] == '\t') {
		i++
	}
	if i >= c.End {
		return true
	}
	ch := q[i]
	if class[ch]&cWord == 0 {
		return true
	}
	j := i
	for j < c.End && class[q[j]]&cWord != 0 {
		j++
	}
	if j-i <= 1 && j == c.End {
		return true // "-- a", "#x": filler after the comment marker
	}
	switch lookupKw(q[i:j]) {
	case kwAnd, kwOr, kwFrom, kwUnion, kwSelect, kwStructural:
		w := q[i:j]
		return eqFold(w, "AND") || eqFold(w, "OR") || eqFold(w, "LIMIT") || eqFold(w, "ORDER") ||
			eqFold(w, "GROUP") || eqFold(w, "WHERE") || eqFold(w, "HAVING") || eqFold(w, "OFFSET")
	}
	return false
}

// operand kinds for tautology evaluation
const (
	opdNone = iota
	opdNum
	opdStr
	opdTrue
	opdFalse
	opdNull
	opdIdent
)

func operand(q string, t Token) int {
	switch t.Kind {
	case KindNumber:
		return opdNum
	case KindString:
		return opdStr
	case KindQuotedIdent:
		return opdIdent
	case KindWord:
		switch lookupKw(q[t.Start:t.End]) {
		case kwTrue:
			return opdTrue
		case kwFalse:
			return opdFalse
		case kwNull:
			return opdNull
		case kwNone:
			return opdIdent
		}
	}
	return opdNone
}

// terminates reports whether t can follow a complete boolean term.
func terminates(q string, t Token) bool {
	switch t.Kind {
	case KindEOF, KindWord:
		return true
	case KindPunct:
		return t.is(q, ')') || t.is(q, ';') || t.is(q, ',')
	}
	return false
}

// tautology inspects the term after an OR: OR 1=1, OR 'a'='a', OR 1, OR x=x.
func tautology(q string, tz Tokenizer, d Dialect) (int, bool) {
	t := nextCode(&tz)
	for i := 0; i < 8 && t.is(q, '('); i++ {
		t = nextCode(&tz)
	}
	neg := false
	if t.Kind == KindWord && lookupKw(q[t.Start:t.End]) == kwNot {
		neg = true
		t = nextCode(&tz)
	}
	a := t
	ka := operand(q, a)
	if ka == opdNone {
		return 0, false
	}
	op := nextCode(&tz)
	if terminates(q, op) && !(op.Kind == KindWord && isCmpWord(q, op)) {
		if ka == opdIdent || ka == opdNull {
			return 0, false
		}
		v := truthy(q, a, ka)
		return a.End, v != neg
	}
	cmp := ""
	switch op.Kind {
	case KindOperator:
		cmp = q[op.Start:op.End]
	case KindWord:
		switch lookupKw(q[op.Start:op.End]) {
		case kwLike:
			cmp = "like"
		case kwIs:
			cmp = "is"
		default:
			return 0, false
		}
	default:
		return 0, false
	}
	b := nextCode(&tz)
	if cmp == "is" && b.Kind == KindWord && lookupKw(q[b.Start:b.End]) == kwNot {
		cmp = "isnot"
		b = nextCode(&tz)
	}
	kb := operand(q, b)
	if kb == opdNone {
		return 0, false
	}
	after := nextCode(&tz)
	if !terminates(q, after) {
		return 0, false
	}
	v, known := compare(q, a, ka, b, kb, cmp, d)
	if !known {
		return 0, false
	}
	return b.End, v != neg
}

func isCmpWord(q string, t Token) bool {
	k := lookupKw(q[t.Start:t.End])
	return k == kwLike || k == kwIs
}

func truthy(q string, t Token, k int) bool {
	switch k {
	case opdTrue:
		return true
	case opdNum:
		f, ok := numValue(q[t.Start:t.End])
		return ok && f != 0
	case opdStr:
		s := strBody(q, t)
		return len(s) > 0 && s[0] >= '1' && s[0] <= '9'
	}
	return false
}

func numValue(s string) (float64, bool) {
	if len(s) > 2 && s[0] == '0' && (s[1]|0x20 == 'x' || s[1]|0x20 == 'b') {
		base := 16
		if s[1]|0x20 == 'b' {
			base = 2
		}
		if len(s) > 18 {
			return 0, false
		}
		u, err := strconv.ParseUint(s[2:], base, 64)
		return float64(u), err == nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func strBody(q string, t Token) string {
	a, b := t.Start+t.Open(), t.End-t.Close()
	if a > b {
		return ""
	}
	return q[a:b]
}

// compare evaluates a constant comparison; known is false when the
// outcome depends on data.
func compare(q string, a Token, ka int, b Token, kb int, cmp string, d Dialect) (v, known bool) {
	switch cmp {
	case "is":
		if kb == opdNull {
			return ka == opdNull, ka != opdIdent
		}
		if kb == opdTrue {
			return truthy(q, a, ka), ka != opdIdent
		}
		return false, false
	case "isnot":
		if kb == opdNull {
			return ka != opdNull, ka != opdIdent
		}
		return false, false
	}
	if ka == opdIdent || kb == opdIdent {
		if ka != kb {
			return false, false
		}
		same := eqFoldBoth(q[a.Start:a.End], q[b.Start:b.End])
		switch cmp {
		case "=", "==", "<=>", "like", "<=", ">=":
			return same, same
		}
		return false, false
	}
	if ka == opdNull || kb == opdNull {
		return false, true // NULL compares to nothing (but <=>)
	}
	// both literals
	var sa, sb string
	na, oka := 0.0, false
	nb, okb := 0.0, false
	switch ka {
	case opdNum:
		sa = q[a.Start:a.End]
		na, oka = numValue(sa)
	case opdStr:
		sa = strBody(q, a)
		na, oka = numValue(sa)
	case opdTrue:
		sa, na, oka = "1", 1, true
	case opdFalse:
		sa, na, oka = "0", 0, true
	}
	switch kb {
	case opdNum:
		sb = q[b.Start:b.End]
		nb, okb = numValue(sb)
	case opdStr:
		sb = strBody(q, b)
		nb, okb = numValue(sb)
	case opdTrue:
		sb, nb, okb = "1", 1, true
	case opdFalse:
		sb, nb, okb = "0", 0, true
	}
	numeric := oka && okb && (ka != opdStr || kb != opdStr)
	var c int // -1, 0, 1
	if numeric {
		switch {
		case na < nb:
			c = -1
		case na > nb:
			c = 1
		}
	} else {
		c = cmpFold(sa, sb)
	}
	switch cmp {
	case "=", "==", "<=>":
		return c == 0, true
	case "like":
		return c == 0 || sb == "%", true
	case "<>", "!=":
		return c != 0, true
	case "<":
		return c < 0, true
	case ">":
		return c > 0, true
	case "<=":
		return c <= 0, true
	case ">=":
		return c >= 0, true
	}
	return false, false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func eqFoldBoth(a, b string) bool { return len(a) == len(b) && cmpFold(a, b) == 0 }

func cmpFold(a, b string) int {
	n := len(a)
	if len(b) < n {
		n = len(b)
	}
	for i := 0; i < n; i++ {
		x, y := lower(a[i]), lower(b[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// unionProbe judges UNION [ALL|DISTINCT] [(] SELECT at statement level: it
// is an injection when it follows a literal or an unbalanced ')' (the end of
// a WHERE condition an attacker completed), or when the appended select
// list is made only of constants and variables, or reads the catalog.
func unionProbe(q string, tz Tokenizer, prev Token, depth int) (int, bool) {
	t := nextCode(&tz)
	if t.Kind == KindWord {
		if k := lookupKw(q[t.Start:t.End]); k == kwAll || k == kwDistinct {
			t = nextCode(&tz)
		}
	}
	for i := 0; i < 8 && t.is(q, '('); i++ {
		t = nextCode(&tz)
	}
	if t.Kind != KindWord || lookupKw(q[t.Start:t.End]) != kwSelect {
		return 0, false
	}
	end := t.End
	if depth < 0 {
		return end, true
	}
	switch prev.Kind {
	case KindNumber, KindString, KindVariable:
		return end, true
	case KindWord:
		switch lookupKw(q[prev.Start:prev.End]) {
		case kwNull, kwTrue, kwFalse:
			return end, true
		}
	}
	// select list: constants only, or a catalog / system variable read
	items, consts := 0, true
	for i := 0; i < 64; i++ {
		n := nextCode(&tz)
		switch n.Kind {
		case KindEOF:
			return end, consts && items > 0
		case KindNumber, KindString:
			items++
			continue
		case KindVariable:
			if n.End-n.Start > 2 && q[n.Start+1] == '@' {
				return end, true
			}
			items++
			continue
		case KindPunct:
			if n.is(q, ',') || n.is(q, '(') || n.is(q, ')') {
				continue
			}
			if n.is(q, ';') {
				return end, consts && items > 0
			}
		case KindWord:
			k := lookupKw(q[n.Start:n.End])
			if k == kwInformationSchema {
				return end, true
			}
			if k == kwNull {
				items++
				continue
			}
			if k == kwFrom || k == kwUnion || k == kwStructural {
				if consts && items > 0 {
					return end, true
				}
				consts = false
				continue
			}
		}
		consts = false
	}
	return 0, false
}

// bigRandomblob flags RANDOMBLOB(n) unless n is a small literal or a bind
// parameter: applications use randomblob(16) for identifiers, probes use
// hundreds of megabytes.
func bigRandomblob(q string, tz Tokenizer) (int, bool) {
	t := nextCode(&tz)
	if !t.is(q, '(') {
		return 0, false
	}
	a := nextCode(&tz)
	c := nextCode(&tz)
	if c.is(q, ')') {
		if a.Kind == KindPlaceholder {
			return 0, false
		}
		if a.Kind == KindNumber {
			if v, ok := numValue(q[a.Start:a.End]); ok && v <= 65536 {
				return 0, false
			}
		}
	}
	return c.End, true
}

// fileStatement inspects a statement starting with COPY or LOAD: COPY ...
// PROGRAM, COPY ... FROM/TO 'file' (server-side files), LOAD DATA INFILE
// (without LOCAL).
func fileStatement(q string, tz Tokenizer, first kw) (int, bool) {
	if first == kwLoad {
		t := nextCode(&tz)
		if t.Kind != KindWord || lookupKw(q[t.Start:t.End]) != kwData {
			return 0, false
		}
		t = nextCode(&tz)
		if t.Kind == KindWord && lookupKw(q[t.Start:t.End]) == kwInfile {
			return t.End, true
		}
		return 0, false
	}
	fromTo := false
	for {
		t := nextCode(&tz)
		if t.Kind == KindEOF || t.is(q, ';') {
			return 0, false
		}
		if t.Kind == KindString && fromTo {
			return t.End, true
		}
		fromTo = false
		if t.Kind == KindWord {
			switch lookupKw(q[t.Start:t.End]) {
			case kwProgram:
				return t.End, true
			case kwFrom, kwTo:
				fromTo = true
			}
		}
	}
}
