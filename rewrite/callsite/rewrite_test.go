package callsite

import (
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"

	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
)

// defaultSpec is the built-in spec.
func defaultSpec(t *testing.T) *spec.Spec {
	t.Helper()
	sp, err := spec.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// rewriteSource type-checks src as package p and rewrites it with the
// default spec.
func rewriteSource(t *testing.T, src string) FileResult {
	t.Helper()
	return rewriteWith(t, defaultSpec(t), src)
}

func rewriteWith(t *testing.T, sp *spec.Spec, src string) FileResult {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "/src/p/a.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	info := NewInfo()
	conf := types.Config{Importer: importer.Default()}
	tp, err := conf.Check("example.com/p", fset, []*ast.File{f}, info)
	if err != nil {
		t.Fatal(err)
	}
	pkg := &Package{Path: "example.com/p", Fset: fset, Files: []*ast.File{f}, Srcs: [][]byte{[]byte(src)}, Names: []string{"/src/p/a.go"}, Info: info, Types: tp}
	res, err := Rewrite(pkg, sp, raspinstrument.ImplPath)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Out != nil {
		if _, err := parser.ParseFile(token.NewFileSet(), "out.go", r.Out, 0); err != nil {
			t.Fatalf("rewritten file does not parse: %v\n%s", err, r.Out)
		}
	}
	return r
}

func TestRewrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string   // body of func f, after the imports
		want []string // substrings of the rewritten file
		not  []string
	}{
		{"db method", `func f(db *sql.DB, q string) { db.Query(q) }`,
			[]string{`__rasp.DBQuery(__rasp_site_0, db, q)`, `"database/sql.(*DB).Query", "sql", false)`}, nil},
		{"context variant on tx", `func f(tx *sql.Tx, ctx context.Context) { tx.ExecContext(ctx, "DELETE FROM t") }`,
			[]string{`__rasp.TxExecContext(__rasp_site_0, tx, ctx, "DELETE FROM t")`, `"sql", true, __rasp.T(1, false, "DELETE FROM t"))`}, nil},
		{"conn", `func f(c *sql.Conn, ctx context.Context, q string) { c.QueryRowContext(ctx, q) }`,
			[]string{`__rasp.ConnQueryRowContext(__rasp_site_0, c, ctx, q)`}, nil},
		{"addressable value receiver", `func f(q string) { var db sql.DB; db.Exec(q) }`,
			[]string{`__rasp.DBExec(__rasp_site_0, &(db), q)`}, nil},
		{"embedded", `type store struct{ *sql.DB }
func f(s store, q string) { s.Query(q) }`,
			[]string{`__rasp.DBQuery(__rasp_site_0, (s).DB, q)`}, nil},
		{"embedded value", `type store struct{ sql.DB }
func f(s *store, q string) { s.Query(q) }`,
			[]string{`__rasp.DBQuery(__rasp_site_0, &(s).DB, q)`}, nil},
		{"nested calls", `func f(x string) { exec.Command("sh", "-c", x).Run() }`,
			[]string{`__rasp.CmdRun(__rasp_site_0, __rasp.ExecCommand(__rasp_site_1, "sh", "-c", x))`, "var _ = exec.Command"}, nil},
		{"variadic forward", `func f(args []string) { exec.Command("ls", args...) }`,
			[]string{`__rasp.ExecCommand(__rasp_site_0, "ls", args...)`}, nil},
		{"function value", `var open = os.Open`,
			[]string{`var open = func(__p0 string) (*__rasp_p0.File, error) { return __rasp.OSOpen(__rasp_site_0, __p0) }`, `import __rasp_p0 "os"`}, nil},
		{"method value", `func f(db *sql.DB) func(string, ...any) (*sql.Rows, error) { return db.Query }`,
			[]string{`return func(__r *__rasp_p0.DB) func(string, ...any) (*__rasp_p0.Rows, error) { return func(__p0 string, __p1 ...any) (*__rasp_p0.Rows, error) { return __rasp.DBQuery(__rasp_site_0, __r, __p0, __p1...) } }(db)`}, nil},
		{"method expression", `var q = (*sql.DB).Query`,
			[]string{`var q = func(__r *__rasp_p0.DB, __p0 string, __p1 ...any) (*__rasp_p0.Rows, error) { return __rasp.DBQuery(__rasp_site_0, __r, __p0, __p1...) }`}, nil},
		{"struct literal cmd", `func f() error { c := &exec.Cmd{Path: "/bin/sh"}; return c.Start() }`,
			[]string{`return __rasp.CmdStart(__rasp_site_0, c)`}, nil},
		{"http client", `func f(c *http.Client, r *http.Request) { c.Do(r) }`,
			[]string{`__rasp_nethook.ClientDo(__rasp_site_0, c, r)`, `import __rasp_nethook "github.com/rasp-instrument/rasp-instrument/runtime/nethook"`}, nil},
		{"dialer", `func f(d *net.Dialer, ctx context.Context, a string) { d.DialContext(ctx, "tcp", a) }`,
			[]string{`__rasp_nethook.DialerDialContext(__rasp_site_0, d, ctx, "tcp", a)`}, nil},
		{"not a sink", `func f(db *sql.DB) { db.Ping(); db.Stats() }`, nil, []string{"__rasp"}},
		{"deferred and go", `func f(c *exec.Cmd) { defer c.Run(); go c.Start() }`,
			[]string{`defer __rasp.CmdRun(__rasp_site_0, c)`, `go __rasp.CmdStart(__rasp_site_1, c)`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "package p\n\nimport (\n\t\"context\"\n\t\"database/sql\"\n\t\"net\"\n\t\"net/http\"\n\t\"os\"\n\t\"os/exec\"\n)\n\nvar _ = context.Background\nvar _ *sql.DB\nvar _ net.Conn\nvar _ http.Header\nvar _ = os.Getenv\nvar _ exec.Cmd\n\n" + tc.body + "\n"
			r := rewriteSource(t, src)
			out := string(r.Out)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s\n---\n%s", w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %s\n---\n%s", w, out)
				}
			}
		})
	}
}

