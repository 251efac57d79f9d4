package shell

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/internal/corpustest"
)

// ---- An independent, deliberately simple shell lexer used as ground truth.
// It returns token kinds: W word, O<op>, S substitution start, P parameter
// expansion, C comment, E unterminated construct.

func gtLex(s string, i int, stop byte) ([]string, int) {
	var toks []string
	for i < len(s) {
		c := s[i]
		switch {
		case c == stop:
			return toks, i
		case c == ' ' || c == '\t':
			i++
		case c == '\n':
			toks = append(toks, "O\\n")
			i++
		case strings.IndexByte(";&|<>()", c) >= 0:
			op := s[i : i+1]
			if i+1 < len(s) {
				two := s[i : i+2]
				for _, o := range []string{"&&", "||", ";;", ">>", "<<", ">&", "<&", "|&", "&>", ">|"} {
					if two == o {
						op = two
					}
				}
			}
			toks = append(toks, "O"+op)
			i += len(op)
			if c == '(' {
				var in []string
				in, i = gtLex(s, i, ')')
				toks = append(toks, in...)
				if i >= len(s) {
					return append(toks, "E"), i
				}
				toks = append(toks, "O)")
				i++
			}
		case c == '#':
			toks = append(toks, "C")
			for i < len(s) && s[i] != '\n' {
				i++
			}
		default:
			var in []string
			in, i = gtWord(s, i, stop)
			toks = append(toks, "W")
			toks = append(toks, in...)
		}
	}
	return toks, i
}

func gtWord(s string, i int, stop byte) ([]string, int) {
	var toks []string
	for i < len(s) {
		c := s[i]
		if c == stop || c == ' ' || c == '\t' || c == '\n' || strings.IndexByte(";&|<>()", c) >= 0 {
			return toks, i
		}
		switch c {
		case '\\':
			i += 2
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return append(toks, "E"), len(s)
			}
			i += j + 2
		case '"':
			i++
			for {
				if i >= len(s) {
					return append(toks, "E"), i
				}
				if s[i] == '"' {
					i++
					break
				}
				if s[i] == '\\' {
					i += 2
					continue
				}
				if s[i] == '$' || s[i] == '`' {
					var in []string
					in, i = gtDollar(s, i)
					toks = append(toks, in...)
					continue
				}
				i++
			}
		case '$', '`':
			var in []string
			in, i = gtDollar(s, i)
			toks = append(toks, in...)
		default:
			i++
		}
	}
	return toks, i
}

// gtDollar handles $..., ${...}, $(...), $((...)) and `...` at s[i].
func gtDollar(s string, i int) ([]string, int) {
	if s[i] == '`' {
		j := i + 1
		for j < len(s) && s[j] != '`' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(s) {
			return []string{"S", "E"}, len(s)
		}
		in, _ := gtLex(s[i+1:j], 0, 0)
		return append([]string{"S"}, in...), j + 1
	}
	if i+1 >= len(s) {
		return nil, i + 1
	}
	n := s[i+1]
	switch {
	case n == '(':
		in, j := gtLex(s, i+2, ')')
		if j >= len(s) {
			return append(append([]string{"S"}, in...), "E"), j
		}
		return append([]string{"S"}, in...), j + 1
	case n == '{':
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return []string{"P", "E"}, len(s)
		}
		return []string{"P"}, i + j + 1
	case n == '_' || (n|0x20 >= 'a' && n|0x20 <= 'z'):
		j := i + 1
		for j < len(s) && (s[j] == '_' || (s[j]|0x20 >= 'a' && s[j]|0x20 <= 'z') || (s[j] >= '0' && s[j] <= '9')) {
			j++
		}
		return []string{"P"}, j
	case strings.IndexByte("?$!@*#-0123456789", n) >= 0:
		return []string{"P"}, i + 2
	}
	return nil, i + 1
}

