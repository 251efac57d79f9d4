package cli

import (
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
