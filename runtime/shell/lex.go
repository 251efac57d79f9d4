package shell

// The POSIX shell lexer that CheckScript's judgement (script.go) reads. It
// splits a script into tokens as a shell would (quotes, backslash escapes,
// $(), backticks, ${}, $(( )), $'', comments, operators, blanks) and tracks
// the quoting and substitution contexts, and whether a word is in
// command-name position. It knows nothing of dynamic spans.

// Contexts of the POSIX shell tokenizer. ctxCmd is the implicit bottom of
// the stack; the others are pushed by the syntax that opens them.
const (
	ctxCmd  uint8 = iota // top level: operators, quotes, comments active
	ctxSQ                // '...'
	ctxDQ                // "..."
	ctxCS                // $( ... )
	ctxSub               // ( ... ) subshell inside a command context
	ctxBQ                // `...`
	ctxPE                // ${ ... }
	ctxAR                // $(( ... ))
	ctxAP                // ( ... ) inside arithmetic
	ctxANSI              // $'...'
)

// maxDepth is how deep contexts may nest; deeper nesting sets overflow.
const maxDepth = 40

// contextStack is the stack of open contexts. It lives on the stack.
type contextStack struct {
	stack    [maxDepth]uint8
	depth    int
	overflow bool // a push found the stack full
}

// top returns the innermost open context, ctxCmd when none is open.
func (s *contextStack) top() uint8 {
	if s.depth == 0 {
		return ctxCmd
	}
	return s.stack[s.depth-1]
}

// push opens context c, or sets overflow when the stack is full.
func (s *contextStack) push(c uint8) {
	if s.depth == maxDepth {
		s.overflow = true
		return
	}
	s.stack[s.depth] = c
	s.depth++
}

// pop closes the innermost context, if any.
func (s *contextStack) pop() {
	if s.depth > 0 {
		s.depth--
	}
}

// tokenKind says what one step of the lexer consumed.
type tokenKind uint8

const (
	// tokText is text: bytes with no syntax of their own where they stand
	// (a run of bytes of a word or of a quoted string), or a quote, a
	// brace or a '$' that starts no expansion.
	tokText tokenKind = iota
	// tokBlank is a blank (space or tab) between words in a command context.
	tokBlank
	// tokOperator is a newline, ';', '&', '|', '(', ')', '<' or '>' in a
	// command context.
	tokOperator
	// tokComment is a comment: from '#' up to, not including, the newline
	// that ends it.
	tokComment
	// tokEscape is a backslash and the byte it escapes.
	tokEscape
	// tokExpansion starts a parameter expansion, command substitution or
	// arithmetic expansion: $name, $? and the like, ${, $(, $(( or $[.
	tokExpansion
	// tokBackquote is a backquote, which opens or closes a command
	// substitution.
	tokBackquote
	// tokArithParen is a parenthesis inside an arithmetic expansion, or the
	// "))" that closes one.
	tokArithParen
)

// token is what one step of the lexer consumed: script[start:end]. The end
// of an escape that is the last byte of a $'...' string is past the end of
// the script.
type token struct {
	kind       tokenKind
	start, end int
	// cmdWordStart is, for a token of an unquoted word in command-name
	// position, the offset where that word starts; -1 for other tokens.
	// (With four fields at most, the compiler keeps a token in registers.)
	cmdWordStart int
}

// lexer tokenizes a POSIX shell script one token at a time. It lives on the
// stack; its zero value is not ready: use newLexer.
type lexer struct {
	script string
	pos    int // offset of the next token
	ctx    contextStack

	atWordStart bool // the next byte in a command context starts a word
	cmdPosition bool // the next word is in command-name position
	inCmdWord   bool // the current word is in command-name position
	wordStart   int  // offset of the current word
}

// newLexer returns a lexer at the start of script, where a command name is
// expected.
func newLexer(script string) lexer {
	return lexer{script: script, atWordStart: true, cmdPosition: true}
}

// done reports whether the whole script has been consumed.
func (lx *lexer) done() bool { return lx.pos >= len(lx.script) }

// next consumes the token at lx.pos and returns it. A run of text ends
// at limit at the latest (limit > lx.pos), so that a caller sees a token
// start there; the other tokens ignore limit. It must not be called when
// done.
func (lx *lexer) next(limit int) token {
	start := lx.pos
	var kind tokenKind
	switch top := lx.ctx.top(); top {
	case ctxSQ:
		kind = lx.singleQuoted(limit)
	case ctxANSI:
		kind = lx.ansiQuoted(limit)
	case ctxDQ, ctxPE, ctxAR, ctxAP:
		kind = lx.inExpansion(top, limit)
	default:
		// A command context (ctxCmd, ctxCS, ctxSub, ctxBQ): a blank, an
		// operator, a comment, a backquote or a token of a word.
		switch c := lx.script[start]; c {
		case ' ', '\t':
			lx.endWord()
			lx.pos++
			kind = tokBlank
		case '\n', ';', '&', '|', '(', ')', '<', '>':
			lx.operator(c, top)
			kind = tokOperator
		case '`':
			lx.backquote(top)
			kind = tokBackquote
		case '#':
			if !lx.atWordStart {
				return lx.inWord(limit) // a '#' inside a word
			}
			lx.comment()
			kind = tokComment
		default:
			return lx.inWord(limit)
		}
	}
	return token{kind: kind, start: start, end: lx.pos, cmdWordStart: -1}
}

