package spec

import (
	"strings"
	"testing"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
)

func TestDefaultSpecParses(t *testing.T) {
	sp := defaultSpec(t)
	for _, key := range []string{
		"database/sql.(*DB).QueryContext", "database/sql.(*Tx).Exec", "database/sql.(*Conn).PrepareContext",
		"os/exec.Command", "os/exec.(*Cmd).Run", "os.OpenFile", "io/ioutil.ReadFile",
		"net.Dial", "net.(*Dialer).DialContext", "net/http.Get", "net/http.(*Client).Do",
		"net/http.(*Server).Serve", "github.com/jackc/pgx/v5/pgxpool.(*Pool).Query",
	} {
		if sp.Lookup(key) == nil {
			t.Errorf("the default spec lacks %s", key)
		}
	}
	// The drift the one spec prevents: a covered road spelled so that the
	// rewriter's lookup never matched it.
	if c := sp.Lookup("net.(*Resolver).LookupHost"); c == nil || c.Advice != CoveredBy {
		t.Errorf("net.(*Resolver).LookupHost = %+v, want a covered_by join point", c)
	}
	if got := sp.Lookup("database/sql.(*DB).Query"); got.Hook != "DBQuery" || got.HookPkg != raspinstrument.ImplPath {
		t.Errorf("DB.Query hook = %s.%s", got.HookPkg, got.Hook)
	}
	if got := sp.Lookup("net.Dial"); got.HookPkg != raspinstrument.RuntimePath+"/nethook" {
		t.Errorf("net.Dial hook package = %s", got.HookPkg)
	}
	if got := sp.PatchesFor("database/sql"); len(got) != 9 {
		t.Errorf("database/sql has %d patches, want 9", len(got))
	}
	for key, hook := range map[string]string{"path/filepath.Join": "FilepathJoin", "path.Join": "PathJoin"} {
		if c := sp.Lookup(key); c == nil || c.Advice != Propagate || c.Family != Join || c.Hook != hook || c.HookPkg != raspinstrument.ImplPath || !c.Rewrites() {
			t.Errorf("%s = %+v, want a propagate join point to rasp.%s", key, c, hook)
		}
	}
	if got := sp.EntrySummary("file"); got != "os.OpenFile" {
		t.Errorf("file entry points = %s", got)
	}
	if got := sp.EntrySummary("sql"); got != "database/sql (9 functions)" {
		t.Errorf("sql entry points = %s", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown field", "sinks:\n  - call: os.Open\n    family: file\n    hook: raspimpl.OSOpen\n", "t.yaml:4: hook: unknown field"},
		{"bad family", "sinks:\n  - call: os.Open\n    family: disk\n    reroute: raspimpl.OSOpen\n", "t.yaml:3: family: \"disk\" is not one of"},
		{"bad function", "sinks:\n  - call: \"os.Op en\"\n    family: file\n    reroute: raspimpl.OSOpen\n", "t.yaml:2: call: \"os.Op en\" is not a function name"},
		{"no package", "sinks:\n  - call: Open\n    family: file\n    reroute: raspimpl.OSOpen\n", "t.yaml:2: call: \"Open\" is not a function name"},
		{"duplicate", "sinks:\n  - {call: os.Open, family: file, reroute: raspimpl.OSOpen}\n  - {call: os.Open, family: file, reroute: raspimpl.OSOpen}\n", "t.yaml:3: call: os.Open is already listed at t.yaml:2"},
		{"syntax", "sinks:\n  - call: os\n   family: [\n", "t.yaml:1: did not find"},
		{"empty", "exclude: []\n", "t.yaml:1: sinks: the spec lists no join points"},
		{"no join point", "sinks:\n  - family: file\n    reroute: raspimpl.OSOpen\n", "t.yaml:2: the entry names no join point"},
		{"two advices", "sinks:\n  - call: os.Open\n    family: file\n    reroute: raspimpl.OSOpen\n    check: postgres\n", "t.yaml:2: a call takes exactly one advice"},
		{"no advice", "sinks:\n  - call: os.Open\n    family: file\n", "t.yaml:2: a call takes exactly one advice"},
		{"hook without package", "sinks:\n  - call: os.Open\n    family: file\n    reroute: OSOpen\n", "t.yaml:4: reroute: \"OSOpen\" is not a hook name"},
		{"unexported hook", "sinks:\n  - call: os.Open\n    family: file\n    reroute: raspimpl.osOpen\n", "t.yaml:4: reroute: \"raspimpl.osOpen\" is not a hook name"},
		{"propagate with a family", "sinks:\n  - call: path.Join\n    family: file\n    propagate: raspimpl.PathJoin\n", "t.yaml:3: family: not an advice of a call join point (it takes call, propagate)"},
		{"propagate and reroute", "sinks:\n  - call: path.Join\n    propagate: raspimpl.PathJoin\n    reroute: raspimpl.PathJoin\n", "t.yaml:4: reroute: not an advice"},
		{"propagate without hook package", "sinks:\n  - call: path.Join\n    propagate: PathJoin\n", "t.yaml:3: propagate: \"PathJoin\" is not a hook name"},
		{"check outside sql", "sinks:\n  - call: os.Open\n    family: file\n    check: postgres\n", "t.yaml:4: check: in-place checks are for the sql family"},
		{"bad dialect", "sinks:\n  - call: x.Q\n    family: sql\n    check: oracle\n", "t.yaml:4: check: \"oracle\" is not a SQL dialect"},
		{"wrap on a call", "sinks:\n  - call: os.Open\n    family: file\n    wrap: httphook.X\n", "t.yaml:4: wrap: not an advice of a call join point"},
		{"rasp hook", "sinks:\n  - call: os.Open\n    family: file\n    reroute: rasp.OSOpen\n", "t.yaml:4: reroute: \"rasp.OSOpen\": package rasp holds no hooks"},
		{"interface without returns", "sinks:\n  - {interface: Query, family: sql}\n", "t.yaml:2: returns: missing"},
		{"interface with an advice", "sinks:\n  - {interface: Query, returns: database/sql., family: sql, reroute: raspimpl.DBQuery}\n", "t.yaml:2: reroute: not an advice of an interface join point"},
		{"interface unexported", "sinks:\n  - {interface: query, returns: database/sql., family: sql}\n", "t.yaml:2: interface: \"query\" is not an exported method name"},
		{"interface twice", "sinks:\n  - {interface: Query, returns: database/sql., family: sql}\n  - {interface: Query, returns: database/sql., family: sql}\n", "t.yaml:3: interface: Query returning database/sql. is already listed at t.yaml:2"},
		{"struct twice", "sinks:\n  - {struct: runtime.g, fields: \"a int; \"}\n  - {struct: runtime.g, fields: \"b int; \"}\n", "t.yaml:3: struct: runtime.g is already listed at t.yaml:2"},
		{"server without wrap", "sinks:\n  - server: net/http.Serve\n", "t.yaml:2: wrap: missing"},
		{"covered by nothing", "sinks:\n  - call: os.DirFS\n    family: file\n    covered_by: os.OpenGone\n", "t.yaml:2: covered_by: os.OpenGone is not an entry of this spec"},
		{"some patches but not the runtime's", "sinks:\n  - entry: os.OpenFile\n    prologue: x\n    decls: os.go\n", "t.yaml:1: sinks: no entry adds the declarations database_sql.go, which the runtime needs"},
		{"entry without prologue", "sinks:\n  - entry: os.OpenFile\n    family: file\n", "t.yaml:2: prologue: missing"},
		{"prologue on a call", "sinks:\n  - call: os.Open\n    family: file\n    reroute: raspimpl.OSOpen\n    prologue: x\n", "t.yaml:5: prologue: not an advice of a call join point"},
		{"missing decls file", "sinks:\n  - package: internal/runtime/exithook\n    decls: nope.go\n", "t.yaml:3: decls: no declarations file nope.go"},
		{"two-line prologue", "sinks:\n  - entry: os.OpenFile\n    prologue: \"a\\nb\"\n", "t.yaml:2: the inserted line has a line break"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestBuiltinPatches: a spec that declares no join point of the standard
// library has the built-in ones, which the runtime needs.
func TestBuiltinPatches(t *testing.T) {
	sp, err := Parse("t.yaml", []byte("sinks:\n  - {call: os.ReadFile, family: file, reroute: raspimpl.OSReadFile}\n  - {call: os.DirFS, family: file, covered_by: os.OpenFile}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Calls) != 2 || len(sp.PatchesFor("database/sql")) != 9 {
		t.Fatalf("%d calls, %d database/sql patches", len(sp.Calls), len(sp.PatchesFor("database/sql")))
	}
}

func TestSplitFunc(t *testing.T) {
	for in, want := range map[string]string{
		"os.Open":                               "os||Open",
		"net.(*Dialer).Dial":                    "net|*Dialer|Dial",
		"example.com/x/v2.T.M":                  "example.com/x/v2|T|M",
		"github.com/jackc/pgx/v5.(*Conn).Query": "github.com/jackc/pgx/v5|*Conn|Query",
		"net/http.ServeFile":                    "net/http||ServeFile",
		// A last element with a dot: a pointer receiver ends the path.
		"github.com/nats-io/nats.go.(*Conn).waitForMsgs": "github.com/nats-io/nats.go|*Conn|waitForMsgs",
	} {
		pkg, recv, name, err := splitFunc(in)
		if got := pkg + "|" + recv + "|" + name; err != nil || got != want {
			t.Errorf("splitFunc(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestExcluded(t *testing.T) {
	sp := &Spec{Exclude: []string{"example.com/a/...", "example.com/b"}}
	for path, want := range map[string]bool{"example.com/a": true, "example.com/a/x": true, "example.com/ab": false, "example.com/b": true, "example.com/b/c": false} {
		if got := sp.Excluded(path); got != want {
			t.Errorf("Excluded(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestMentions(t *testing.T) {
	sp := defaultSpec(t)
	if direct, _ := sp.Mentions([]byte(`import "os/exec"`)); !direct {
		t.Error(`"os/exec" not seen`)
	}
	if _, pkgs := sp.Mentions([]byte(`db.QueryContext(ctx, q)`)); !contains(pkgs, "database/sql") {
		t.Errorf(".QueryContext: %v", pkgs)
	}
	if direct, pkgs := sp.Mentions([]byte(`x.QueryContextual()`)); direct || len(pkgs) > 0 {
		t.Errorf(".QueryContextual matched: %v", pkgs)
	}
}

// FuzzParse: any spec gets a spec or an error naming the file; never a
// panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(raspinstrument.DefaultSinks))
	f.Add([]byte("sinks:\n  - {call: os.Open, family: file, reroute: raspimpl.OSOpen}\n"))
	f.Add([]byte("sinks:\n  - entry: os.OpenFile\n    prologue: x\n    decls: os.go\n"))
	f.Add([]byte("sinks:\n  - call: os\n    family: nope\n"))
	f.Add([]byte("sinks: [\n"))
	f.Add([]byte("exclude: [example.com/...]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("s.yaml", data)
		if err != nil && !strings.HasPrefix(err.Error(), "s.yaml") {
			t.Fatalf("error without the file name: %v", err)
		}
	})
}
