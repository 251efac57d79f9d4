package detect

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/configured"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
	"github.com/rasp-instrument/rasp-instrument/runtime/shell"
	"github.com/rasp-instrument/rasp-instrument/runtime/ssrf"
)

// heap returns a copy of s that is not one of the program's constants: a
// value read at run time, from a database or a request.
func heap(s string) string { return strings.Clone(s) }

// TestArgvByOrigin judges argvs by where their elements came from: the
// program's constants are its own; a value read at run time that git or
// curl parses as a dangerous option is a finding whatever its source, in a
// request or not.
func TestArgvByOrigin(t *testing.T) {
	opaque := &callsite.Site{Sink: "os/exec.CommandContext", Family: event.FamilyExec}
	withOption := &callsite.Site{Sink: "os/exec.Command", Family: event.FamilyExec,
		Tmpls: []taint.Tmpl{taint.T(0, false, "git"), taint.T(1, false, "fetch"), taint.T(2, false, "--depth=", "")}}
	query := func(name, v string) *reqctx.Request {
		return reqctx.NewRequest("r", "GET", "/x", "127.0.0.1", reqctx.Fixed{{Source: "query", Name: name, Value: v}})
	}
	cases := []struct {
		name string
		site *callsite.Site
		argv []string
		req  *reqctx.Request
		rule string
	}{
		// A branch name stored by an earlier request, outside any request.
		{"stored --exec", opaque, []string{"git", "rebase", heap("--exec=touch /tmp/x"), "main"}, nil, shell.RuleArgumentInjection},
		{"stored --output", opaque, []string{"/usr/bin/git", "diff", heap("--output=/tmp/x")}, nil, shell.RuleArgumentInjection},
		{"stored abbreviation", opaque, []string{"git", "fetch", heap("--upload-pa=id")}, nil, shell.RuleArgumentInjection},
		{"stored short bundle", opaque, []string{"git", "rebase", heap("-xid")}, nil, shell.RuleArgumentInjection},
		{"in a request that does not carry it", opaque, []string{"git", "rev-parse", heap("--output=/tmp/x")}, query("q", "main"), shell.RuleArgumentInjection},
		{"curl -o", opaque, []string{"curl", heap("-o/tmp/x"), "https://example.com/"}, nil, shell.RuleArgumentInjection},
		// The program's own options, and operands.
		{"a constant option", opaque, []string{"git", "rebase", "--exec=make test"}, nil, ""},
		{"an option built by the program", opaque, []string{"git", "fetch", heap("--depth=1")}, nil, ""},
		{"a template shows the option", withOption, []string{"git", "fetch", heap("--depth=1")}, nil, ""},
		{"after --end-of-options", opaque, []string{"git", "rev-parse", "--end-of-options", heap("--output=/tmp/x")}, nil, ""},
		{"after --", opaque, []string{"git", "log", "--", heap("--output=/tmp/x")}, nil, ""},
		{"a branch", opaque, []string{"git", "rebase", heap("feature/x")}, nil, ""},
		{"not a program with such options", opaque, []string{"echo", heap("--output=/tmp/x")}, nil, ""},
		// The program's name: an input equal to it did not choose it.
		{"git, a repository named git", opaque, []string{"git", "log", "--oneline"}, query("repo", "git"), ""},
		{"git, from a struct field", opaque, []string{fromField.name, "log"}, query("msg", "git"), ""},
		{"git read at run time", opaque, []string{heap("git"), "log"}, query("repo", "git"), shell.RuleArgv0Dynamic},
		// The shell chosen by the input, its script in later words.
		{"sh -c id", opaque, fields(`sh -c id`), query("cmd", `sh -c id`), shell.RuleArgv0Dynamic},
		{`bash -c "id"`, opaque, fields(`bash -c "id"`), query("cmd", `bash -c "id"`), shell.RuleArgv0Dynamic},
		{"a constant shell", opaque, []string{"sh", "-c", heap("id")}, query("cmd", "sh"), ""},
		// URLs handed to programs that fetch them.
		{"clone from metadata, stored", opaque, []string{"git", "clone", heap("http://169.254.169.254/latest/meta-data/"), "dir"}, nil, ssrf.RuleMetadata},
		{"clone from loopback, from the request", opaque, []string{"git", "clone", "--", heap("http://127.0.0.1:8080/r.git"), "dir"}, query("url", "http://127.0.0.1:8080/r.git"), ssrf.RuleInternal},
		{"curl a loopback host in the request", opaque, []string{"curl", "-sS", heap("http://localhost:9/x")}, query("host", "localhost:9"), ssrf.RuleInternal},
		{"clone from loopback, configured (127.0.0.1 in the environment)", opaque, []string{"git", "clone", heap("http://127.0.0.1:8080/r.git")}, nil, ""},
		{"clone from a constant", opaque, []string{"git", "clone", "http://169.254.169.254/x"}, nil, ""},
		{"clone from a public host", opaque, []string{"git", "clone", heap("https://198.51.100.7/r.git")}, query("url", "https://198.51.100.7/r.git"), ""},
		{"git ext transport", opaque, []string{"git", "clone", heap("ext::sh -c touch% /tmp/x"), "dir"}, nil, shell.RuleArgumentInjection},
		// Paths in the argv that climb out of where the command runs.
		{"cat climbing out", opaque, []string{"cat", heap("../../../outside/secret.txt")}, query("cmd", "cat ../../../outside/secret.txt"), "path-traversal"},
		{"a program path climbing out", opaque, []string{heap("tools/../../../bin/sh"), "-x"}, query("prog", "tools/../../../bin/sh"), shell.RuleArgv0Dynamic},
		{"under a written directory", opaque, []string{"cat", heap("uploads/" + "../../etc/passwd")}, query("name", "../../etc/passwd"), "path-traversal"},
		{"a relative path that stays", opaque, []string{"cat", heap("docs/../README.md")}, query("cmd", "cat docs/../README.md"), ""},
		{"dots not from the request", opaque, []string{"cat", heap("../common/notes.txt")}, query("q", "notes"), ""},
		{"a name resolving to loopback", opaque, []string{"git", "ls-remote", heap("http://internal.test/r.git")}, query("url", "http://internal.test/r.git"), ssrf.RuleInternal},
	}
	oldHosts := configured.Hosts
	configured.Hosts = func() map[string]bool { return map[string]bool{"127.0.0.1": true} }
	defer func() { configured.Hosts = oldHosts }()
	old := ResolveHost
	ResolveHost = func(host string) []netip.Addr {
		if host == "internal.test" {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		}
		return nil
	}
	defer func() { ResolveHost = old }()
	for _, c := range cases {
		f, found := CommandFinding(c.site, 0, c.argv, c.req, false)
		if found != (c.rule != "") || found && f.Rule != c.rule {
			t.Errorf("%s: %q = %+v %v, want %q", c.name, c.argv, f, found, c.rule)
		}
		if g, ok := CommandFinding(entryExec, 0, c.argv, c.req, true); c.site == opaque && (ok != found || ok && g.Rule != f.Rule) {
			t.Errorf("%s: entry point %+v %v, call site %+v %v", c.name, g, ok, f, found)
		}
	}
}

