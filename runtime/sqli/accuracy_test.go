package sqli

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	libinjection "github.com/corazawaf/libinjection-go"

	"github.com/rasp-instrument/rasp-instrument/internal/corpustest"
)

// payloads returns the payload lines of the corpus file rel (e.g.
// "benign/blns.txt"). libinjection files use '#' comment lines and URL
// encoding; PayloadsAllTheThings files are raw.
func payloads(t *testing.T, rel string) []string {
	t.Helper()
	base := path.Base(rel)
	isLib := strings.HasPrefix(base, "libinjection")
	isBlns := base == "blns.txt"
	var out []string
	for _, l := range corpustest.Lines(t, rel) {
		l = strings.TrimRight(l, "\r\n")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if (isLib || isBlns) && strings.HasPrefix(l, "#") {
			continue
		}
		if isLib {
			if d, err := url.QueryUnescape(l); err == nil {
				l = d
			}
		}
		out = append(out, l)
	}
	return out
}

// template is a realistic query with one dynamic slot "{}".
type template struct {
	ctx      string // sq, dq, num, ident, query
	d        Dialect
	text     string
	harmless string
}

var templates = []template{
	{"sq", MySQL, "SELECT id, name FROM users WHERE name = '{}' AND active = 1 LIMIT 10", "x"},
	{"sq", Postgres, "UPDATE accounts SET bio = '{}' WHERE id = 42", "x"},
	{"sq", SQLite, "SELECT * FROM notes WHERE owner = 7 AND title LIKE '%{}%' ORDER BY id", "x"},
	{"dq", MySQL, "SELECT * FROM products WHERE title = \"{}\" ORDER BY price", "x"},
	{"num", SQLite, "SELECT * FROM orders WHERE customer_id = {} ORDER BY created_at DESC LIMIT 20", "1"},
	{"num", MySQL, "DELETE FROM sessions WHERE id = {}", "1"},
	{"ident", Postgres, "SELECT id, title FROM posts WHERE published ORDER BY {} LIMIT 50", "title"},
	{"query", Generic, "{}", "x"},
}

var contexts = []string{"sq", "dq", "num", "ident", "query"}

func (tp template) fill(v string) (string, []Span) {
	i := strings.Index(tp.text, "{}")
	return tp.text[:i] + v + tp.text[i+2:], []Span{{Start: i, End: i + len(v)}}
}

// refLex is the ground truth's own lexer, deliberately independent of the
// Tokenizer: a plain reading of each dialect's quoting and comment rules.
// It returns one class per token: "v" for any operand (word, number,
// string, quoted identifier), "c" for a comment, and the text itself for
// operators and punctuation.
func refLex(q string, d Dialect) []string {
	var out []string
	mysql := d == MySQL
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '\'' || c == '"' || c == '`' || (c == '[' && (d == SQLite || d == SQLServer || d == Generic)):
			end := c
			if c == '[' {
				end = ']'
			}
			j := i + 1
			for j < len(q) {
				if mysql && c != '`' && q[j] == '\\' {
					j += 2
					continue
				}
				if q[j] == end {
					if j+1 < len(q) && q[j+1] == end {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(q) {
				out = append(out, "unterminated")
				return out
			}
			out = append(out, "v")
			i = j + 1
		case c == '-' && strings.HasPrefix(q[i:], "--") && (!mysql || i+2 == len(q) || q[i+2] <= ' '),
			c == '#' && (mysql || d == Generic):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			out = append(out, "c")
			i += j
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				out = append(out, "unterminated")
				return out
			}
			out = append(out, "c")
			i += j + 4
		case c >= '0' && c <= '9' || c == '_' || c == '$' || c == '@' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			j := i + 1
			for j < len(q) {
				b := q[j]
				if (b == '-' || b == '+') && c >= '0' && c <= '9' && q[j-1]|0x20 == 'e' {
					j++
					continue
				}
				if b >= '0' && b <= '9' || b == '_' || b == '$' || b == '@' || b == '.' && c >= '0' && c <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80 {
					j++
					continue
				}
				break
			}
			// a prefixed string such as N'..' or E'..' is one operand
			if j == i+1 && j < len(q) && q[j] == '\'' {
				i = j
				continue
			}
			out = append(out, "v")
			i = j
		default:
			out = append(out, string(c))
			i++
		}
	}
	return out
}

