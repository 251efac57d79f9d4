package sqli

import "strings"

// Kind classifies a Token.
type Kind uint8

// Token kinds produced by the Tokenizer. Whitespace is never returned.
const (
	// KindEOF marks the end of the input; its Start and End equal len(query).
	KindEOF Kind = iota
	// KindWord is a bare word: a keyword, an identifier or a function name.
	KindWord
	// KindQuotedIdent is a delimited identifier: "x" (outside MySQL), `x`, [x].
	KindQuotedIdent
	// KindString is a string literal: '..', E'..', N'..', X'..', B'..',
	// $tag$..$tag$, and ".." in MySQL.
	KindString
	// KindNumber is a numeric literal: 1, 1.5, .5e-3, 0x1F, 0b101.
	KindNumber
	// KindPlaceholder is a bind parameter: ?, ?1, $1, :name, @name (outside MySQL and PostgreSQL).
	KindPlaceholder
	// KindVariable is a MySQL-style user or system variable: @v, @'v', @@version.
	KindVariable
	// KindOperator is an operator such as =, <>, ||, ::, :=, ->>.
	KindOperator
	// KindPunct is one of ( ) , ; . { }, or [ ] where brackets are not identifiers.
	KindPunct
	// KindComment is a comment: -- .., # .. (MySQL), /* .. */.
	KindComment
	// KindExecOpen opens a MySQL executable comment ("/*!" or "/*!50000"): the
	// text up to the matching "*/" is code, returned as ordinary tokens.
	KindExecOpen
	// KindExecClose is the "*/" that closes a MySQL executable comment.
	KindExecClose
	// KindInvalid is a byte that starts no token (NUL, control characters, a stray quote-less symbol).
	KindInvalid
)

var kindNames = [...]string{"EOF", "Word", "QuotedIdent", "String", "Number", "Placeholder",
	"Variable", "Operator", "Punct", "Comment", "ExecOpen", "ExecClose", "Invalid"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind?"
}

// Token flags.
const (
	// FlagUnterminated marks a string, quoted identifier or block comment that
	// runs to the end of the input without its closing delimiter.
	FlagUnterminated uint8 = 1 << iota
	// FlagBackslash marks a string or quoted identifier in which a backslash
	// escapes the next byte.
	FlagBackslash
	// FlagNested marks a block comment that allows nested /* */ pairs (PostgreSQL, SQL Server).
	FlagNested
)

// Token is one lexical unit of a query: the half-open byte range
// [Start, End) and how it was classified.
type Token struct {
	Start, End int
	Kind       Kind
	info       uint32 // flags | open<<8 | close<<16; at most four fields keep Token in registers
}

func mk(k Kind, flags uint8, open, close, start, end int) Token {
	return Token{Start: start, End: end, Kind: k, info: uint32(flags) | uint32(open)<<8 | uint32(close)<<16}
}

// Flags returns the token's flags (FlagUnterminated, FlagBackslash, FlagNested).
func (t Token) Flags() uint8 { return uint8(t.info) }

// Open returns the length of the token's opening delimiter ("'" is 1,
// "E'" and "/*" are 2, "$tag$" is 5), 0 for undelimited tokens.
func (t Token) Open() int { return int(uint8(t.info >> 8)) }

// Close returns the length of the token's closing delimiter, 0 when the
// token is unterminated, is a line comment or is undelimited.
func (t Token) Close() int { return int(uint8(t.info >> 16)) }

// Text returns the token's bytes in q.
func (t Token) Text(q string) string { return q[t.Start:t.End] }

// Is reports whether the token is the single byte c (punctuation or operator).
func (t Token) is(q string, c byte) bool { return t.End-t.Start == 1 && q[t.Start] == c }

