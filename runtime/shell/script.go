package shell

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

const maxDepth = 40

// scanner is the state of the shell tokenizer. It lives on the stack.
type scanner struct {
	stack    [maxDepth]uint8
	depth    int
	overflow bool
}

func (s *scanner) top() uint8 {
	if s.depth == 0 {
		return ctxCmd
	}
	return s.stack[s.depth-1]
}

func (s *scanner) push(c uint8) {
	if s.depth == maxDepth {
		s.overflow = true
		return
	}
	s.stack[s.depth] = c
	s.depth++
}

func (s *scanner) pop() {
	if s.depth > 0 {
		s.depth--
	}
}

func isCmdCtx(c uint8) bool { return c == ctxCmd || c == ctxCS || c == ctxSub || c == ctxBQ }

func isNameStart(c byte) bool { return c == '_' || isLetter(c) }

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
// the span is an injection.
func judgeSpan(script string, s, e int) bool {
	var sc scanner
	var snap [maxDepth]uint8
	d0 := -1
	n := len(script)
	wordStart := true // next byte starts a word
	cmdStart := true  // next word is in command-name position
	inCmdWord := false
	wsIdx := 0 // start of the current word
	i := 0
	for i < n {
		if i == s {
			d0 = sc.depth
			snap = sc.stack
		}
		if i >= e {
			break
		}
		in := i >= s
		if sc.overflow {
			return true
		}
		c := script[i]
		top := sc.top()
		if in && sc.depth < d0 && isCmdCtx(top) && (c == ' ' || c == '\t') {
			return true // broke out of the template's quotes and split words
		}
		switch top {
		case ctxSQ:
			if c == '\'' {
				sc.pop()
			}
			i++
			continue
		case ctxANSI:
			if c == '\\' {
				if in && i+1 >= e && i+1 < n && !isPlain(script[i+1]) {
					return true
				}
				i += 2
				continue
			}
			if c == '\'' {
				sc.pop()
			}
			i++
			continue
		case ctxDQ, ctxPE, ctxAR, ctxAP:
			switch c {
			case '\\':
				if i+1 < n {
					nx := script[i+1]
					if top != ctxDQ || nx == '$' || nx == '`' || nx == '"' || nx == '\\' || nx == '\n' {
						if in && i+1 >= e && !isPlain(nx) {
							return true
						}
						i += 2
						continue
					}
				}
				i++
				continue
			case '"':
				if top == ctxDQ {
					sc.pop()
				} else if top == ctxPE {
					sc.push(ctxDQ)
				}
				i++
				continue
			case '\'':
				if top == ctxPE {
					sc.push(ctxSQ)
				}
				i++
				continue
			case '}':
				if top == ctxPE {
					sc.pop()
				}
				i++
				continue
			case '(':
				if top == ctxAR || top == ctxAP {
					if in {
						return true
					}
					sc.push(ctxAP)
				}
				i++
				continue
			case ')':
				if top == ctxAP {
					if in {
						return true
					}
					sc.pop()
				} else if top == ctxAR && i+1 < n && script[i+1] == ')' {
					if in {
						return true
					}
					sc.pop()
					i += 2
					continue
				}
				i++
				continue
			case '$':
				adv, exp := dollar(&sc, script, i)
				if exp && in {
					return true
				}
				i += adv
				continue
			case '`':
				if in {
					return true
				}
				sc.push(ctxBQ)
				i++
				continue
			}
			i++
			continue
		}
		// Command contexts: ctxCmd, ctxCS, ctxSub, ctxBQ.
		switch c {
		case ' ', '\t':
			if !wordStart {
				endWord(script, wsIdx, i, &cmdStart)
			}
			wordStart, inCmdWord = true, false
			i++
			continue
		case '\n', ';', '&', '|', '(', ')', '<', '>':
			if in {
				return true
			}
			if !wordStart {
				endWord(script, wsIdx, i, &cmdStart)
			}
			wordStart, inCmdWord = true, false
			switch c {
			case '<', '>':
				// redirection target follows; command position unchanged
			case ')':
				if top == ctxCS || top == ctxSub {
					sc.pop()
				}
				cmdStart = false
			case '(':
				sc.push(ctxSub)
				cmdStart = true
			default:
				cmdStart = true
			}
			i++
			continue
		case '#':
			if wordStart {
				if in {
					return true
				}
				for i < n && script[i] != '\n' {
					if i >= s && i < e {
						return true
					}
					i++
				}
				continue
			}
		case '`':
			if in {
				return true
			}
			if top == ctxBQ {
				sc.pop()
			} else {
				sc.push(ctxBQ)
				wordStart, cmdStart, inCmdWord = true, true, false
				i++
				continue
			}
			i++
			continue
		}
		// A byte that is part of a word.
		if wordStart {
			wordStart = false
			wsIdx = i
			inCmdWord = cmdStart
		}
		if in && inCmdWord && !isAssignment(script[wsIdx:i+1]) {
			return true // dynamic command name
		}
		switch c {
		case '\\':
			if i+1 < n {
				if in && i+1 >= e && !isPlain(script[i+1]) {
					return true
				}
				if script[i+1] == '\n' {
					i += 2
					continue
				}
				i += 2
				continue
			}
		case '\'':
			sc.push(ctxSQ)
		case '"':
			sc.push(ctxDQ)
		case '$':
			adv, exp := dollar(&sc, script, i)
			if exp {
				if in {
					return true
				}
				if sc.top() == ctxCS {
					wordStart, cmdStart, inCmdWord = true, true, false
				}
			}
			i += adv
			continue
		}
		i++
	}
	if d0 < 0 {
		return false
	}
	if sc.overflow || sc.depth != d0 {
		return true
	}
	for k := 0; k < d0; k++ {
		if sc.stack[k] != snap[k] {
			return true
		}
	}
	return false
}

// endWord updates the command-position flag at the end of word
// script[ws:end].
func endWord(script string, ws, end int, cmdStart *bool) {
	if !*cmdStart {
		return
	}
	w := script[ws:end]
	if isKeyword(w) || isAssignment(w) {
		return
	}
	*cmdStart = false
}

// dollar handles a '$' at script[i]: it pushes the context it opens and
// returns how many bytes to advance and whether it starts an expansion or
// substitution.
func dollar(sc *scanner, script string, i int) (int, bool) {
	if i+1 >= len(script) {
		return 1, false
	}
	nx := script[i+1]
	switch {
	case nx == '(':
		if i+2 < len(script) && script[i+2] == '(' {
			sc.push(ctxAR)
			return 3, true
		}
		sc.push(ctxCS)
		return 2, true
	case nx == '{':
		sc.push(ctxPE)
		return 2, true
	case nx == '[': // obsolete $[ ] arithmetic
		return 2, true
	case nx == '\'':
		if sc.top() == ctxDQ {
			return 1, false
		}
		sc.push(ctxANSI)
		return 2, false
	case nx == '"':
		if sc.top() == ctxDQ {
			return 1, false
		}
		sc.push(ctxDQ)
		return 2, false
	case isNameStart(nx):
		j := i + 2
		for j < len(script) && isNameByte(script[j]) {
			j++
		}
		return j - i, true
	case isSpecialParam(nx):
		return 2, true
	}
	return 1, false
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
