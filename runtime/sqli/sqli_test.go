package sqli

import (
	"strings"
	"testing"
)

func toks(q string, d Dialect) []string {
	tz := NewTokenizer(q, d)
	var out []string
	for {
		t := tz.Next()
		if t.Kind == KindEOF {
			return out
		}
		out = append(out, t.Kind.String()+":"+t.Text(q))
	}
}

func TestTokenizer(t *testing.T) {
	cases := []struct {
		d    Dialect
		q    string
		want string
	}{
		{Postgres, "SELECT $1::int, E'a\\'b', $tag$x'y$tag$ -- c", "Word:SELECT Placeholder:$1 Operator::: Word:int Punct:, String:E'a\\'b' Punct:, String:$tag$x'y$tag$ Comment:-- c"},
		{MySQL, "SELECT `a``b`, \"x\\\"y\", 0x1F, b'01' # c", "Word:SELECT QuotedIdent:`a``b` Punct:, String:\"x\\\"y\" Punct:, Number:0x1F Punct:, String:b'01' Comment:# c"},
		{MySQL, "1 /*!50000 UNION*/ --x", "Number:1 ExecOpen:/*!50000 Word:UNION ExecClose:*/ Operator:- Operator:- Word:x"},
		{SQLServer, "SELECT [a]]b], N'x', @p1 FROM #tmp", "Word:SELECT QuotedIdent:[a]]b] Punct:, String:N'x' Punct:, Placeholder:@p1 Word:FROM Word:#tmp"},
		{Postgres, "/* a /* b */ c */ x", "Comment:/* a /* b */ c */ Word:x"},
		{SQLite, "x = ?1 AND y = :n AND z = 'it''s'", "Word:x Operator:= Placeholder:?1 Word:AND Word:y Operator:= Placeholder::n Word:AND Word:z Operator:= String:'it''s'"},
		{Generic, "'abc", "String:'abc"},
		{MySQL, "@@version, @a", "Variable:@@version Punct:, Variable:@a"},
	}
	for _, c := range cases {
		got := strings.Join(toks(c.q, c.d), " ")
		if got != c.want {
			t.Errorf("%v %q:\n got %s\nwant %s", c.d, c.q, got, c.want)
		}
	}
}

func fill(tmpl, v string) (string, []Span) {
	i := strings.Index(tmpl, "%s")
	return tmpl[:i] + v + tmpl[i+2:], []Span{{Start: i, End: i + len(v)}}
}

func TestDynamic(t *testing.T) {
	cases := []struct {
		d      Dialect
		tmpl   string
		v      string
		attack bool
	}{
		{Generic, "SELECT * FROM u WHERE name='%s'", "O''Brien", false},
		{Generic, "SELECT * FROM u WHERE name='%s'", "' OR '1'='1", true},
		{Generic, "SELECT * FROM u WHERE name='%s' AND p='x'", "abc'", true},
		{MySQL, "SELECT * FROM u WHERE name='%s' AND p='x'", "abc\\", true},
		{Postgres, "SELECT * FROM u WHERE name='%s' AND p='x'", "abc\\", false},
		{Generic, "SELECT * FROM u WHERE name='%s' AND p='x'", "abc\\", true},
		{Generic, "SELECT * FROM u WHERE name='%s' AND p='x'", "a\\\\b", false},
		{Generic, "SELECT * FROM u WHERE id=%s LIMIT 1", "42", false},
		{Generic, "SELECT * FROM u WHERE id=%s LIMIT 1", "-42", false},
		{Generic, "SELECT * FROM u WHERE id=%s LIMIT 1", "1 OR 1=1", true},
		{Generic, "SELECT * FROM u WHERE id=%s LIMIT 1", "1--", true},
		{Generic, "SELECT * FROM u WHERE id IN (%s)", "1, 2, 3", false},
		{Generic, "SELECT * FROM u WHERE id IN (%s)", "?, ?, ?", false},
		{Generic, "SELECT * FROM u WHERE id = $%s", "3", false},
		{Generic, "SELECT * FROM logs_%s", "2024", false},
		{Generic, "SELECT * FROM u ORDER BY %s", "u.name DESC", false},
		{Generic, "SELECT * FROM u ORDER BY %s", "name,(select 1)", true},
		{Generic, "SELECT * FROM u ORDER BY %s", "SELECT", true},
		{Generic, "SELECT * FROM u WHERE name=%s", "'it''s'", false},
		{Generic, "SELECT * FROM u WHERE name=%s", "'abc", true},
		{Generic, "SELECT * FROM u WHERE name=%s", "N", false},
		{Generic, "SELECT * FROM u WHERE name=%s'x'", "N", true},
		{Generic, "SELECT * FROM u /* %s */", "trace=1", false},
		{Generic, "SELECT * FROM u /* %s */", "*/ DROP", true},
		{Generic, "%s", "SELECT 1", true},
		{Postgres, "SELECT $$%s$$", "a$", true},
		{Postgres, "SELECT $$%s$$", "a'b", false},
		{Generic, "SELECT 1 WHERE a='%s'", "x\x00y", false},
	}
	for _, c := range cases {
		q, dyn := fill(c.tmpl, c.v)
		f, ok := Check(q, dyn, c.d)
		if ok != c.attack {
			t.Errorf("%v %q: got %v %+v, want %v", c.d, q, ok, f, c.attack)
		}
		if ok && f.Rule != RuleDynamic {
			t.Errorf("rule %s", f.Rule)
		}
	}
	if _, ok := Check("SELECT 1 OR 1=1", []Span{}, Generic); ok {
		t.Error("constant query flagged")
	}
}

