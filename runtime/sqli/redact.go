package sqli

import "strings"

// Redact returns query with every literal replaced by ?, comments kept as
// markers, for events. Strings (including MySQL double-quoted strings, and
// double-quoted tokens under Generic, where they may be strings), numbers,
// MySQL variables given as quoted names and comment bodies never reach the
// output; identifiers, keywords, operators and placeholders are kept.
// Comments become "/**/", "--" or "#" so the event still shows where one was.
// Whitespace runs are kept as they are.
func Redact(query string, d Dialect) string {
	var b strings.Builder
	b.Grow(len(query))
	tz := NewTokenizer(query, d)
	last := 0
	for {
		t := tz.Next()
		if t.Kind == KindEOF {
			break
		}
		var repl string
		switch t.Kind {
		case KindString, KindNumber:
			repl = "?"
		case KindQuotedIdent:
			if d == Generic && query[t.Start] == '"' {
				repl = "?"
			} else {
				continue
			}
		case KindVariable:
			if t.Open() == 2 { // @'name'
				repl = "@?"
			} else {
				continue
			}
		case KindComment:
			switch {
			case query[t.Start] == '#':
				repl = "#"
			case query[t.Start] == '-':
				repl = "--"
			default:
				repl = "/**/"
			}
		case KindInvalid:
			if query[t.Start] < 0x20 || query[t.Start] == 0x7f {
				repl = "?"
			} else {
				continue
			}
		default:
			continue
		}
		b.WriteString(query[last:t.Start])
		b.WriteString(repl)
		last = t.End
	}
	b.WriteString(query[last:])
	return b.String()
}