// singleQuoted consumes the run of text of a '...' string up to limit, or
// the quote that ends it.
func (lx *lexer) singleQuoted(limit int) tokenKind {
	if lx.script[lx.pos] == '\'' {
		lx.ctx.pop()
		lx.pos++
		return tokText
	}
	lx.pos = lx.textEnd(lx.pos+1, limit, &singleQuotedStops)
	return tokText
}

// ansiQuoted consumes the run of text of a $'...' string up to limit, a
// backslash and the byte it escapes, or the quote that ends the string.
func (lx *lexer) ansiQuoted(limit int) tokenKind {
	switch lx.script[lx.pos] {
	case '\\':
		lx.pos += 2
		return tokEscape
	case '\'':
		lx.ctx.pop()
		lx.pos++
		return tokText
	}
	lx.pos = lx.textEnd(lx.pos+1, limit, &ansiQuotedStops)
	return tokText
}

// inExpansion consumes a token inside "...", ${...}, $((...)) or a
// parenthesis of arithmetic (context top); a run of text ends at limit at
// the latest.
func (lx *lexer) inExpansion(top uint8, limit int) tokenKind {
	script, i := lx.script, lx.pos
	switch script[i] {
	case '\\':
		if i+1 < len(script) {
			nx := script[i+1]
			if top != ctxDQ || nx == '$' || nx == '`' || nx == '"' || nx == '\\' || nx == '\n' {
				lx.pos += 2
				return tokEscape
			}
		}
	case '"':
		if top == ctxDQ {
			lx.ctx.pop()
		} else if top == ctxPE {
			lx.ctx.push(ctxDQ)
		}
	case '\'':
		if top == ctxPE {
			lx.ctx.push(ctxSQ)
		}
	case '}':
		if top == ctxPE {
			lx.ctx.pop()
		}
	case '(':
		if top == ctxAR || top == ctxAP {
			lx.ctx.push(ctxAP)
			lx.pos++
			return tokArithParen
		}
	case ')':
		if top == ctxAP {
			lx.ctx.pop()
			lx.pos++
			return tokArithParen
		}
		if top == ctxAR && i+1 < len(script) && script[i+1] == ')' {
			lx.ctx.pop()
			lx.pos += 2
			return tokArithParen
		}
	case '$':
		return lx.dollar()
	case '`':
		lx.ctx.push(ctxBQ)
		lx.pos++
		return tokBackquote
	default:
		lx.pos = lx.textEnd(i+1, limit, &expansionStops)
		return tokText
	}
	lx.pos++
	return tokText
}

// endWord ends the current word, if one is open, at lx.pos: the next byte
// starts a word.
func (lx *lexer) endWord() {
	if !lx.atWordStart && lx.cmdPosition {
		lx.updateCmdPosition(lx.script[lx.wordStart:lx.pos])
	}
	lx.atWordStart, lx.inCmdWord = true, false
}

// updateCmdPosition sets the command-position flag at the end of word w,
// read where a command name was expected: after a keyword or an assignment
// one still is.
func (lx *lexer) updateCmdPosition(w string) {
	lx.cmdPosition = isKeyword(w) || isAssignment(w)
}

// operator consumes operator c in command context top: it ends the word,
// opens or closes a subshell or substitution, and says whether a command
// name follows.
func (lx *lexer) operator(c byte, top uint8) {
	lx.endWord()
	switch c {
	case '<', '>':
		// redirection target follows; command position unchanged
	case ')':
		if top == ctxCS || top == ctxSub {
			lx.ctx.pop()
		}
		lx.cmdPosition = false
	case '(':
		lx.ctx.push(ctxSub)
		lx.cmdPosition = true
	default:
		lx.cmdPosition = true
	}
	lx.pos++
}

// comment consumes a comment up to, not including, the newline that ends
// it.
func (lx *lexer) comment() {
	for lx.pos < len(lx.script) && lx.script[lx.pos] != '\n' {
		lx.pos++
	}
}

// backquote consumes a backquote in command context top: it closes the
// substitution top is, or opens one, in which a command name is expected.
func (lx *lexer) backquote(top uint8) {
	if top == ctxBQ {
		lx.ctx.pop()
	} else {
		lx.ctx.push(ctxBQ)
		lx.atWordStart, lx.cmdPosition, lx.inCmdWord = true, true, false
	}
	lx.pos++
}

