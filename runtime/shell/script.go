package shell

// The judgement of a shell script: what a dynamic span did to the command,
// read from the tokens of the lexer (lex.go).

// CheckScript judges a shell script given its dynamic spans. The script is
// tokenized as a POSIX shell would (quotes, backslash escapes, $(),
// backticks, ${}, $(( )), $”, comments, redirections, ;, &&, ||, |, &,
// newlines). A dynamic span is an injection when it is not confined to one
// word: it contains an active command separator, pipe, redirection,
// subshell parenthesis, newline or comment, starts a command, parameter
// expansion or substitution ($x, ${IFS}, $(...), backticks), chooses the
// command name, escapes a byte outside itself, or breaks out of the quotes it
// started in (a break-out that splits words, or a span that does not end in
// the quoting context it started in). Properly escaped values such as
// 'it'\”s' stay confined and are not findings.
//
// Spans are clamped to the script; an empty dyn is never a finding.
// Finding.Start and Finding.End give the offending dynamic span.
func CheckScript(script string, dyn []Span) (Finding, bool) {
	for _, sp := range dyn {
		s, e := sp.Start, sp.End
		if s < 0 {
			s = 0
		}
		if e > len(script) {
			e = len(script)
		}
		if s >= e {
			continue
		}
		if judgeSpan(script, s, e) {
			return Finding{Rule: RuleShellDynamic, Start: s, End: e}, true
		}
	}
	return Finding{}, false
}

// judgeSpan tokenizes script up to the end of span [s,e) and reports whether
// the span is an injection. Runs of text are cut at s and at e, so that
// the contexts open at s are seen and the tokens in the span start in it.
func judgeSpan(script string, s, e int) bool {
	j := spanJudge{script: script, s: s, e: e, startDepth: -1}
	lx := newLexer(script)
	for !lx.done() {
		if lx.pos == s {
			j.markStart(&lx.ctx)
		}
		if lx.pos >= e {
			break
		}
		if lx.ctx.overflow {
			return true // nesting too deep to judge
		}
		inSpan, limit := lx.pos >= s, s
		if inSpan {
			limit = e
		}
		t := lx.next(limit)
		if j.commentsOut(t) || inSpan && j.injects(t, lx.ctx.depth) {
			return true
		}
	}
	return j.leftContext(&lx.ctx)
}

// spanJudge judges the tokens of a script against one dynamic span [s,e).
type spanJudge struct {
	script string
	s, e   int
	// startDepth and startStack are the contexts open where the span
	// starts; startDepth is -1 until then, and stays -1 when a token
	// straddles the span's start.
	startDepth int
	startStack [maxDepth]uint8
}

// markStart records ctx, the contexts open where the span starts.
func (j *spanJudge) markStart(ctx *contextStack) {
	j.startDepth, j.startStack = ctx.depth, ctx.stack
}

// commentsOut reports whether t is a comment that holds a byte of the span.
// judgeSpan reads only tokens that start before the span's end, so a
// comment that ends after its start holds one.
func (j *spanJudge) commentsOut(t token) bool {
	return t.kind == tokComment && t.end > j.s
}

// injects reports whether t, a token that starts in the span, takes the
// span out of one word; depth is the nesting of contexts after t. For a run
// of text of a command name, its first byte decides: a word prefix that is
// an assignment (NAME=) stays one as it grows.
func (j *spanJudge) injects(t token, depth int) bool {
	switch t.kind {
	case tokOperator, tokExpansion, tokBackquote, tokArithParen:
		return true
	case tokBlank:
		return depth < j.startDepth // broke out of the template's quotes and split words
	case tokEscape:
		if j.escapesOutside(t.start) {
			return true
		}
	}
	return t.cmdWordStart >= 0 && !isAssignment(j.script[t.cmdWordStart:t.start+1]) // dynamic command name
}

// escapesOutside reports whether the backslash at script[i] is the span's
// last byte and escapes a byte after the span that is not a plain word byte.
func (j *spanJudge) escapesOutside(i int) bool {
	return i+1 >= j.e && i+1 < len(j.script) && !isPlain(j.script[i+1])
}

// leftContext reports, at the end of the span, whether the span did not end
// in the contexts it started in: it closed or opened a quote, substitution
// or expansion, or nested too deep. It is false when no token started where
// the span does.
func (j *spanJudge) leftContext(ctx *contextStack) bool {
	if j.startDepth < 0 {
		return false
	}
	if ctx.overflow || ctx.depth != j.startDepth {
		return true
	}
	for k := 0; k < j.startDepth; k++ {
		if ctx.stack[k] != j.startStack[k] {
			return true
		}
	}
	return false
}

// isPlain reports whether escaping c with a backslash leaves the word
// structure unchanged (c is an ordinary word byte).
func isPlain(c byte) bool {
	if isNameByte(c) || c >= 0x80 {
		return true
	}
	switch c {
	case '-', '.', '/', ',', ':', '=', '@', '%', '+':
		return true
	}
	return false
}