// TestChildURLAllowlisted: an operator allows a host with allow.ssrf_hosts.
func TestChildURLAllowlisted(t *testing.T) {
	defer judge.SetPolicy(policy.Policy{}, "")
	if err := judge.SetPolicy(policy.Policy{Allow: policy.Allow{SSRFHosts: []string{"127.0.0.1"}}}, "test"); err != nil {
		t.Fatal(err)
	}
	argv := []string{"git", "clone", heap("http://127.0.0.1:8080/r.git")}
	req := reqctx.NewRequest("r", "GET", "/x", "127.0.0.1", reqctx.Fixed{{Source: "query", Name: "url", Value: argv[2]}})
	if f, ok := CommandFinding(entryExec, 0, argv, req, false); ok {
		t.Errorf("an allowed host: %+v", f)
	}
}

type wrapperCmd struct{ name string }

var fromField = wrapperCmd{name: "git"}

func fields(s string) []string { return strings.Fields(heap(s)) }

// BenchmarkCommandClean is the command detector on a wrapper library's
// call outside a request: a constant program and options, a branch read at
// run time.
func BenchmarkCommandClean(b *testing.B) {
	site := &callsite.Site{Sink: "os/exec.CommandContext", Family: event.FamilyExec}
	argv := []string{"git", "log", "--max-count=20", "--format=%H", heap("feature/x"), "--", heap("docs/readme.md")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, ok := CommandFinding(site, 1, argv, nil, false); ok {
			b.Fatal("a finding")
		}
	}
}

// TestChildURLStored: outside any request, a URL stored at run time (its
// host named neither by the program nor by its configuration) that leads
// to an internal address is refused; a configured one is not, nor a
// stored one fetched inside a request that did not choose it.
func TestChildURLStored(t *testing.T) {
	old := configured.Hosts
	defer func() { configured.Hosts = old }()
	configured.Hosts = func() map[string]bool { return map[string]bool{"10.0.0.7": true} }
	stored := []string{"git", "fetch", heap("http://127.0.0.1:8080/mirror.git")}
	f, ok := CommandFinding(entryExec, 0, stored, nil, false)
	if !ok || f.Rule != ssrf.RuleInternal || !strings.Contains(f.Detail, `allow.ssrf_hosts entry to allow it: "127.0.0.1"`) {
		t.Errorf("a stored mirror: %+v %v", f, ok)
	}
	configuredURL := []string{"git", "fetch", heap("http://10.0.0.7/mirror.git")}
	if f, ok := CommandFinding(entryExec, 0, configuredURL, nil, false); ok {
		t.Errorf("a configured mirror: %+v", f)
	}
	req := reqctx.NewRequest("r", "POST", "/sync", "127.0.0.1", reqctx.Fixed{{Source: "query", Name: "repo", Value: "demo"}})
	if f, ok := CommandFinding(entryExec, 0, stored, req, false); ok {
		t.Errorf("in a request that did not choose it: %+v", f)
	}
}
