package detect

import (
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

func withPolicy(t *testing.T, p policy.Policy) {
	t.Helper()
	old := judge.CurrentPolicy()
	if err := judge.SetPolicy(p, "test"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { judge.Restore(old) })
}

func TestPolicyPathBases(t *testing.T) {
	withPolicy(t, policy.Policy{Allow: policy.Allow{PathBases: []string{"/srv/data"}}})
	site := &callsite.Site{Sink: "os.Open", Family: event.FamilyFile, Tmpls: []taint.Tmpl{taint.T(0, false, "", "")}}
	if _, found := (templatePath{}).CheckPath(site, 0, "/srv/data/a.txt", nil); found {
		t.Errorf("a path inside the base was a finding")
	}
	if f, found := (templatePath{}).CheckPath(site, 0, "/var/lib/x", nil); !found || f.Rule != "path-outside-base" {
		t.Errorf("a path outside the base: %+v %v", f, found)
	}
}

func TestPolicyShellAllowlist(t *testing.T) {
	withPolicy(t, policy.Policy{Allow: policy.Allow{ShellCommands: []string{"git log --oneline *"}}})
	site := &callsite.Site{Sink: "os/exec.Command", Family: event.FamilyExec, Tmpls: []taint.Tmpl{taint.T(2, false, "git log --oneline ", "")}}
	if _, found := (templateExec{}).CheckCommand(site, 0, []string{"sh", "-c", "git log --oneline main"}, nil); found {
		t.Errorf("an allowlisted script was a finding")
	}
	if f, found := (templateExec{}).CheckCommand(site, 0, []string{"sh", "-c", "git log --oneline x; id"}, nil); !found {
		t.Errorf("an allowlisted pattern hid an injection: %+v", f)
	}
	if f, found := (templateExec{}).CheckCommand(site, 0, []string{"sh", "-c", "rm -rf /tmp/x"}, nil); !found || f.Rule != "cmdi-shell-not-allowlisted" {
		t.Errorf("a script outside the allowlist: %+v %v", f, found)
	}
}