// rules holds the lexical switches of a dialect.
type rules struct {
	hashComment   bool // # starts a line comment
	dashNeedSpace bool // -- starts a comment only before whitespace (MySQL)
	nestComments  bool // /* */ nest
	execComments  bool // /*! ... */ is code
	backslash     bool // backslash escapes in '..' and ".."
	dqString      bool // ".." is a string rather than an identifier
	backtick      bool // `x` identifiers
	brackets      bool // [x] identifiers
	dollarQuote   bool // $tag$..$tag$
	dollarParam   bool // $1
	eStrings      bool // E'..'
	colonParam    bool // :name
	atParam       bool // @name is a placeholder
	atVar         bool // @name / @@name are variables
	qParam        bool // ? is a placeholder
	hashWord      bool // #temp identifiers (SQL Server)
}

func rulesFor(d Dialect, backslash bool) rules {
	switch d {
	case SQLite:
		return rules{backtick: true, brackets: true, dollarParam: true, colonParam: true, atParam: true, qParam: true}
	case Postgres:
		return rules{nestComments: true, dollarQuote: true, dollarParam: true, eStrings: true}
	case MySQL:
		return rules{hashComment: true, dashNeedSpace: true, execComments: true, backslash: true,
			dqString: true, backtick: true, atVar: true, qParam: true}
	case SQLServer:
		return rules{nestComments: true, brackets: true, atParam: true, qParam: true, hashWord: true}
	}
	// Generic: the union of the rules above, read so that anything a
	// dialect would see as code is seen as code.
	return rules{hashComment: true, execComments: true, backslash: backslash, backtick: true,
		brackets: true, dollarQuote: true, dollarParam: true, eStrings: true, colonParam: true,
		atParam: true, atVar: true, qParam: true}
}

// Tokenizer splits a query into Tokens. The zero value is not usable; build
// one with NewTokenizer. A Tokenizer does not allocate and may be copied to
// look ahead.
type Tokenizer struct {
	src    string
	pos    int
	r      rules
	inExec bool
}

// NewTokenizer returns a Tokenizer over query using the lexical rules of d.
func NewTokenizer(query string, d Dialect) Tokenizer {
	if int(d) < len(dialectRules) {
		return Tokenizer{src: query, r: dialectRules[d]}
	}
	return Tokenizer{src: query, r: dialectRules[Generic]}
}

var dialectRules [SQLServer + 1]rules

func init() {
	for d := range dialectRules {
		dialectRules[d] = rulesFor(Dialect(d), false)
	}
}

// newTokenizerBS is NewTokenizer with backslash escapes forced on (used for
// the second reading of Generic queries).
func newTokenizerBS(query string, d Dialect, bs bool) Tokenizer {
	t := Tokenizer{src: query, r: rulesFor(d, bs)}
	if bs {
		t.r.backslash = true
	}
	return t
}

// Pos returns the byte offset where the next token will be searched.
func (t *Tokenizer) Pos() int { return t.pos }

// byte classes
const (
	cSpace = 1 << iota
	cWordStart
	cWord
	cDigit
	cOp
)

var class [256]uint8

func init() {
	for _, c := range " \t\n\r\f\v" {
		class[c] |= cSpace
	}
	for c := 'a'; c <= 'z'; c++ {
		class[c] |= cWordStart | cWord
		class[c-32] |= cWordStart | cWord
	}
	for c := 0x80; c < 0x100; c++ {
		class[c] |= cWordStart | cWord
	}
	class['_'] |= cWordStart | cWord
	class['$'] |= cWord
	for c := '0'; c <= '9'; c++ {
		class[c] |= cDigit | cWord
	}
	for _, c := range "+-*/<>=~!@#%^&|?:" {
		class[c] |= cOp
	}
}

// stepHook, when set (by the tests), is told how many bytes each call of
// Next stepped over: the tests prove the checks linear by counting the
// bytes every tokenizer pass covers, not by timing them.
var stepHook func(bytes int)

// Next returns the next token, or a KindEOF token at the end of the input.
// It runs in time linear in the length of the token it returns.
func (t *Tokenizer) Next() Token {
	from := t.pos
	tok := t.next()
	if stepHook != nil {
		stepHook(t.pos - from)
	}
	return tok
}

