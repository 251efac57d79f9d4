package spec

import (
	"strings"
	"testing"
)

// TestUserSpecAdds: the documentation's example spec keeps every built-in
// call and adds its own.
func TestUserSpecAdds(t *testing.T) {
	builtin, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseUser("my.yaml", []byte(`sinks:
  - {call: "example.com/mydb.(*Client).Query", family: sql, check: postgres}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"os.Open", "database/sql.(*DB).Query", "os/exec.Command", "net/http.Get", "example.com/mydb.(*Client).Query"} {
		if s.Lookup(key) == nil {
			t.Errorf("%s: not in the merged spec", key)
		}
	}
	if len(s.Calls) != len(builtin.Calls)+1 || len(s.Patches) != len(builtin.Patches) {
		t.Errorf("merged: %d calls, %d patches; built in: %d, %d", len(s.Calls), len(s.Patches), len(builtin.Calls), len(builtin.Patches))
	}
	if s.File != "my.yaml" || s.Hash == builtin.Hash || len(s.Disabled) != 0 {
		t.Errorf("file %q, hash %s (built in %s), disabled %v", s.File, s.Hash, builtin.Hash, s.Disabled)
	}
	if !s.SpellsCall([]byte("c.Query(ctx, q)")) || !s.DeclaresCalls("example.com/mydb") {
		t.Error("the user's call is not indexed")
	}
}

func TestUserSpecOverrideAndDisable(t *testing.T) {
	s, err := ParseUser("my.yaml", []byte(`sinks:
  - {call: "database/sql.(*DB).Query", family: sql, check: mysql, override: true}
disable: ["os/exec.Command", "os/exec.CommandContext"]
exclude: [example.com/legacy/...]
`))
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Lookup("database/sql.(*DB).Query"); c == nil || c.Advice != Check || c.Dialect != "mysql" {
		t.Errorf("the override: %+v", c)
	}
	if s.Lookup("os/exec.Command") != nil || s.Lookup("os/exec.CommandContext") != nil {
		t.Error("a disabled call is still in force")
	}
	if s.Lookup("os.Open") == nil {
		t.Error("a built-in call was lost")
	}
	if strings.Join(s.Disabled, " ") != "os/exec.Command os/exec.CommandContext" || !s.Excluded("example.com/legacy/db") {
		t.Errorf("disabled %v, exclude %v", s.Disabled, s.Exclude)
	}
}

func TestUserSpecErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"a built-in call again", "sinks:\n  - {call: os.Open, family: file, reroute: raspimpl.OSOpen}\n",
			"my.yaml:2: os.Open is a built-in join point (sinks.yaml (built in):"},
		{"override of no built-in", "sinks:\n  - call: example.com/x.Run\n    family: exec\n    reroute: raspimpl.ExecCommand\n    override: true\n",
			"my.yaml:2: override: example.com/x.Run is not a built-in join point"},
		{"a patch", "sinks:\n  - entry: os.OpenFile\n    family: file\n    prologue: x\n",
			"my.yaml:2: entry: patches of the standard library and of framework packages come with the tool"},
		{"disable of no built-in", "disable:\n  - os.OpenSesame\n",
			"my.yaml:2: disable: os.OpenSesame is not a call of the built-in spec"},
		{"disable not a list", "disable: os/exec.Command\n",
			"my.yaml:1: disable: want a list"},
		{"disable and override", "sinks:\n  - {call: os.Open, family: file, reroute: raspimpl.OSOpen, override: true}\ndisable: [os.Open]\n",
			"my.yaml:3: disable: os.Open is also overridden at my.yaml:2"},
		{"nothing", "exclude: []\n", "my.yaml:1: the spec adds nothing to the built-in one"},
		{"an unknown field", "sinks:\n  - {call: os.Open, family: file, reroute: raspimpl.OSOpen, overide: true}\n", "my.yaml:2"},
	} {
		_, err := ParseUser("my.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
	// The built-in spec takes no override.
	if _, err := Parse("t.yaml", []byte("sinks:\n  - {call: os.Open, family: file, reroute: raspimpl.OSOpen, override: true}\n")); err == nil || !strings.Contains(err.Error(), "t.yaml:2: override: only a user's spec") {
		t.Errorf("override in a full spec: %v", err)
	}
}

// TestUserSpecAddsInterface: a user's interface join point joins the
// built-in ones, and one that repeats a built-in one is an error.
func TestUserSpecAddsInterface(t *testing.T) {
	builtin, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseUser("my.yaml", []byte(`sinks:
  - {interface: Find, returns: "example.com/mydb.Cursor", family: sql}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Interfaces) != len(builtin.Interfaces)+1 || s.Interfaces[len(s.Interfaces)-1].Key() != "Find returning example.com/mydb.Cursor" {
		t.Errorf("merged interfaces: %d (built in %d)", len(s.Interfaces), len(builtin.Interfaces))
	}
	_, err = ParseUser("my.yaml", []byte(`sinks:
  - {interface: QueryContext, returns: "database/sql.", family: sql}
`))
	if err == nil || !strings.Contains(err.Error(), "my.yaml:2: interface: QueryContext returning database/sql. is already listed at sinks.yaml (built in):") {
		t.Errorf("err = %v", err)
	}
}
