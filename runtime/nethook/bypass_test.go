package nethook

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

// TestSSRFBypassTable judges alternative notations of internal addresses in
// a host that a request input chose, and prints the table (go test -v -run
// SSRFBypassTable).
func TestSSRFBypassTable(t *testing.T) {
	site := &callsite.Site{Package: "example.com/app", File: "n.go", Line: 1, Sink: "net/http.Get", Family: event.FamilyNet,
		Tmpls: []taint.Tmpl{taint.T(0, false, "http://", "/status")}}
	cases := []struct {
		technique, host string
		internal        bool
	}{
		{"short IPv4", "127.1", true},
		{"decimal IPv4", "2130706433", true},
		{"octal IPv4", "0177.0.0.1", true},
		{"hex IPv4", "0x7f.1", true},
		{"IPv4-mapped IPv6", "[::ffff:127.0.0.1]", true},
		{"IPv4-compatible IPv6", "[::127.0.0.1]", true},
		{"unspecified IPv6", "[::]", true},
		{"unspecified IPv4", "0.0.0.0", true},
		{"trailing dot", "localhost.", true},
		{"upper case name", "LOCALHOST", true},
		{"userinfo before the host", "example.com@127.0.0.1", true},
		{"AWS metadata", "169.254.169.254", true},
		{"AWS metadata IPv6", "[fd00:ec2::254]", true},
		{"Alibaba metadata", "100.100.100.200", true},
		{"GCP metadata name", "metadata.google.internal", true},
		{"RFC 1918", "10.0.0.1", true},
		{"CGNAT", "100.64.0.1", true},
		{"link-local", "169.254.1.1", true},
		{"public name (benign)", "example.com", false},
		{"public address (benign)", "93.184.215.14", false},
	}
	var rows []string
	inBlockMode(t, func() {
		for _, c := range cases {
			err := checkURL(reqCtx(c.host), site, 0, "http://"+c.host+"/status")
			mark := "ok"
			if (err != nil) != c.internal {
				mark = "WRONG"
				t.Errorf("%s %q: blocked %v, want %v", c.technique, c.host, err != nil, c.internal)
			}
			rows = append(rows, fmt.Sprintf("| %-26s | %-28s | %-8v | %-7v | %s |", c.technique, c.host, c.internal, err != nil, mark))
		}
	})
	t.Logf("\n| technique | host | internal | blocked | |\n|---|---|---|---|---|\n%s", strings.Join(rows, "\n"))
}