// gtSig is the ground-truth structure of a script. collapse merges runs of
// words, so that word splitting alone is not a change.
func gtSig(script string, collapse bool) string {
	toks, _ := gtLex(script, 0, 0)
	var b strings.Builder
	prevW := false
	for _, t := range toks {
		if collapse && t == "W" && prevW {
			continue
		}
		prevW = t == "W"
		b.WriteString(t)
		b.WriteByte(' ')
	}
	return b.String()
}

type template struct {
	name   string
	text   string // {} is the dynamic value
	quoted bool   // the value sits inside quotes written by the call site
}

var templates = []template{
	{"unquoted-arg", "ping -c 1 {}", false},
	{"unquoted-mid", "tar czf /backups/{}.tgz /data", false},
	{"option-value", "git log --author={} --oneline", false},
	{"single-quoted", "grep -r '{}' /var/log/app", true},
	{"double-quoted", `echo "{}" >> /tmp/log.txt`, true},
	{"dq-url", `curl -s "https://api.example.com/users/{}"`, true},
}

func fill(tpl, v string) (string, Span) {
	i := strings.Index(tpl, "{}")
	return tpl[:i] + v + tpl[i+2:], Span{Start: i, End: i + len(v)}
}

// changes reports whether value v really changes the command structure of
// the template, by the independent lexer.
func changes(tp template, v string) bool {
	a, _ := fill(tp.text, "harmless")
	b, _ := fill(tp.text, v)
	return gtSig(a, !tp.quoted) != gtSig(b, !tp.quoted)
}

func TestCmdiCorpus(t *testing.T) {
	files := corpustest.Glob(t, "cmdi/*.txt")
	var totalMust, totalDet int
	for _, f := range files {
		lines := corpustest.Lines(t, "cmdi/"+filepath.Base(f))
		var must, det, missed, flaggedNoChange int
		for _, tp := range templates {
			for _, v := range lines {
				if v == "" {
					continue
				}
				script, sp := fill(tp.text, v)
				_, got := CheckScript(script, []Span{sp})
				if changes(tp, v) {
					must++
					if got {
						det++
					} else {
						missed++
						if missed <= 5 {
							t.Logf("missed [%s] %q", tp.name, v)
						}
					}
				} else if got {
					flaggedNoChange++
					if flaggedNoChange <= 5 {
						t.Logf("flagged without structural change [%s] %q", tp.name, v)
					}
				}
			}
		}
		totalMust += must
		totalDet += det
		t.Logf("%s: %d lines x %d templates: must-detect %d, detected %d, missed %d, flagged-without-change %d",
			filepath.Base(f), len(lines), len(templates), must, det, missed, flaggedNoChange)
		if must > 0 && float64(det) < 0.99*float64(must) {
			t.Errorf("%s: detection %d/%d below 99%%", filepath.Base(f), det, must)
		}
	}
	t.Logf("total: detected %d/%d", totalDet, totalMust)
}

// shellQuote is how a careful program quotes a value for sh.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// blnsInjections are lines of the big list of naughty strings that are
// themselves argument injections when passed alone as an argument.
var blnsArgInjections = map[string]string{
	"-$1.00":                        "starts with '-' and is not a number: an option to most programs",
	"-1/2":                          "starts with '-' and is not a number",
	"-1E2":                          "starts with '-' and is not a number (exponent form)",
	"-1E02":                         "starts with '-' and is not a number (exponent form)",
	"-1E+02":                        "starts with '-' and is not a number (exponent form)",
	"-2147483648/-1":                "starts with '-' and is not a number",
	"-9223372036854775808/-1":       "starts with '-' and is not a number",
	"--1":                           "a long option named 1",
	"-,":                            "an option named ','",
	"-Infinity":                     "options -I -n -f ... to getopt programs",
	"-1#IND":                        "starts with '-' and is not a number",
	"--><script>alert(14)</script>": "a long option (HTML comment close + XSS)",
	"--":                            "end-of-options marker chosen by the user: following static options become operands",
	"--version":                     "a real long option",
	"--help":                        "a real long option",
}

