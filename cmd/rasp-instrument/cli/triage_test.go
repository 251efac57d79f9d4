package cli

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

const events = "testdata/events.jsonl"

const malformedWarning = "testdata/events.jsonl:16: malformed event, skipped: "

// fakeTerminal makes triage take its standard input for a terminal.
func fakeTerminal(t *testing.T) {
	old := stdinIsTerminal
	stdinIsTerminal = func(io.Reader) bool { return true }
	t.Cleanup(func() { stdinIsTerminal = old })
}

func TestTriageList(t *testing.T) {
	out, errOut, err := runCLI(t, "", "triage", events)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "triage-list.golden", out)
	if !strings.HasPrefix(errOut, malformedWarning) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("stderr: %q, want one warning for line 16", errOut)
	}
}

func TestTriageFP1(t *testing.T) {
	out, errOut, err := runCLI(t, "", "triage", events, "--fp", "1", "--yes")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "triage-fp1.json", out)
	// The listing moves to standard error, since standard output holds the policy.
	list, _ := os.ReadFile("testdata/triage-list.golden")
	wantErr := malformedWarning + "invalid character '\\n' in string literal\n" + string(list) + `
# proposal
1. sqli-tautology: added to allow.sql by site, rule and query shape
1. sqli-tautology: all from one request path; to exempt the route instead, add to allow.routes: {"path":"/search","method":"GET","rules":["sqli-tautology"]}
`
	if errOut != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, wantErr)
	}
	pf, err := parsePolicyFile("proposal.json", []byte(out))
	if err != nil {
		t.Fatalf("the proposal does not pass policy check: %v", err)
	}
	want := []policy.SQLAllow{{
		Site:  "example.com/shop/store/products.go:88",
		Shape: "SELECT id, name, price FROM products WHERE name LIKE ? OR sku = ? ORDER BY price",
		Rule:  "sqli-tautology",
	}}
	if !reflect.DeepEqual(pf.Policy.Allow.SQL, want) {
		t.Errorf("allow.sql = %+v, want %+v", pf.Policy.Allow.SQL, want)
	}
}

func TestTriageMergeAll(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "policy.json")
	out, errOut, err := runCLI(t, "", "triage", events, "--fp", "all", "--yes", "--policy", "testdata/base.yaml", "-o", dst)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.HasPrefix(out, "# 19 findings in 5 groups") {
		t.Errorf("with -o, the listing goes to standard output; got:\n%s", out)
	}
	for _, hint := range []string{
		"2. path-traversal: no entry proposed: if these paths are meant to be reached, add their base directory to allow.path_bases",
		"3. ssrf-internal: added to allow.ssrf_hosts: inventory.internal\n",
		"3. ssrf-internal: already in allow.ssrf_hosts: 10.0.3.7\n",
		`3. ssrf-internal: all from one request path; to exempt the route instead, add to allow.routes: {"path":"/api/webhooks/test","method":"POST","rules":["ssrf-internal"]}`,
		`4. cmdi-shell-not-allowlisted: added to allow.shell_commands: find /var/cache/shop -name '\*.tmp' -mtime +1 -delete`,
		"4. cmdi-shell-not-allowlisted: note: allow.shell_commands was empty",
		"5. sqli-union: added to allow.sql by site, rule and query shape",
		"wrote " + dst + " with 4 new entries; check it with: rasp-instrument policy check " + dst,
	} {
		if !strings.Contains(out, hint) {
			t.Errorf("output lacks %q", hint)
		}
	}
	pf, err := loadPolicy(dst)
	if err != nil {
		t.Fatalf("the merged policy does not pass policy check: %v", err)
	}
	p := pf.Policy
	if p.Mode != "block" || p.Rules["sqli-dynamic"] != "detect" {
		t.Errorf("the base policy's mode and rules were lost: %+v", p)
	}
	if want := []string{"10.0.3.7", "inventory.internal"}; !reflect.DeepEqual(p.Allow.SSRFHosts, want) {
		t.Errorf("ssrf_hosts = %q, want %q", p.Allow.SSRFHosts, want)
	}
	if want := []string{`find /var/cache/shop -name '\*.tmp' -mtime +1 -delete`}; !reflect.DeepEqual(p.Allow.ShellCommands, want) {
		t.Errorf("shell_commands = %q, want %q", p.Allow.ShellCommands, want)
	}
	var sites []string
	for _, e := range p.Allow.SQL {
		sites = append(sites, e.Site)
	}
	if want := []string{"example.com/shop/store/legacy.go:12", "example.com/shop/store/products.go:88", "example.com/shop/store/reports.go:120"}; !reflect.DeepEqual(sites, want) {
		t.Errorf("allow.sql sites = %q, want %q", sites, want)
	}
	if len(p.Allow.PathBases) != 0 || len(p.Allow.Routes) != 0 {
		t.Errorf("path_bases and routes are hints only, got %+v", p.Allow)
	}
}

