package cli

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

func TestHostOf(t *testing.T) {
	for v, want := range map[string]string{
		"http://10.0.3.7:8080/hooks":          "10.0.3.7",
		"https://API.Internal./v1":            "api.internal",
		"db.internal:5432":                    "db.internal",
		"[fd00::1]:443":                       "fd00::1",
		"http://169.254.169.254/latest/meta/": "169.254.169.254",
		"mailto:x@example.com":                "",
	} {
		if got := hostOf(v); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestGlobQuote(t *testing.T) {
	if got, want := globQuote(`rm -f /tmp/*.lock ? \x`), `rm -f /tmp/\*.lock \? \\x`; got != want {
		t.Errorf("globQuote = %q, want %q", got, want)
	}
	if p := globQuote(`a\`); len(checkPolicy(policy.Policy{Allow: policy.Allow{ShellCommands: []string{p}}})) != 0 {
		t.Errorf("globQuote(`a\\`) = %q is not a valid pattern", p)
	}
}

// TestTriageEgress: egress-unlisted groups propose their destinations for
// egress.hosts as host:port entries, deduplicated and sorted after the
// base policy's own; a destination an entry of the base allows already is
// left out.
func TestTriageEgress(t *testing.T) {
	base := writeFile(t, "base.json", `{"egress": {"hosts": ["*.internal", "api.example.com:443"]}}`)
	dst := filepath.Join(t.TempDir(), "policy.json")
	out, errOut, err := runCLI(t, "", "triage", "testdata/triage-egress.jsonl", "--fp", "all", "--yes", "--policy", base, "-o", dst)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for _, hint := range []string{
		"1. egress-unlisted: added to egress.hosts: auth.payments.example:443, payments.example:443\n",
		"2. egress-unlisted: already allowed by egress.hosts: cache.internal:6379\n",
		"2. egress-unlisted: added to egress.hosts: [2001:db8::9]:4317, metrics.example:8125\n",
		"2. egress-unlisted: already in egress.hosts: api.example.com:443\n",
		"with 4 new entries",
	} {
		if !strings.Contains(out, hint) {
			t.Errorf("output lacks %q:\n%s", hint, out)
		}
	}
	pf, err := loadPolicy(dst)
	if err != nil {
		t.Fatalf("the proposal does not pass policy check: %v", err)
	}
	want := []string{"*.internal", "api.example.com:443",
		"[2001:db8::9]:4317", "auth.payments.example:443", "metrics.example:8125", "payments.example:443"}
	if pf.Policy.Egress == nil || !reflect.DeepEqual(pf.Policy.Egress.Hosts, want) {
		t.Errorf("egress.hosts = %+v, want %q", pf.Policy.Egress, want)
	}

	// Without a base policy, the list is the proposal's alone, with a note.
	out, errOut, err = runCLI(t, "", "triage", "testdata/triage-egress.jsonl", "--fp", "1", "--yes")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out, `"hosts": [
      "auth.payments.example:443",
      "payments.example:443"
    ]`) || !strings.Contains(errOut, "note: the base policy had no egress list") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
}

func TestEgressEntryOf(t *testing.T) {
	for v, want := range map[string]string{
		"API.Example.com.:443": "api.example.com:443",
		"[2001:DB8::1]:443":    "[2001:db8::1]:443",
		"10.0.0.1:0443":        "10.0.0.1:443",
		"10.0.0.1":             "10.0.0.1",
		"2001:db8::1":          "2001:db8::1",
		"example.com:http":     "",
		"example.com:0":        "",
		"http://example.com/":  "",
		"":                     "",
	} {
		if got, _, _, _ := egressEntryOf(v); got != want {
			t.Errorf("egressEntryOf(%q) = %q, want %q", v, got, want)
		}
	}
}