func blns(t testing.TB) []string {
	var out []string
	for _, l := range corpustest.Lines(t, "benign/blns.txt") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out
}

func TestBenignBLNS(t *testing.T) {
	lines := blns(t)
	// 1. Values quoted by the program, in shell scripts: never a finding.
	fp := 0
	for _, tpl := range []string{"convert {} /tmp/out.png", "grep -r -- {} /var/log", "cp {} /backup/"} {
		for _, v := range lines {
			q := shellQuote(v)
			script, sp := fill(tpl, q)
			if f, bad := CheckScript(script, []Span{sp}); bad {
				fp++
				t.Errorf("FP quoted %q: %+v", script, f)
			}
		}
	}
	t.Logf("blns shell-quoted: %d lines x 3 templates, FP %d", len(lines), fp)

	// 2. Values as separate argv elements, no shell.
	fp, excluded := 0, 0
	for _, v := range lines {
		argv := []string{"convert", v, "/tmp/out.png"}
		dyn := [][]Span{nil, {{Start: 0, End: len(v)}}, nil}
		f, bad := CheckArgv(argv, dyn)
		if _, ok := blnsArgInjections[v]; ok {
			excluded++
			if !bad || f.Rule != RuleArgumentInjection {
				t.Errorf("excluded line %q not reported as argument injection", v)
			}
			continue
		}
		if bad {
			fp++
			t.Errorf("FP argv %q: %+v", v, f)
		}
		// With a static "--" nothing is an option.
		argv = []string{"convert", "--", v}
		if f, bad := CheckArgv(argv, [][]Span{nil, nil, {{Start: 0, End: len(v)}}}); bad {
			t.Errorf("FP after --: %q %+v", v, f)
		}
	}
	t.Logf("blns argv: %d lines, FP %d, excluded (reviewed argument injections) %d", len(lines), fp, excluded)

	// 3. Raw values spliced into scripts: a finding only where the
	// independent lexer sees a structural change.
	fp = 0
	changed := 0
	for _, tp := range templates {
		for _, v := range lines {
			script, sp := fill(tp.text, v)
			_, bad := CheckScript(script, []Span{sp})
			if changes(tp, v) {
				changed++
				continue
			}
			if bad {
				fp++
				if fp <= 10 {
					t.Logf("raw FP [%s] %q", tp.name, v)
				}
			}
		}
	}
	t.Logf("blns raw in %d templates: structural changes (real injections) %d, flagged without change %d", len(templates), changed, fp)
}