func TestRewriteKeepsLines(t *testing.T) {
	src := "package p\n\nimport \"os\"\n\nfunc f(n string) {\n\tos.Open(n)\n\n\n\tos.Remove(n)\n}\n"
	r := rewriteSource(t, src)
	lines := strings.Split(string(r.Out), "\n")
	if !strings.Contains(lines[5], "__rasp.OSOpen(") || !strings.Contains(lines[8], "__rasp.OSRemove(") {
		t.Fatalf("calls moved:\n%s", r.Out)
	}
	if r.Sites[0].Line != 6 || r.Sites[1].Line != 9 {
		t.Fatalf("site lines = %d, %d; want 6, 9", r.Sites[0].Line, r.Sites[1].Line)
	}
}

func TestKeyOf(t *testing.T) {
	pkg, err := importer.Default().Import("database/sql")
	if err != nil {
		t.Fatal(err)
	}
	db := pkg.Scope().Lookup("DB").Type()
	m, _, _ := types.LookupFieldOrMethod(types.NewPointer(db), true, pkg, "Query")
	if got := spec.KeyOf(m.(*types.Func)); got != "database/sql.(*DB).Query" {
		t.Fatalf("KeyOf = %q", got)
	}
}

func TestTemplates(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       string // the rendered templates of the only site
	}{
		{"concat", `func f(db *sql.DB, q string) { db.Query("SELECT * FROM t WHERE name='" + q + "'") }`, "SELECT * FROM t WHERE name='{dyn}'"},
		{"constant ident", `const base = "SELECT * FROM t"
func f(db *sql.DB, q string) { db.Query(base + " WHERE id=" + q) }`, "SELECT * FROM t WHERE id={dyn}"},
		{"sprintf", `func f(db *sql.DB, id int, n string) { db.Query(fmt.Sprintf("SELECT * FROM t WHERE id=%d AND n='%s' -- 100%%", id, n)) }`, "SELECT * FROM t WHERE id={num} AND n='{dyn}' -- 100%"},
		{"sprintf index and width", `func f(db *sql.DB, a, b string) { db.Query(fmt.Sprintf("%[2]s x %-5s", a, b)) }`, "{dyn} x {dyn}"},
		{"sprintf constant arg", `func f(db *sql.DB, id int) { db.Query(fmt.Sprintf("SELECT * FROM %s WHERE id=%d", "users", id)) }`, "SELECT * FROM users WHERE id={num}"},
		{"local once", `func f(db *sql.DB, q string) { s := "SELECT " + q; db.Query(s) }`, "SELECT {dyn}"},
		{"plus-assign", `func f(db *sql.DB, q string) { s := "SELECT * FROM t"; s += " WHERE a='"; s += q; s += "'"; db.Query(s) }`, "SELECT * FROM t WHERE a='{dyn}'"},
		{"reassigned in a branch", `func f(db *sql.DB, q string, b bool) { s := "SELECT 1"; if b { s = q }; db.Query(s) }`, "{opaque}"},
		{"loop accumulation", `func f(db *sql.DB, qs []string) { s := "SELECT 1"; for _, q := range qs { s += q }; db.Query(s) }`, "{opaque}"},
		{"parameter", `func f(db *sql.DB, q string) { db.Query(q) }`, "{opaque}"},
		{"bytes conversion", `func f(db *sql.DB, b []byte) { db.Query("SELECT '" + string(b) + "'") }`, "SELECT '{dyn}'"},
		{"rune conversion", `func f(db *sql.DB, r rune) { db.Query("SELECT '" + string(r) + "'") }`, "SELECT '{dyn}'"},
		{"strings.Join", `func f(db *sql.DB, c string) { db.Query(strings.Join([]string{"SELECT", c, "FROM t"}, " ")) }`, "SELECT {dyn} FROM t"},
		{"address taken", `func f(db *sql.DB, q string) { s := "SELECT " + q; p := &s; _ = p; db.Query(s) }`, "{opaque}"},
		{"filepath.Join", `func f(name string) { os.Open(filepath.Join("/app/uploads", name)) }`, "join(/app/uploads/{dyn})"},
		{"strings.Builder", `func f(db *sql.DB, q string, id int) { var b strings.Builder; b.WriteString("SELECT * FROM t WHERE a='"); b.WriteString(q); b.WriteString("'"); b.WriteByte(' '); fmt.Fprintf(&b, "AND id=%d", id); db.Query(b.String()) }`, "SELECT * FROM t WHERE a='{dyn}' AND id={num}"},
		{"builder passed away", `func f(db *sql.DB, q string) { var b strings.Builder; b.WriteString("SELECT "); g(&b); db.Query(b.String()) }
func g(b *strings.Builder) {}`, "{opaque}"},
		{"exec args", `func f(host string) { exec.Command("sh", "-c", "ping -c1 "+host) }`, "sh | -c | ping -c1 {dyn}"},
		// Parts that only ever hold a number.
		{"proc path", `func f(root string, pid int) { os.Open(fmt.Sprintf("%s/%d/fd", root, pid)) }`, "{dyn}/{num}/fd"},
		{"strconv.Itoa", `func f(n int) { os.Open("/proc/" + strconv.Itoa(n) + "/status") }`, "/proc/{num}/status"},
		{"%v of an int", `func f(n int64) { os.Open(fmt.Sprintf("/tmp/%v.log", n)) }`, "/tmp/{num}.log"},
		{"%x of a string", `func f(s string) { os.Open(fmt.Sprintf("/cache/%x", s)) }`, "/cache/{num}"},
		{"%d of a string is not a number", `func f(s string) { os.Open(fmt.Sprintf("/tmp/%d", s)) }`, "/tmp/{dyn}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "package p\n\nimport (\n\t\"database/sql\"\n\t\"fmt\"\n\t\"os\"\n\t\"os/exec\"\n\t\"path/filepath\"\n\t\"strconv\"\n\t\"strings\"\n)\n\nvar _ = fmt.Sprint\nvar _ *sql.DB\nvar _ = os.Getenv\nvar _ exec.Cmd\nvar _ = filepath.Base\nvar _ = strings.Join\nvar _ = strconv.Itoa\n\n" + tc.body + "\n"
			r := rewriteSource(t, src)
			var sinks []SiteReport // the path joins apart: not sinks
			for _, s := range r.Sites {
				if s.Family != spec.Join {
					sinks = append(sinks, s)
				}
			}
			if len(sinks) != 1 {
				t.Fatalf("%d sites", len(sinks))
			}
			if got := strings.Join(sinks[0].Templates, " | "); got != tc.want {
				t.Errorf("template = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNotCovered: a reference the rewrite cannot handle is a site with
// mechanism none and its reason (the build refuses the package; diff lists
// it), and the rest of the file is still rewritten.
func TestNotCovered(t *testing.T) {
	sp, err := spec.Parse("t.yaml", []byte("sinks:\n  - {call: \"example.com/p.(*Q).Query\", family: sql, check: postgres}\n"))
	if err != nil {
		t.Fatal(err)
	}
	src := `package p

import "context"

type Q struct{}

func (*Q) Query(ctx context.Context, sql string, args ...any) (int, error) { return 0, nil }

var byExpr = (*Q).Query

func f(q *Q, s string) { q.Query(context.Background(), s) }
`
	r := rewriteWith(t, sp, src)
	if len(r.Sites) != 2 {
		t.Fatalf("sites = %+v", r.Sites)
	}
	none := r.Sites[0]
	if none.Mechanism != MechanismNone || none.Line != 9 || !strings.Contains(none.Reason, "cannot be checked in place") {
		t.Errorf("method expression site = %+v", none)
	}
	if r.Sites[1].Mechanism != MechanismCall || !strings.Contains(string(r.Out), `__rasp.CheckedSQL(__rasp_site_0, "postgres", q.Query, context.Background(), s)`) {
		t.Errorf("call site = %+v\n%s", r.Sites[1], r.Out)
	}
}

// TestPathJoinPropagate: the path joins whose elements after the first are
// not all constants go to the runtime's join hooks, inside the sinks' own
// rewrites; the sinks' templates still see the join as written.
func TestPathJoinPropagate(t *testing.T) {
	src := `package p

import (
	"os"
	"path"
	"path/filepath"
)

func extract(dest, name string, parts []string) {
	target := filepath.Join(dest, name)
	os.OpenFile(target, os.O_CREATE, 0o644)
	os.Open(filepath.Join("/app/uploads", name))
	os.Open(filepath.Join(dest, "..", "share"))
	os.Open(filepath.Join(parts...))
	_ = path.Join("/a", name)
	j := filepath.Join
	_ = j
}
`
	r := rewriteSource(t, src)
	out := string(r.Out)
	for _, want := range []string{
		`target := __rasp.FilepathJoin(__rasp_site_0, dest, name)`,
		`__rasp.OSOpen(__rasp_site_2, __rasp.FilepathJoin(__rasp_site_3, "/app/uploads", name))`,
		`__rasp.OSOpen(__rasp_site_4, filepath.Join(dest, "..", "share"))`,
		`__rasp.FilepathJoin(__rasp_site_6, parts...)`,
		`_ = __rasp.PathJoin(__rasp_site_7, "/a", name)`,
		`j := func(__p0 ...string) (string) { return __rasp.FilepathJoin(__rasp_site_8, __p0...) }`,
		`var __rasp_site_0 = __rasp.NewSite("example.com/p", "a.go", 10, 25, "path/filepath.Join", "join", false)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
	joins := 0
	for _, s := range r.Sites {
		switch {
		case s.Family == spec.Join:
			joins++
			if s.Dynamic || len(s.Templates) > 0 || s.Mechanism == MechanismNone {
				t.Errorf("join site = %+v", s)
			}
		case s.Line == 11 && strings.Join(s.Templates, "|") != "{opaque}",
			s.Line == 12 && strings.Join(s.Templates, "|") != "join(/app/uploads/{dyn})",
			s.Line == 13 && strings.Join(s.Templates, "|") != "{opaque}":
			t.Errorf("sink site %d: templates %q", s.Line, s.Templates)
		}
	}
	if joins != 5 {
		t.Errorf("%d join sites, want 5: %+v", joins, r.Sites)
	}
}