func TestTriageInteractive(t *testing.T) {
	fakeTerminal(t)
	// 1: no, 2: (empty: no), 3: yes, then the input ends: stop asking.
	out, errOut, err := runCLI(t, "n\n\nyes\n", "triage", events)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"1. sqli-tautology at example.com/shop/store/products.go:88: false positive? [y/N/q] ",
		"3. ssrf-internal at example.com/shop/webhook/notify.go:41: false positive? [y/N/q] ",
		"4. cmdi-shell-not-allowlisted at example.com/shop/admin/maint.go:55: false positive? [y/N/q] ",
	} {
		if !strings.Contains(errOut, q) {
			t.Errorf("stderr lacks the question %q", q)
		}
	}
	if strings.Contains(errOut, "5. sqli-union at") {
		t.Error("asked again after the end of the input")
	}
	pf, err := parsePolicyFile("proposal.json", []byte(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := []string{"10.0.3.7", "inventory.internal"}; !reflect.DeepEqual(pf.Policy.Allow.SSRFHosts, want) || len(pf.Policy.Allow.SQL) != 0 {
		t.Errorf("proposal %+v, want only ssrf_hosts %q", pf.Policy.Allow, want)
	}
}

func TestTriageInteractiveQuit(t *testing.T) {
	fakeTerminal(t)
	out, errOut, err := runCLI(t, "q\n", "triage", events)
	if err != nil || out != "" {
		t.Fatalf("%v, stdout %q", err, out)
	}
	if !strings.HasSuffix(errOut, "no group marked as a false positive: no policy written\n") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestTriageConfirm(t *testing.T) {
	fakeTerminal(t)
	out, errOut, err := runCLI(t, "n\n", "triage", events, "--fp", "1,3")
	if err != nil || out != "" {
		t.Fatalf("%v, stdout %q", err, out)
	}
	if !strings.Contains(errOut, "allowlist groups 1, 3 as false positives? [y/N] ") {
		t.Errorf("no confirmation asked:\n%s", errOut)
	}
	out, _, err = runCLI(t, "y\n", "triage", events, "--fp", "1,3")
	if err != nil || !strings.Contains(out, `"sql"`) || !strings.Contains(out, `"ssrf_hosts"`) {
		t.Errorf("confirmed: %v\n%s", err, out)
	}
}

func TestTriageFPErrors(t *testing.T) {
	for _, tc := range []struct{ fp, want string }{
		{"9", "--fp 9: there is no group 9: the events make groups 1 to 5"},
		{"2-7", "--fp 2-7: there is no group 2-7"},
		{"x", `--fp x: "x" is not a number`},
		{"3-1", `--fp 3-1: "3-1" is not a range`},
	} {
		_, errOut, err := runCLI(t, "", "triage", events, "--fp", tc.fp, "--yes")
		if err == nil || !strings.Contains(errOut, tc.want) {
			t.Errorf("--fp %s: %v\n%s\nwant %q", tc.fp, err, errOut, tc.want)
		}
	}
}

func TestTriageBadPolicy(t *testing.T) {
	_, errOut, err := runCLI(t, "", "triage", events, "--fp", "1", "--yes", "--policy", "testdata/policy/bad.yaml")
	if err == nil || !strings.Contains(errOut, "--policy: testdata/policy/bad.yaml:3: ") {
		t.Errorf("%v\n%s", err, errOut)
	}
}

func TestTriageNoFindings(t *testing.T) {
	path := writeFile(t, "empty.jsonl", "\n{\"level\":\"ERROR\",\"msg\":\"rasp policy reload failed\"}\n")
	out, errOut, err := runCLI(t, "", "triage", path, "--fp", "1", "--yes")
	if err != nil || errOut != "# 0 findings in 0 groups, from 0 events; skipped 1 other message\n" || out != "" {
		t.Errorf("%v, stdout %q, stderr %q", err, out, errOut)
	}
}