func (t *Tokenizer) next() Token {
	s := t.src
	i := t.pos
	for i < len(s) && class[s[i]]&cSpace != 0 {
		i++
	}
	if i >= len(s) {
		t.pos = len(s)
		return mk(KindEOF, 0, 0, 0, len(s), len(s))
	}
	// fast path for the commonest token: a bare word
	if c := s[i]; class[c]&cWordStart != 0 && (i+1 >= len(s) || s[i+1] != '\'') {
		j := i + 1
		for j < len(s) && class[s[j]]&cWord != 0 {
			j++
		}
		t.pos = j
		return mk(KindWord, 0, 0, 0, i, j)
	}
	return t.lex(i)
}

// emit records the end of tok as the resume position and returns tok.
func (t *Tokenizer) emit(tok Token) Token {
	t.pos = tok.End
	return tok
}

func (t *Tokenizer) lex(i int) Token {
	s := t.src
	c := s[i]
	r := &t.r
	switch {
	case class[c]&cWordStart != 0:
		// prefixed strings: N'..', X'..', B'..', E'..'
		if i+1 < len(s) && s[i+1] == '\'' {
			switch c | 0x20 {
			case 'n', 'x', 'b':
				return t.quoted(i, 2, '\'', KindString, r.backslash)
			case 'e':
				if r.eStrings {
					return t.quoted(i, 2, '\'', KindString, true)
				}
			}
		}
		j := i + 1
		for j < len(s) && class[s[j]]&cWord != 0 {
			j++
		}
		return t.emit(mk(KindWord, 0, 0, 0, i, j))
	case class[c]&cDigit != 0:
		return t.number(i)
	}
	switch c {
	case '\'':
		return t.quoted(i, 1, '\'', KindString, r.backslash)
	case '"':
		if r.dqString {
			return t.quoted(i, 1, '"', KindString, r.backslash)
		}
		// In the Generic union a backslash may escape here too (MySQL).
		return t.quoted(i, 1, '"', KindQuotedIdent, r.backslash)
	case '`':
		if r.backtick {
			return t.quoted(i, 1, '`', KindQuotedIdent, false)
		}
	case '[':
		if r.brackets {
			return t.quoted(i, 1, ']', KindQuotedIdent, false)
		}
		return t.emit(mk(KindPunct, 0, 0, 0, i, i+1))
	case ']', '(', ')', ',', ';', '{', '}':
		return t.emit(mk(KindPunct, 0, 0, 0, i, i+1))
	case '.':
		if i+1 < len(s) && class[s[i+1]]&cDigit != 0 {
			return t.number(i)
		}
		return t.emit(mk(KindPunct, 0, 0, 0, i, i+1))
	case '-':
		if i+1 < len(s) && s[i+1] == '-' {
			if !r.dashNeedSpace || i+2 >= len(s) || s[i+2] <= ' ' {
				return t.lineComment(i, 2)
			}
		}
	case '#':
		if r.hashWord && i+1 < len(s) && (class[s[i+1]]&cWord != 0 || s[i+1] == '#') {
			j := i + 1
			for j < len(s) && (class[s[j]]&cWord != 0 || s[j] == '#') {
				j++
			}
			return t.emit(mk(KindWord, 0, 0, 0, i, j))
		}
		if r.hashComment {
			return t.lineComment(i, 1)
		}
	case '/':
		if i+1 < len(s) && s[i+1] == '*' {
			if r.execComments && i+2 < len(s) && s[i+2] == '!' && !t.inExec {
				j := i + 3
				for j < len(s) && j < i+9 && class[s[j]]&cDigit != 0 {
					j++
				}
				t.inExec = true
				return t.emit(mk(KindExecOpen, 0, 0, 0, i, j))
			}
			return t.blockComment(i)
		}
	case '*':
		if t.inExec && i+1 < len(s) && s[i+1] == '/' {
			t.inExec = false
			return t.emit(mk(KindExecClose, 0, 0, 0, i, i+2))
		}
	case '$':
		if i+1 < len(s) {
			n := s[i+1]
			if class[n]&cDigit != 0 && r.dollarParam {
				j := i + 2
				for j < len(s) && class[s[j]]&cDigit != 0 {
					j++
				}
				return t.emit(mk(KindPlaceholder, 0, 0, 0, i, j))
			}
			if r.dollarQuote && (n == '$' || (class[n]&cWordStart != 0 && n < 0x80)) {
				if tok, ok := t.dollar(i); ok {
					return tok
				}
			}
		}
		return t.emit(mk(KindInvalid, 0, 0, 0, i, i+1))
	case '?':
		if r.qParam {
			// ?| ?& ?? stay operators (PostgreSQL JSON) only when not a param dialect
			j := i + 1
			for j < len(s) && class[s[j]]&cDigit != 0 {
				j++
			}
			return t.emit(mk(KindPlaceholder, 0, 0, 0, i, j))
		}
	case ':':
		if r.colonParam && i+1 < len(s) && class[s[i+1]]&cWordStart != 0 && (i == 0 || s[i-1] != ':') {
			j := i + 2
			for j < len(s) && class[s[j]]&cWord != 0 {
				j++
			}
			return t.emit(mk(KindPlaceholder, 0, 0, 0, i, j))
		}
	case '@':
		if i+1 < len(s) {
			n := s[i+1]
			if n == '@' && i+2 < len(s) && class[s[i+2]]&cWordStart != 0 && (r.atVar || r.atParam) {
				j := i + 3
				for j < len(s) && (class[s[j]]&cWord != 0 || s[j] == '.') {
					j++
				}
				return t.emit(mk(KindVariable, 0, 0, 0, i, j))
			}
			if class[n]&cWordStart != 0 && (r.atVar || r.atParam) {
				j := i + 2
				for j < len(s) && (class[s[j]]&cWord != 0 || (r.atVar && s[j] == '.')) {
					j++
				}
				k := KindVariable
				if r.atParam {
					k = KindPlaceholder
				}
				return t.emit(mk(k, 0, 0, 0, i, j))
			}
			if r.atVar && (n == '\'' || n == '"' || n == '`') {
				tok := t.quoted(i, 2, n, KindVariable, r.backslash && n != '`')
				return tok
			}
		}
	}
	if class[c]&cOp != 0 {
		return t.emit(mk(KindOperator, 0, 0, 0, i, i+opLen(s, i)))
	}
	return t.emit(mk(KindInvalid, 0, 0, 0, i, i+1))
}