// inWord consumes a token of an unquoted word, starting the word if none
// is open: a run of text up to limit, a quote that opens a string, an
// escape, or a '$' and what follows it.
func (lx *lexer) inWord(limit int) token {
	script, i := lx.script, lx.pos
	if lx.atWordStart {
		lx.atWordStart = false
		lx.wordStart = i
		lx.inCmdWord = lx.cmdPosition
	}
	t := token{kind: tokText, start: i, cmdWordStart: -1}
	if lx.inCmdWord {
		t.cmdWordStart = lx.wordStart
	}
	switch script[i] {
	case '\\':
		if i+1 < len(script) {
			t.kind = tokEscape
			lx.pos += 2
			t.end = lx.pos
			return t
		}
	case '\'':
		lx.ctx.push(ctxSQ)
	case '"':
		lx.ctx.push(ctxDQ)
	case '$':
		t.kind = lx.dollar()
		if t.kind == tokExpansion && lx.ctx.top() == ctxCS {
			lx.atWordStart, lx.cmdPosition, lx.inCmdWord = true, true, false
		}
		t.end = lx.pos
		return t
	default:
		lx.pos = lx.textEnd(i+1, limit, &wordStops)
		t.end = lx.pos
		return t
	}
	lx.pos++
	t.end = lx.pos
	return t
}

// byteSet is a set of bytes.
type byteSet [256]bool

// The bytes that end a run of text, by context: those with a syntax of
// their own there. (Composite literals: static data, no work at init.)
var (
	singleQuotedStops = byteSet{'\'': true}
	ansiQuotedStops   = byteSet{'\\': true, '\'': true}
	expansionStops    = byteSet{'\\': true, '"': true, '\'': true, '}': true, '(': true, ')': true, '$': true, '`': true}
	wordStops         = byteSet{
		' ': true, '\t': true, '\n': true, ';': true, '&': true, '|': true, '(': true, ')': true, '<': true, '>': true,
		'`': true, '\\': true, '\'': true, '"': true, '$': true,
	}
)

// textEnd returns where the run of text from i ends: at the first byte of
// stops, at limit or at the end of the script.
func (lx *lexer) textEnd(i, limit int, stops *byteSet) int {
	if limit > len(lx.script) {
		limit = len(lx.script)
	}
	for i < limit && !stops[lx.script[i]] {
		i++
	}
	return i
}

// dollar consumes a '$' and what it opens: an expansion or substitution
// (tokExpansion, pushing the context it opens), a $'...' or $"..." string
// (tokText, pushing its context), or a plain '$' (tokText).
func (lx *lexer) dollar() tokenKind {
	script, i := lx.script, lx.pos
	if i+1 >= len(script) {
		lx.pos++
		return tokText
	}
	switch nx := script[i+1]; {
	case nx == '(':
		if i+2 < len(script) && script[i+2] == '(' {
			lx.ctx.push(ctxAR)
			lx.pos += 3
			return tokExpansion
		}
		lx.ctx.push(ctxCS)
		lx.pos += 2
		return tokExpansion
	case nx == '{':
		lx.ctx.push(ctxPE)
		lx.pos += 2
		return tokExpansion
	case nx == '[': // obsolete $[ ] arithmetic
		lx.pos += 2
		return tokExpansion
	case nx == '\'':
		if lx.ctx.top() == ctxDQ {
			lx.pos++
			return tokText
		}
		lx.ctx.push(ctxANSI)
		lx.pos += 2
		return tokText
	case nx == '"':
		if lx.ctx.top() == ctxDQ {
			lx.pos++
			return tokText
		}
		lx.ctx.push(ctxDQ)
		lx.pos += 2
		return tokText
	case isNameStart(nx):
		j := i + 2
		for j < len(script) && isNameByte(script[j]) {
			j++
		}
		lx.pos = j
		return tokExpansion
	case isSpecialParam(nx):
		lx.pos += 2
		return tokExpansion
	}
	lx.pos++
	return tokText
}

// isNameStart reports whether c may start a shell variable name.
func isNameStart(c byte) bool { return c == '_' || isLetter(c) }

// isNameByte reports whether c may appear in a shell variable name.
func isNameByte(c byte) bool { return isNameStart(c) || ('0' <= c && c <= '9') }

// isSpecialParam reports whether $c is a special or positional parameter.
func isSpecialParam(c byte) bool {
	switch c {
	case '?', '$', '!', '@', '*', '#', '-':
		return true
	}
	return '0' <= c && c <= '9'
}

// isAssignment reports whether w (a word prefix) starts with NAME=.
func isAssignment(w string) bool {
	if len(w) == 0 || !isNameStart(w[0]) {
		return false
	}
	for i := 1; i < len(w); i++ {
		if w[i] == '=' {
			return true
		}
		if w[i] == '+' && i+1 < len(w) && w[i+1] == '=' {
			return true
		}
		if !isNameByte(w[i]) {
			return false
		}
	}
	return false
}

// isKeyword reports whether w is a reserved word after which a command
// name is still expected.
func isKeyword(w string) bool {
	switch w {
	case "!", "{", "if", "then", "else", "elif", "do", "while", "until", "time", "exec", "command", "nohup", "xargs", "sudo", "eval":
		return true
	}
	return false
}