// changesStructure is the ground truth: the payload changes the query's
// structure when the reference token classes of the filled template differ
// from those of the template filled with a harmless value.
func changesStructure(tp template, v string) bool {
	q, _ := tp.fill(v)
	h, _ := tp.fill(tp.harmless)
	a, b := refLex(q, tp.d), refLex(h, tp.d)
	return strings.Join(a, "\x00") != strings.Join(b, "\x00")
}

var baseline = regexp.MustCompile(`(?i)(\bOR\b\s+['"\d]|UNION\s+SELECT|;\s*DROP\s+TABLE|--\s*$|\/\*.*\*\/)`)

func libinj(s string) bool {
	ok, _ := libinjection.IsSQLi(s)
	return ok
}

type row struct {
	n, chg                       int
	dyn, dynExtra, cf, re, li    int // detections among changing payloads (dynExtra: flags on non-changing)
	fpDyn, fpCF, fpRe, fpLi, app int // benign: applicable inputs and false positives
}

func pct(a, b int) string {
	if b == 0 {
		return "   -  "
	}
	return fmt.Sprintf("%5.1f%%", 100*float64(a)/float64(b))
}

func TestAccuracyPayloads(t *testing.T) {
	files := corpustest.Glob(t, "sqli/*")
	total := map[string]*row{}
	for _, c := range contexts {
		total[c] = &row{}
	}
	var all row
	var missed []string
	t.Logf("detection rates are over the payloads that change the query's structure in that context (chg);")
	t.Logf("'flag!chg' counts dynamic-check findings on payloads that stay one token there (not attacks in that slot)")
	t.Logf("%-48s %-5s %5s %5s | %-18s | %-6s | %-7s | %-7s | %s", "payload file", "ctx", "n", "chg", "dynamic det/miss", "rules", "regex", "libinj", "flag!chg")
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, "LICENSE") {
			continue
		}
		lines := payloads(t, "sqli/"+base)
		li := make([]bool, len(lines))
		re := make([]bool, len(lines))
		for i, l := range lines {
			li[i] = libinj(l)
			re[i] = baseline.MatchString(l)
		}
		for _, c := range contexts {
			var r row
			for _, tp := range templates {
				if tp.ctx != c {
					continue
				}
				for i, l := range lines {
					r.n++
					q, dyn := tp.fill(l)
					_, flagged := Check(q, dyn, tp.d)
					if !changesStructure(tp, l) {
						if flagged {
							r.dynExtra++
						}
						continue
					}
					r.chg++
					if flagged {
						r.dyn++
					} else {
						missed = append(missed, fmt.Sprintf("%s %s %v: %q", base, c, tp.d, l))
					}
					if _, ok := Check(q, nil, tp.d); ok {
						r.cf++
					}
					if re[i] {
						r.re++
					}
					if li[i] {
						r.li++
					}
				}
			}
			t.Logf("%-48s %-5s %5d %5d | %5d %5d %s | %s | %s | %s | %d", base, c, r.n, r.chg, r.dyn, r.chg-r.dyn,
				pct(r.dyn, r.chg), pct(r.cf, r.chg), pct(r.re, r.chg), pct(r.li, r.chg), r.dynExtra)
			tot := total[c]
			for _, p := range []*row{tot, &all} {
				p.n += r.n
				p.chg += r.chg
				p.dyn += r.dyn
				p.dynExtra += r.dynExtra
				p.cf += r.cf
				p.re += r.re
				p.li += r.li
			}
		}
	}
	t.Logf("---- totals per context (detected among structure-changing payloads) ----")
	t.Logf("%-6s %6s %6s | %-22s | %-14s | %-14s | %-14s | %s", "ctx", "n", "chg", "dynamic det/miss", "rules (no spans)", "regex baseline", "libinjection", "dyn flags on non-changing")
	for _, c := range append(contexts, "ALL") {
		r := total[c]
		if c == "ALL" {
			r = &all
		}
		t.Logf("%-6s %6d %6d | %6d %5d %s | %6d %s | %6d %s | %6d %s | %d", c, r.n, r.chg, r.dyn, r.chg-r.dyn, pct(r.dyn, r.chg),
			r.cf, pct(r.cf, r.chg), r.re, pct(r.re, r.chg), r.li, pct(r.li, r.chg), r.dynExtra)
	}
	for i, m := range missed {
		if i >= 40 {
			t.Logf("... %d more misses", len(missed)-i)
			break
		}
		t.Logf("miss: %s", m)
	}
	if all.chg == 0 {
		t.Fatal("no structure-changing payloads")
	}
	if float64(all.dyn) < 0.99*float64(all.chg) {
		t.Errorf("dynamic-part check detected %d of %d structure-changing payloads (< 99%%)", all.dyn, all.chg)
	}
}