// opLen returns the length of the operator starting at s[i].
func opLen(s string, i int) int {
	if i+1 >= len(s) {
		return 1
	}
	a, b := s[i], s[i+1]
	if i+2 < len(s) {
		c := s[i+2]
		switch {
		case a == '<' && b == '=' && c == '>', a == '-' && b == '>' && c == '>',
			a == '#' && b == '>' && c == '>', a == '!' && b == '~' && c == '*':
			return 3
		}
	}
	switch a {
	case '<':
		if b == '=' || b == '>' || b == '<' || b == '@' {
			return 2
		}
	case '>':
		if b == '=' || b == '>' {
			return 2
		}
	case '!':
		if b == '=' || b == '~' || b == '!' || b == '<' || b == '>' {
			return 2
		}
	case '=':
		if b == '=' {
			return 2
		}
	case '|':
		if b == '|' {
			return 2
		}
	case '&':
		if b == '&' {
			return 2
		}
	case ':':
		if b == ':' || b == '=' {
			return 2
		}
	case '-':
		if b == '>' {
			return 2
		}
	case '#':
		if b == '>' || b == '-' {
			return 2
		}
	case '@':
		if b == '>' || b == '@' {
			return 2
		}
	case '~':
		if b == '*' {
			return 2
		}
	case '?':
		if b == '|' || b == '&' {
			return 2
		}
	}
	return 1
}

