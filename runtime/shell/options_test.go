package shell

import "testing"

func TestDangerousOption(t *testing.T) {
	for _, tc := range []struct {
		program, arg string
		want         bool
	}{
		{"git", "--upload-pack=touch /tmp/x", true},
		{"/usr/bin/git", "--exec=id", true},
		{"git", "--output=/tmp/x", true},
		{"git", "--outp=/tmp/x", true}, // an abbreviation git accepts
		{"GIT.EXE", "--output", true},
		{"git", "-xsh", true},
		{"git", "-u/bin/sh", true},
		{"git", "-ccore.sshCommand=id", true},
		{"git", "--depth=1", false},
		{"git", "--format=%H", false},
		{"git", "--ou", false}, // too short to tell
		{"git", "--", false},
		{"git", "-", false},
		{"git", "-1", false},
		{"git", "feature/x", false},
		{"curl", "-o/tmp/x", true},
		{"curl", "--output-dir", true},
		{"curl", "-sS", false},
		{"curl", "-sSo", true},
		{"wget", "--output-document=/x", true},
		{"tar", "--to-command=sh", true},
		{"tar", "-xzf", true},
		{"find", "-exec", true},
		{"find", "-name", false},
		{"find", "-e", false},
		{"ssh", "-oProxyCommand=id", true},
		{"echo", "--output=/x", false},
		{"ls", "-la", false},
		{"verylongprogramnamethatisnotinthetable", "-c", false},
	} {
		if got := DangerousOption(tc.program, tc.arg); got != tc.want {
			t.Errorf("DangerousOption(%q, %q) = %v, want %v", tc.program, tc.arg, got, tc.want)
		}
	}
}

func TestEndOfOptionsInArgv(t *testing.T) {
	argv := []string{"git", "log", "--end-of-options", "--output=/tmp/x"}
	dyn := [][]Span{nil, nil, nil, {{Start: 0, End: len(argv[3])}}}
	if f, ok := CheckArgv(argv, dyn); ok {
		t.Errorf("an operand after --end-of-options: %+v", f)
	}
	argv[2] = "-p"
	if _, ok := CheckArgv(argv, dyn); !ok {
		t.Error("an option before the end of options: no finding")
	}
}

var sinkBool bool

func BenchmarkDangerousOption(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkBool = DangerousOption("/usr/bin/git", "--depth=1") || DangerousOption("git", "feature/x")
	}
}
