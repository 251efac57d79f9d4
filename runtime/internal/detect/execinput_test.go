package detect

import (
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/shell"
)

// TestCommandShapes drives the command detector with the shapes public
// vulnerable applications use, as the build sees them: an argv whose
// elements the build cannot follow (a slice from strings.Fields or a JSON
// body: no template) and the request's inputs.
func TestCommandShapes(t *testing.T) {
	opaque := &callsite.Site{Sink: "os/exec.Command", Family: event.FamilyExec}
	echo := &callsite.Site{Sink: "os/exec.Command", Family: event.FamilyExec, Tmpls: []taint.Tmpl{taint.T(0, false, "echo"), taint.T(1, false, "arg:")}}
	gitLog := &callsite.Site{Sink: "os/exec.Command", Family: event.FamilyExec, Tmpls: []taint.Tmpl{taint.T(0, false, "git"), taint.T(1, false, "log")}}
	q := func(vs ...string) reqctx.Fixed {
		var in reqctx.Fixed
		for _, v := range vs {
			in = append(in, taint.Input{Source: "query", Name: "cmd", Value: v})
		}
		return in
	}
	cases := []struct {
		name   string
		site   *callsite.Site
		argv   []string
		inputs reqctx.Fixed
		rule   string // "" for no finding
	}{
		// strings.Fields(input) as program and arguments.
		{"fields: cat", opaque, []string{"cat", "/etc/passwd"}, q("cat /etc/passwd"), shell.RuleArgv0Dynamic},
		{"fields: id -u", opaque, []string{"/usr/bin/id", "-u"}, q("/usr/bin/id -u"), shell.RuleArgv0Dynamic},
		{"fields: uname", opaque, []string{"uname", "-a"}, q("uname -a"), shell.RuleArgv0Dynamic},
		{"fields: touch", opaque, []string{"touch", "/tmp/x"}, q("  touch   /tmp/x "), shell.RuleArgv0Dynamic},
		{"one word", opaque, []string{"id"}, q("id"), shell.RuleArgv0Dynamic},
		// A JSON argv array: each element an input.
		{"json: sh -c id", opaque, []string{"/bin/sh", "-c", "id"}, q("/bin/sh", "-c", "id"), shell.RuleShellDynamic},
		{"json: cat", opaque, []string{"/bin/cat", "/etc/passwd"}, q("/bin/cat", "/etc/passwd"), shell.RuleArgv0Dynamic},
		{"script from input", &callsite.Site{Sink: "os/exec.Command", Family: event.FamilyExec, Tmpls: []taint.Tmpl{taint.T(0, false, "sh"), taint.T(1, false, "-c")}},
			[]string{"sh", "-c", "whoami"}, q("whoami"), shell.RuleShellDynamic},
		// Options: only for programs that take dangerous ones.
		{"echo --flag", echo, []string{"echo", "arg:", "--flag"}, q("--flag"), ""},
		{"git log --output", gitLog, []string{"git", "log", "--output=/tmp/x"}, q("--output=/tmp/x"), shell.RuleArgumentInjection},
		// Benign: the program is the code's; an input only looks alike.
		{"a word of a search", opaque, []string{"git", "log", "--oneline"}, q("git tutorial"), ""},
		{"an argument", opaque, []string{"convert", "photo.jpg", "out.png"}, q("photo.jpg"), ""},
		{"a script word", &callsite.Site{Sink: "os/exec.Command", Family: event.FamilyExec, Tmpls: []taint.Tmpl{taint.T(0, false, "sh"), taint.T(1, false, "-c"), taint.T(2, false, "ls ", "")}},
			[]string{"sh", "-c", "ls uploads"}, q("uploads"), ""},
	}
	for _, c := range cases {
		c.argv = readAtRunTime(c.argv)
		req := reqctx.NewRequest("r", "GET", "/run", "127.0.0.1", c.inputs)
		f, found := templateExec{}.CheckCommand(c.site, 0, c.argv, req)
		if found != (c.rule != "") || found && f.Rule != c.rule {
			t.Errorf("%s: %q = %+v %v, want %q", c.name, c.argv, f, found, c.rule)
			continue
		}
		if found && f.Input == nil {
			t.Errorf("%s: the finding names no input", c.name)
		}
		// The standard library's entry point judges the same argv alike.
		if g, ok := CommandFinding(entryExec, 0, c.argv, req, true); c.site == opaque && (ok != found || ok && g.Rule != f.Rule) {
			t.Errorf("%s: entry point %+v %v, call site %+v %v", c.name, g, ok, f, found)
		}
	}
}

// entryExec is a site like the os.StartProcess entry point's.
var entryExec = &callsite.Site{Package: "os", Sink: "os.StartProcess entry point", Family: event.FamilyExec, Entry: true}

// readAtRunTime copies each string of argv to the heap, as a value read at
// run time is: a string constant of the program is never dynamic (package
// literal), and a test's table is made of constants.
func readAtRunTime(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = strings.Clone(a)
	}
	return out
}