// quoted scans a delimited token whose opening delimiter is open bytes long
// and whose closing byte is q; a doubled q stands for itself.
func (t *Tokenizer) quoted(i, open int, q byte, k Kind, bs bool) Token {
	s := t.src
	j := i + open
	var fl uint8
	if bs {
		fl = FlagBackslash
		for j < len(s) {
			c := s[j]
			if c == '\\' {
				j += 2
				continue
			}
			if c == q {
				if j+1 < len(s) && s[j+1] == q {
					j += 2
					continue
				}
				return t.emit(mk(k, fl, open, 1, i, j+1))
			}
			j++
		}
	} else {
		for j < len(s) {
			n := strings.IndexByte(s[j:], q)
			if n < 0 {
				break
			}
			j += n
			if j+1 < len(s) && s[j+1] == q {
				j += 2
				continue
			}
			return t.emit(mk(k, 0, open, 1, i, j+1))
		}
	}
	return t.emit(mk(k, fl|FlagUnterminated, open, 0, i, len(s)))
}

func (t *Tokenizer) lineComment(i, open int) Token {
	s := t.src
	j := i + open
	for j < len(s) && s[j] != '\n' && s[j] != '\r' {
		j++
	}
	return t.emit(mk(KindComment, 0, open, 0, i, j))
}

func (t *Tokenizer) blockComment(i int) Token {
	s := t.src
	j := i + 2
	if t.r.nestComments {
		depth := 1
		for j+1 < len(s) {
			switch {
			case s[j] == '/' && s[j+1] == '*':
				depth++
				j += 2
			case s[j] == '*' && s[j+1] == '/':
				depth--
				j += 2
				if depth == 0 {
					return t.emit(mk(KindComment, FlagNested, 2, 2, i, j))
				}
			default:
				j++
			}
		}
		return t.emit(mk(KindComment, FlagNested|FlagUnterminated, 2, 0, i, len(s)))
	}
	for j < len(s) {
		n := strings.IndexByte(s[j:], '*')
		if n < 0 {
			break
		}
		j += n
		if j+1 < len(s) && s[j+1] == '/' {
			return t.emit(mk(KindComment, 0, 2, 2, i, j+2))
		}
		j++
	}
	return t.emit(mk(KindComment, FlagUnterminated, 2, 0, i, len(s)))
}

// dollar scans $tag$...$tag$.
func (t *Tokenizer) dollar(i int) (Token, bool) {
	s := t.src
	j := i + 1
	for j < len(s) && j-i < 64 && s[j] != '$' && class[s[j]]&cWord != 0 && s[j] < 0x80 {
		j++
	}
	if j >= len(s) || s[j] != '$' {
		return Token{}, false
	}
	tag := s[i : j+1]
	body := j + 1
	n := strings.Index(s[body:], tag)
	if n < 0 {
		return t.emit(mk(KindString, FlagUnterminated, len(tag), 0, i, len(s))), true
	}
	return t.emit(mk(KindString, 0, len(tag), len(tag), i, body+n+len(tag))), true
}

func (t *Tokenizer) number(i int) Token {
	s := t.src
	j := i
	if s[j] == '0' && j+2 < len(s) {
		switch s[j+1] | 0x20 {
		case 'x':
			k := j + 2
			for k < len(s) && isHex(s[k]) {
				k++
			}
			if k > j+2 {
				return t.emit(mk(KindNumber, 0, 0, 0, i, k))
			}
		case 'b':
			k := j + 2
			for k < len(s) && (s[k] == '0' || s[k] == '1') {
				k++
			}
			if k > j+2 && (k == len(s) || class[s[k]]&cWord == 0) {
				return t.emit(mk(KindNumber, 0, 0, 0, i, k))
			}
		}
	}
	for j < len(s) && class[s[j]]&cDigit != 0 {
		j++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && class[s[j]]&cDigit != 0 {
			j++
		}
	}
	if j < len(s) && (s[j]|0x20) == 'e' {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && class[s[k]]&cDigit != 0 {
			for k < len(s) && class[s[k]]&cDigit != 0 {
				k++
			}
			j = k
		}
	}
	return t.emit(mk(KindNumber, 0, 0, 0, i, j))
}

func isHex(c byte) bool {
	return class[c]&cDigit != 0 || (c|0x20 >= 'a' && c|0x20 <= 'f')
}
