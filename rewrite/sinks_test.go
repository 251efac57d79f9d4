package rewrite

import (
	"strings"
	"testing"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
)

func TestDefaultTableParses(t *testing.T) {
	tab, err := ParseTable("sinks.yaml", raspinstrument.DefaultSinks)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{
		"database/sql.(*DB).QueryContext", "database/sql.(*Tx).Exec", "database/sql.(*Conn).PrepareContext",
		"os/exec.Command", "os/exec.(*Cmd).Run", "os.OpenFile", "io/ioutil.ReadFile",
		"net.Dial", "net.(*Dialer).DialContext", "net/http.Get", "net/http.(*Client).Do",
	} {
		if tab.Lookup(key) == nil {
			t.Errorf("default table lacks %s", key)
		}
	}
}

func TestParseTableErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown field", "sinks:\n  - package: os\n    family: file\n    hook_prefix: OS\n    funcs: [Open]\n", "t.yaml:5: funcs: unknown field"},
		{"bad family", "sinks:\n  - package: os\n    family: disk\n    hook_prefix: OS\n    functions: [Open]\n", "t.yaml:3: family: \"disk\" is not one of"},
		{"bad function", "sinks:\n  - package: os\n    family: file\n    hook_prefix: OS\n    functions: [\"Op en\"]\n", "t.yaml:5: functions: \"Op en\" is not a Go identifier"},
		{"duplicate", "sinks:\n  - package: os\n    family: file\n    hook_prefix: OS\n    functions: [Open, Open]\n", "already listed"},
		{"syntax", "sinks:\n  - package: os\n   family: [\n", "t.yaml:1: did not find"},
		{"empty", "exclude: []\n", "t.yaml:1: sinks: the table lists no sinks"},
		{"missing package", "sinks:\n  - family: file\n    hook_prefix: OS\n    functions: [Open]\n", "t.yaml:2: package: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTable("t.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestExcluded(t *testing.T) {
	tab := &Table{Exclude: []string{"example.com/a/...", "example.com/b"}}
	for path, want := range map[string]bool{"example.com/a": true, "example.com/a/x": true, "example.com/ab": false, "example.com/b": true, "example.com/b/c": false} {
		if got := tab.Excluded(path); got != want {
			t.Errorf("Excluded(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestCheckToolchain(t *testing.T) {
	for _, tc := range []struct {
		compiler, tool string
		ok             bool
	}{
		{"go1.26.8", "go1.26.8", true},
		{"go1.26.1", "go1.26.8", true},
		{"go1.27.0", "go1.26.8", false},
		{"go1.26rc1", "go1.26.8", true},
		{"devel", "go1.26.8", true},
	} {
		if err := checkToolchain(tc.compiler, tc.tool); (err == nil) != tc.ok {
			t.Errorf("checkToolchain(%q, %q) = %v", tc.compiler, tc.tool, err)
		}
	}
}

// FuzzParseTable: any sink table gets a table or an error naming the file;
// never a panic.
func FuzzParseTable(f *testing.F) {
	f.Add([]byte(raspinstrument.DefaultSinks))
	f.Add([]byte("sinks:\n  - package: os\n    family: file\n    hook_prefix: OS\n    functions: [Open]\n"))
	f.Add([]byte("sinks:\n  - package: os\n    family: nope\n"))
	f.Add([]byte("sinks: [\n"))
	f.Add([]byte("exclude: [example.com/...]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ParseTable("s.yaml", data)
		if err != nil && !strings.HasPrefix(err.Error(), "s.yaml") {
			t.Fatalf("error without the file name: %v", err)
		}
	})
}