// blnsExcluded lists big-list-of-naughty-strings lines that are themselves
// SQL injections (its "SQL Injection" section): a detector that flags them
// on sight is right, so they are not counted as false positives.
var blnsExcluded = map[string]string{
	"1;DROP TABLE users":       "stacked DROP TABLE payload",
	"1'; DROP TABLE users-- 1": "quote break, stacked DROP TABLE, comment",
	"' OR 1=1 -- 1":            "quote break, tautology, comment",
	"' OR '1'='1":              "quote break, tautology",
	"'; EXEC sp_MSForEachTable 'DROP TABLE ?'; --": "quote break, stacked EXEC",
}

// escapeFor quotes v the way the dialect expects inside the template's
// context; ok is false when v cannot be put in that context (a non-number
// in a number slot, a value in the whole-query slot).
func escapeFor(tp template, v string) (string, bool) {
	switch tp.ctx {
	case "sq":
		if tp.d == MySQL {
			v = strings.ReplaceAll(v, `\`, `\\`)
		}
		return strings.ReplaceAll(v, "'", "''"), true
	case "dq":
		if tp.d == MySQL {
			v = strings.ReplaceAll(v, `\`, `\\`)
		}
		return strings.ReplaceAll(v, `"`, `""`), true
	case "num":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "", false
		}
		for i := 0; i < len(v); i++ {
			c := v[i]
			if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || (c == '-' || c == '+') && (i == 0 || v[i-1]|0x20 == 'e')) {
				return "", false
			}
		}
		return v, true
	case "ident":
		if strings.IndexByte(v, 0) >= 0 {
			return "", false // no dialect accepts NUL in an identifier
		}
		return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`, true
	}
	return "", false
}

func TestAccuracyBenign(t *testing.T) {
	var all row
	t.Logf("%-36s %-5s %5s | %-14s | %-14s | %-14s | %-14s", "benign file", "ctx", "n", "dynamic FP", "rules FP", "regex FP", "libinj FP")
	for _, name := range []string{"blns.txt", "libinjection-false_positives.txt"} {
		lines := payloads(t, "benign/"+name)
		for _, c := range contexts[:4] {
			var r row
			for _, tp := range templates {
				if tp.ctx != c {
					continue
				}
				for _, l := range lines {
					if _, ex := blnsExcluded[l]; ex && name == "blns.txt" {
						continue
					}
					v, ok := escapeFor(tp, l)
					if !ok {
						continue
					}
					r.app++
					q, dyn := tp.fill(v)
					if changesStructure(tp, strings.TrimLeft(v, "+-")) {
						t.Errorf("escaping broke the structure: %q", q)
					}
					if f, ok := Check(q, dyn, tp.d); ok {
						r.fpDyn++
						t.Logf("dynamic FP: %s %v %q %+v", name, tp.d, q, f)
					}
					if f, ok := Check(q, nil, tp.d); ok {
						r.fpCF++
						t.Logf("rules FP: %s %v %q %+v", name, tp.d, q, f)
					}
					if baseline.MatchString(l) {
						r.fpRe++
					}
					if libinj(l) {
						r.fpLi++
					}
				}
			}
			t.Logf("%-36s %-5s %5d | %5d %s | %5d %s | %5d %s | %5d %s", name, c, r.app, r.fpDyn, pct(r.fpDyn, r.app),
				r.fpCF, pct(r.fpCF, r.app), r.fpRe, pct(r.fpRe, r.app), r.fpLi, pct(r.fpLi, r.app))
			all.app += r.app
			all.fpDyn += r.fpDyn
			all.fpCF += r.fpCF
			all.fpRe += r.fpRe
			all.fpLi += r.fpLi
		}
	}
	t.Logf("%-36s %-5s %5d | %5d %s | %5d %s | %5d %s | %5d %s", "ALL", "", all.app, all.fpDyn, pct(all.fpDyn, all.app),
		all.fpCF, pct(all.fpCF, all.app), all.fpRe, pct(all.fpRe, all.app), all.fpLi, pct(all.fpLi, all.app))
	if all.app == 0 {
		t.Fatal("no benign inputs")
	}
	if float64(all.fpDyn) > 0.005*float64(all.app) {
		t.Errorf("dynamic-part check: %d false positives of %d (> 0.5%%)", all.fpDyn, all.app)
	}
	if float64(all.fpCF) > 0.005*float64(all.app) {
		t.Errorf("context-free rules: %d false positives of %d (> 0.5%%)", all.fpCF, all.app)
	}
}

type appQuery struct {
	file, text string
	d          Dialect
}

// sqlcQueries splits sqlc-app-queries.sql into its "-- name:" blocks.
func sqlcQueries(t *testing.T) []appQuery {
	b, err := os.ReadFile(corpustest.Path(t, "benign/sqlc-app-queries.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var out []appQuery
	file := ""
	var cur []string
	flush := func() {
		txt := strings.TrimSpace(strings.Join(cur, "\n"))
		cur = nil
		if txt == "" {
			return
		}
		d := Generic
		switch {
		case strings.Contains(file, "/mysql/"):
			d = MySQL
		case strings.Contains(file, "/postgresql/") || strings.Contains(file, "/pgx/") || strings.Contains(file, "/postgres/"):
			d = Postgres
		case strings.Contains(file, "/sqlite/"):
			d = SQLite
		}
		out = append(out, appQuery{file, txt, d})
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "-- file:") {
			flush()
			file = l
			continue
		}
		if strings.HasPrefix(l, "-- name:") || strings.HasPrefix(l, "/* name:") || strings.HasPrefix(l, "# name:") {
			flush()
		}
		cur = append(cur, l)
	}
	flush()
	return out
}

func TestAccuracyAppQueries(t *testing.T) {
	qs := sqlcQueries(t)
	if len(qs) < 1500 {
		t.Fatalf("only %d queries parsed", len(qs))
	}
	var fpRules, fpRulesGeneric, fpCheck, fpRe, fpLi, noPH int
	for _, q := range qs {
		if f, ok := checkRules(q.text, q.d, false); ok {
			fpRules++
			t.Errorf("rules FP (%v): %+v %q\n%s", q.d, f, q.text[f.Start:f.End], q.text)
		}
		if f, ok := checkRules(q.text, Generic, false); ok {
			fpRulesGeneric++
			t.Errorf("rules FP (generic): %+v %q\n%s", f, q.text[f.Start:f.End], q.text)
		}
		if _, ok := Check(q.text, nil, q.d); ok {
			fpCheck++
		}
		if _, ok := checkRules(q.text, q.d, true); !ok {
			tz := NewTokenizer(q.text, q.d)
			has := false
			for tk := tz.Next(); tk.Kind != KindEOF; tk = tz.Next() {
				has = has || tk.Kind == KindPlaceholder
			}
			if !has {
				noPH++
			}
		}
		if baseline.MatchString(q.text) {
			fpRe++
		}
		if libinj(q.text) {
			fpLi++
		}
	}
	t.Logf("sqlc app queries: %d (%d without placeholders)", len(qs), noPH)
	t.Logf("false positives: rules (own dialect, no fast path) %d, rules (generic) %d, Check %d, regex %d (%s), libinjection %d (%s)",
		fpRules, fpRulesGeneric, fpCheck, fpRe, pct(fpRe, len(qs)), fpLi, pct(fpLi, len(qs)))
}