func TestRules(t *testing.T) {
	cases := []struct {
		q    string
		rule string
	}{
		{"SELECT * FROM u WHERE id=1 OR 1=1", RuleTautology},
		{"SELECT * FROM u WHERE name='' OR 'a'='a'", RuleTautology},
		{"SELECT * FROM u WHERE id=1 OR 1", RuleTautology},
		{"SELECT * FROM u WHERE a=1 OR b=2", ""},
		{"SELECT * FROM u WHERE id=1 UNION SELECT password FROM users", RuleUnion},
		{"SELECT a FROM b UNION SELECT a FROM c", ""},
		{"SELECT a FROM b WHERE x=1 UNION ALL SELECT 1,2,3", RuleUnion},
		{"SELECT * FROM u WHERE id=1; DROP TABLE users", RuleStacked},
		{"CREATE TABLE a (x int); CREATE TABLE b (y int);", ""},
		{"SELECT * FROM u WHERE name='admin'--' AND pass='x'", RuleCommentTruncation},
		{"SELECT * FROM u -- list users", ""},
		{"SELECT * FROM u WHERE id=1 AND SLEEP(5)", RuleTimeProbe},
		{"SELECT * FROM u; WAITFOR DELAY '0:0:5'", RuleStacked},
		{"SELECT lower(hex(randomblob(16)))", ""},
		{"SELECT randomblob(500000000)", RuleTimeProbe},
		{"SELECT LOAD_FILE('/etc/passwd')", RuleFileAccess},
		{"SELECT 1 INTO OUTFILE '/tmp/x'", RuleFileAccess},
		{"COPY t FROM PROGRAM 'id'", RuleFileAccess},
		{"COPY t FROM STDIN", ""},
		{"EXEC master..xp_cmdshell 'dir'", RuleFileAccess},
		{"SELECT EXTRACTVALUE(1, CONCAT(0x7e, version()))", RuleErrorExtractor},
		{"SELECT * FROM u WHERE id=$1 OR 1=1", ""}, // parameterised fast path
	}
	for _, c := range cases {
		f, ok := Check(c.q, nil, Generic)
		if c.rule == "" && ok || c.rule != "" && (!ok || f.Rule != c.rule) {
			t.Errorf("%q: got %v %+v, want %q", c.q, ok, f, c.rule)
		}
	}
}

func TestRedact(t *testing.T) {
	got := Redact("SELECT * FROM users WHERE id=1 AND name='bob' OR x=\"y\" -- secret", MySQL)
	want := "SELECT * FROM users WHERE id=? AND name=? OR x=? --"
	if got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestDialectForDriver(t *testing.T) {
	for in, want := range map[string]Dialect{
		"*sqlite.Driver": SQLite, "*sqlite3.SQLiteDriver": SQLite, "*pq.Driver": Postgres,
		"*stdlib.Driver": Postgres, "*mysql.MySQLDriver": MySQL, "*mssql.Driver": SQLServer,
		"*foo.Bar": Generic,
	} {
		if got := DialectForDriver(in); got != want {
			t.Errorf("%s: %v want %v", in, got, want)
		}
	}
}

func TestRulesList(t *testing.T) {
	if len(Rules()) != 8 {
		t.Fatal(Rules())
	}
}

// Redacted queries never carry the values that were put in literals.
func TestRedactNoLeak(t *testing.T) {
	vals := []string{"hunter2secret", "O'Brien-42", "x\\'; DROP", "4111111111111111", "a\"b\"c", "$$dollar$$"}
	tmpls := []struct {
		d    Dialect
		tmpl string
	}{
		{MySQL, "SELECT * FROM u WHERE name = '%s' AND pin = \"%s\""},
		{Postgres, "SELECT * FROM u WHERE name = E'%s' OR note = $q$%s$q$"},
		{SQLServer, "SELECT * FROM u WHERE name = N'%s' -- %s"},
		{SQLite, "SELECT * FROM u WHERE name = '%s' /* %s */"},
		{Generic, "SELECT * FROM u WHERE a = '%s' AND b = \"%s\""},
	}
	for _, tp := range tmpls {
		for _, v := range vals {
			e := strings.ReplaceAll(v, "'", "''")
			if tp.d == MySQL || tp.d == Generic {
				e = strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "'", "''")
			}
			e2 := strings.ReplaceAll(e, `"`, `""`)
			if tp.d == Postgres {
				e = strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "'", "''")
				e2 = strings.ReplaceAll(v, "$q$", "")
			}
			if tp.d == SQLServer || tp.d == SQLite {
				e2 = strings.NewReplacer("\n", " ", "*/", "").Replace(v)
			}
			q := strings.Replace(strings.Replace(tp.tmpl, "%s", e, 1), "%s", e2, 1)
			r := Redact(q, tp.d)
			for _, part := range []string{"hunter2", "Brien", "DROP", "41111", "b\"c", "dollar"} {
				if strings.Contains(v, part) && strings.Contains(r, part) {
					t.Errorf("%v: %q redacted to %q leaks %q", tp.d, q, r, part)
				}
			}
		}
	}
}
