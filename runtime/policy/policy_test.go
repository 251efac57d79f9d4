package policy

import (
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
)

func TestParseErrors(t *testing.T) {
	cases := []struct{ data, want string }{
		{"{\n  \"mode\": \"block\",\n  \"allow\": {\"ssrf_host\": []}\n}", `p.json:3: unknown field "ssrf_host"`},
		{"{\n  \"mode\": 3\n}", "p.json:2: field mode: want string, got number"},
		{"{\n  \"mode\": \"block\"\n  \"allow\": {}\n}", "p.json:3: invalid character"},
		{"{\"mode\": \"block\"", "p.json:1: the policy ends early"},
		{"{} {}", "p.json:1: unexpected data after the policy object"},
	}
	for _, c := range cases {
		_, err := Parse("p.json", []byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want %q", c.data, err, c.want)
		}
	}
	p, err := Parse("p.json", []byte(`{"mode":"block","allow":{"ssrf_hosts":["10.0.0.0/8"],"path_bases":["/srv"],"shell_commands":["git status"]}}`))
	if err != nil || p.Mode != "block" || len(p.Allow.SSRFHosts) != 1 || p.Allow.PathBases[0] != "/srv" {
		t.Fatalf("ParsePolicy = %+v, %v", p, err)
	}
}

func TestPolicyFieldErrors(t *testing.T) {
	for _, c := range []struct {
		p    Policy
		want string
	}{
		{Policy{Mode: "loud"}, `p.json: mode: unknown mode "loud"`},
		{Policy{Allow: Allow{SSRFHosts: []string{"10.0.0.0/33"}}}, `p.json: allow.ssrf_hosts[0]: "10.0.0.0/33" is not a CIDR`},
		{Policy{Allow: Allow{PathBases: []string{""}}}, "p.json: allow.path_bases[0]: empty entry"},
		{Policy{Rules: map[string]string{"sqli-nope": "block"}}, `p.json: rules.sqli-nope: unknown rule "sqli-nope"`},
		{Policy{Allow: Allow{SQL: []SQLAllow{{Rule: "sqli-dynamic"}}}}, "p.json: allow.sql[0]: needs a site"},
		{Policy{Allow: Allow{ShellCommands: []string{"ls \\"}}}, "p.json: allow.shell_commands"},
	} {
		if err := Check(c.p, "p.json"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(%+v) = %v, want %q", c.p, err, c.want)
		}
	}
}

// FuzzParsePolicy: any input gets a policy or an error naming the file and
// a line; never a panic, and a parsed policy either compiles or fails with
// a field named.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"mode":"block","rules":{"sqli-tautology":"detect"}}`,
		`{"allow":{"ssrf_hosts":["10.0.0.0/8","*.svc","db.internal"],"path_bases":["/srv"],"shell_commands":["git log *"]}}`,
		`{"allow":{"sql":[{"site":"example.com/a.go:3","rule":"sqli-dynamic"},{"shape":"SELECT ?"}],"routes":[{"path":"/admin/*","rules":["sqli-*"]}]}}`,
		"{\n \"mode\": }",
		`[1,2]`,
		`{"mode":"block"} trailing`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("p.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "p.json") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		if err := Check(p, "p.json"); err != nil && !strings.HasPrefix(err.Error(), "p.json: ") {
			t.Fatalf("check error without the file name: %v", err)
		}
	})
}

// TestRulesByFamilyCoversSinkFamilies: every family of sinks has rules, in
// event.SinkFamilies' order, then the request rules.
func TestRulesByFamilyCoversSinkFamilies(t *testing.T) {
	byFamily := RulesByFamily()
	if len(byFamily) != len(event.SinkFamilies)+1 || byFamily[len(byFamily)-1].Family != event.FamilyRequest {
		t.Fatalf("RulesByFamily has %d families; want event.SinkFamilies and request", len(byFamily))
	}
	for i, f := range byFamily[:len(event.SinkFamilies)] {
		if f.Family != event.SinkFamilies[i] || len(f.Rules) == 0 {
			t.Errorf("family %d: %s with %d rules; want %s", i, f.Family, len(f.Rules), event.SinkFamilies[i])
		}
	}
}