func TestCheckScriptCases(t *testing.T) {
	cases := []struct {
		tpl, v string
		want   bool
	}{
		{"ping -c 1 {}", "example.com", false},
		{"ping -c 1 {}", "example.com; id", true},
		{"ping -c 1 {}", "a&&b", true},
		{"ping -c 1 {}", "a|b", true},
		{"ping -c 1 {}", "a\nb", true},
		{"ping -c 1 {}", "$(id)", true},
		{"ping -c 1 {}", "`id`", true},
		{"ping -c 1 {}", "a${IFS}b", true},
		{"ping -c 1 {}", "$IFS", true},
		{"ping -c 1 {}", ">/tmp/x", true},
		{"ping -c 1 {}", "<(id)", true},
		{"ping -c 1 {}", "a #", true},
		{"ping -c 1 {}", "a#b", false},
		{"ping -c 1 {}", "'a b'", false},
		{"ping -c 1 {}", "'a b", true},
		{"ping -c 1 {}", "a b c", false},
		{"grep '{}' f", "it'\\''s", false},
		{"grep '{}' f", "x' f2 '", true},
		{"grep '{}' f", "x';id;'", true},
		{"grep '{}' f", "$(id)", false},
		{"grep '{}' f", "a;b|c", false},
		{`echo "{}"`, "$(id)", true},
		{`echo "{}"`, "a;b", false},
		{`echo "{}"`, `a\`, true},
		{`echo "{}"`, `\"; id; \"`, false},
		{`echo "{}"`, `"; id; "`, true},
		{"echo $(cat {})", "f; id", true},
		{"echo $(cat {})", "f)", true},
		{"{}", "ls", true},
		{"{} -la", "ls", true},
		{"X={} ls", "1", false},
		{"echo hi; {}", "id", true},
		{"echo hi\n# {}", "x; id", true},
		{"echo ${X:-{}}", "a", false},
		{"echo $(({}+1))", "2", false},
		{"echo $(({}+1))", "2))", true},
		{"tar czf /b/{}.tgz /d", `a\`, false},
	}
	for _, c := range cases {
		s, sp := fill(c.tpl, c.v)
		f, got := CheckScript(s, []Span{sp})
		if got != c.want {
			t.Errorf("CheckScript(%q, %v) = %v %+v, want %v", s, sp, got, f, c.want)
		}
	}
	if _, bad := CheckScript("rm -rf /; id", nil); bad {
		t.Error("static script flagged")
	}
}

func TestShellScript(t *testing.T) {
	cases := []struct {
		argv []string
		idx  int
		ok   bool
	}{
		{[]string{"sh", "-c", "echo hi"}, 2, true},
		{[]string{"/bin/sh", "-c", "echo hi"}, 2, true},
		{[]string{"/usr/bin/bash", "-lc", "echo hi"}, 2, true},
		{[]string{"bash", "-e", "-c", "echo hi", "arg0"}, 3, true},
		{[]string{"bash", "-c", "-e", "echo hi"}, 3, true},
		{[]string{"bash", "-o", "pipefail", "-c", "echo hi"}, 4, true},
		{[]string{"bash", "--norc", "-c", "x"}, 3, true},
		{[]string{"dash", "-ec", "x"}, 2, true},
		{[]string{"zsh", "-c", "x"}, 2, true},
		{[]string{"ksh", "-c", "x"}, 2, true},
		{[]string{"busybox", "sh", "-c", "x"}, 3, true},
		{[]string{"/bin/busybox", "ash", "-c", "x"}, 3, true},
		{[]string{"env", "sh", "-c", "x"}, 3, true},
		{[]string{"/usr/bin/env", "-i", "A=1", "B=2", "bash", "-c", "x"}, 6, true},
		{[]string{"env", "-u", "HOME", "sh", "-c", "x"}, 5, true},
		{[]string{"cmd.exe", "/c", "dir"}, 2, true},
		{[]string{`C:\Windows\System32\CMD.EXE`, "/S", "/C", "dir"}, 3, true},
		{[]string{"powershell", "-Command", "Get-Item x"}, 2, true},
		{[]string{"pwsh.exe", "-NoProfile", "-c", "x"}, 3, true},
		{[]string{"powershell.exe", "-ExecutionPolicy", "Bypass", "-Com", "x"}, 4, true},
		{[]string{"sudo", "-u", "www", "sh", "-c", "x"}, 5, true},
		{[]string{"timeout", "-s", "KILL", "10", "nice", "-n", "5", "bash", "-c", "x"}, 9, true},
		{[]string{"nohup", "env", "A=1", "sh", "-c", "x"}, 5, true},
		{[]string{"sudo", "ls", "-c"}, 0, false},
		{[]string{"sh", "script.sh"}, 0, false},
		{[]string{"bash", "-x", "script.sh", "-c"}, 0, false},
		{[]string{"sh", "-c"}, 0, false},
		{[]string{"ls", "-c", "x"}, 0, false},
		{[]string{"shellcheck", "-c", "x"}, 0, false},
		{[]string{"env", "ls"}, 0, false},
		{nil, 0, false},
	}
	for _, c := range cases {
		idx, ok := ShellScript(c.argv)
		if ok != c.ok || (ok && idx != c.idx) {
			t.Errorf("ShellScript(%q) = %d,%v want %d,%v", c.argv, idx, ok, c.idx, c.ok)
		}
	}
}

func TestCheckArgv(t *testing.T) {
	cases := []struct {
		argv []string
		dyn  [][]Span
		rule string
	}{
		{[]string{"convert", "a;b|c`id`$(x).png", "out.png"}, [][]Span{nil, {{Start: 0, End: 17}}}, ""},
		{[]string{"convert", "in.png", "out.png"}, nil, ""},
		{[]string{"toolX", "x"}, [][]Span{{{Start: 0, End: 5}}}, RuleArgv0Dynamic},
		{[]string{"/opt/tools/x"}, [][]Span{{{Start: 11, End: 12}}}, RuleArgv0Dynamic},
		{[]string{"git", "clone", "--upload-pack=touch /tmp/x", "repo"}, [][]Span{nil, nil, {{Start: 0, End: 26}}}, RuleArgumentInjection},
		{[]string{"curl", "-o/etc/x", "u"}, [][]Span{nil, {{Start: 0, End: 8}}}, RuleArgumentInjection},
		{[]string{"tool", "--output=-x"}, [][]Span{nil, {{Start: 9, End: 11}}}, ""},
		{[]string{"git", "--", "-x"}, [][]Span{nil, nil, {{Start: 0, End: 2}}}, ""},
		{[]string{"head", "-n", "-5"}, [][]Span{nil, nil, {{Start: 0, End: 2}}}, ""},
		{[]string{"run.bat", "a&calc"}, [][]Span{nil, {{Start: 0, End: 6}}}, RuleShellDynamic},
		// Options matter only to programs that take dangerous ones.
		{[]string{"echo", "arg:", "--flag"}, [][]Span{nil, nil, {{Start: 0, End: 6}}}, ""},
		{[]string{"/bin/ls", "-la"}, [][]Span{nil, {{Start: 0, End: 3}}}, ""},
		{[]string{`C:\Tools\GIT.EXE`, "--upload-pack=x"}, [][]Span{nil, {{Start: 0, End: 15}}}, RuleArgumentInjection},
		{[]string{"/usr/bin/tar", "--checkpoint-action=exec=id"}, [][]Span{nil, {{Start: 0, End: 27}}}, RuleArgumentInjection},
	}
	for _, c := range cases {
		f, bad := CheckArgv(c.argv, c.dyn)
		if (c.rule == "") == bad || (bad && f.Rule != c.rule) {
			t.Errorf("CheckArgv(%q) = %+v,%v want %q", c.argv, f, bad, c.rule)
		}
	}
}

// TestOptionProgramsExtend: a policy's option_programs extends the table.
func TestOptionProgramsExtend(t *testing.T) {
	argv := []string{"/opt/bin/mytool", "--exec=id"}
	dyn := [][]Span{nil, {{Start: 0, End: 9}}}
	if _, bad := CheckArgvValues(argv, dyn, nil, nil); bad {
		t.Error("mytool is not in the built-in table")
	}
	for _, extra := range [][]string{{"mytool"}, {"MyTool"}, {"/opt/bin/mytool"}} {
		if f, bad := CheckArgvValues(argv, dyn, nil, extra); !bad || f.Rule != RuleArgumentInjection {
			t.Errorf("option_programs %q: %+v %v", extra, f, bad)
		}
	}
}

func TestAllowlist(t *testing.T) {
	a, err := NewAllowlist([]string{"git status --porcelain", "convert * /tmp/out.png", `echo \*`})
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{
		"git status --porcelain":          true,
		"git status --porcelain; id":      false,
		"convert /a b/c.png /tmp/out.png": true,
		"convert x /tmp/out.png.sh":       false,
		"echo *":                          true,
		"echo x":                          false,
	} {
		if a.Allowed(s) != want {
			t.Errorf("Allowed(%q) != %v", s, want)
		}
	}
	if f, bad := a.Check("id"); !bad || f.Rule != RuleShellNotAllowlisted {
		t.Error("Check did not report")
	}
	var nilA *Allowlist
	if !nilA.Allowed("anything") {
		t.Error("nil allowlist must allow")
	}
	if _, err := NewAllowlist([]string{`x\`}); err == nil {
		t.Error("want error")
	}
	if len(Rules()) != 4 {
		t.Error("rules")
	}
}

func TestZeroAlloc(t *testing.T) {
	script := "convert '/srv/uploads/photo 1.jpg' -resize 50% /tmp/out.png"
	dyn := []Span{{Start: 9, End: 33}}
	argv := []string{"convert", "photo.jpg", "out.png"}
	adyn := [][]Span{nil, {{Start: 0, End: 9}}, nil}
	n := testing.AllocsPerRun(100, func() {
		CheckScript(script, dyn)
		CheckArgv(argv, adyn)
		ShellScript([]string{"/bin/bash", "-lc", script})
	})
	if n != 0 {
		t.Errorf("allocs = %v", n)
	}
}

func BenchmarkCheckScript(b *testing.B) {
	script := "convert '/srv/uploads/photo 1.jpg' -resize 50% /tmp/out.png"
	dyn := []Span{{Start: 9, End: 33}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		CheckScript(script, dyn)
	}
}

func BenchmarkShellScript(b *testing.B) {
	argv := []string{"/usr/bin/env", "LANG=C", "bash", "-lc", "echo hi"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ShellScript(argv)
	}
}

func BenchmarkCheckArgv(b *testing.B) {
	argv := []string{"convert", "photo.jpg", "-resize", "50%", "out.png"}
	dyn := [][]Span{nil, {{Start: 0, End: 9}}, nil, nil, nil}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		CheckArgv(argv, dyn)
	}
}

func FuzzCheckScript(f *testing.F) {
	for _, s := range []string{"ping -c 1 {}", "grep '{}' f", `echo "{}"`, "echo $(cat {})", "a=`{}`; ${x:-{}}"} {
		f.Add(s, "x; id")
		f.Add(s, "it'\\''s")
	}
	f.Fuzz(func(t *testing.T, tpl, v string) {
		i := strings.Index(tpl, "{}")
		if i < 0 {
			tpl += " {}"
			i = strings.Index(tpl, "{}")
		}
		script := tpl[:i] + v + tpl[i+2:]
		sp := Span{Start: i, End: i + len(v)}
		CheckScript(script, []Span{sp, {Start: -5, End: 3}, {Start: len(script) - 1, End: len(script) + 10}})
		ShellScript(strings.Fields(script))
		// Property: a value quoted with shellQuote, placed where a word
		// may start and not in command position, is never a finding.
		if strings.IndexByte(tpl[:i], '\'') < 0 && strings.IndexByte(tpl[:i], '"') < 0 &&
			strings.IndexByte(tpl[:i], '\\') < 0 && strings.IndexByte(tpl[:i], '`') < 0 &&
			strings.IndexByte(tpl[:i], '$') < 0 && strings.IndexByte(tpl[:i], '#') < 0 &&
			strings.IndexByte(tpl[:i], '(') < 0 && strings.IndexByte(tpl[:i], ')') < 0 &&
			strings.IndexByte(tpl[:i], '{') < 0 &&
			strings.HasPrefix(tpl[:i], "echo ") && strings.HasSuffix(tpl[:i], " ") && !strings.ContainsAny(tpl[:i], ";&|<>\n") {
			q := shellQuote(v)
			s2 := tpl[:i] + q + tpl[i+2:]
			if f, bad := CheckScript(s2, []Span{{Start: i, End: i + len(q)}}); bad {
				t.Fatalf("quoted value flagged: %q %+v", s2, f)
			}
		}
	})
}
