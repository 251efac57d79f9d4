package toolexec

import (
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

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

func TestDecide(t *testing.T) {
	sp, err := spec.Parse("t.yaml", []byte("sinks:\n  - {call: os.Open, family: file, reroute: raspimpl.OSOpen}\nexclude: [example.com/skip/...]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		ip   string
		want compileKind
	}{
		{[]string{"-o", "x.a", "-p", "p"}, "example.com/p", compileAsIs},
		{[]string{"-o", "x.a", "-p", "p", "a.go"}, "example.com/p", compileInstrumented},
		{[]string{"-o", "x.a", "-std", "a.go"}, "net", compileStd},
		{[]string{"-o", "x.a", "a.go"}, raspinstrument.RuntimePath + "/sqli", compileRuntime},
		{[]string{"-o", "x.a", "a.go"}, "example.com/skip/deep", compileExcluded},
	} {
		if got := decide(sp, tc.args, tc.ip); got != tc.want {
			t.Errorf("decide(%q, %s) = %d, want %d", tc.args, tc.ip, got, tc.want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	if _, _, _, ok := ParseArgs([]string{"sinks"}); ok {
		t.Error("a command line taken for a toolexec call")
	}
	if _, _, _, ok := ParseArgs([]string{"--sinks"}); ok {
		t.Error("--sinks without a value taken for a toolexec call")
	}
}

func TestVersion(t *testing.T) {
	// A test binary has no module version: the commit, or "devel".
	if v := Version(); !strings.HasPrefix(v, "devel") && !strings.HasPrefix(v, "v") {
		t.Errorf("Version() = %q", v)
	}
}

// TestProcessArgs reads this test's own command line the way the tool
// reads the go command's.
func TestProcessArgs(t *testing.T) {
	argv, ppid := processArgs(os.Getpid())
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		if argv != nil {
			t.Fatalf("argv = %q on %s", argv, runtime.GOOS)
		}
		return
	}
	if !slices.Equal(argv, os.Args) || ppid != os.Getppid() {
		t.Fatalf("processArgs = %q, %d; want %q, %d", argv, ppid, os.Args, os.Getppid())
	}
}

func TestEntrySummary(t *testing.T) {
	sp, err := spec.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	want := "database/sql (9 functions), os.OpenFile, os.StartProcess, syscall.Exec, net.(*sysDialer).dialSingle"
	if got := sp.EntrySummary(""); got != want {
		t.Errorf("EntrySummary = %q, want %q", got, want)
	}
}
