// Package prometheus_test checks the Prometheus alerting rules shipped in
// deploy/prometheus against the metrics the runtime exports.
package prometheus_test

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rasp-instrument/rasp-instrument/runtime/httphook"
)

const rulesFile = "rasp-alerts.yml"

type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// exported returns the series names the runtime's metrics handler
// serves (histograms as their _bucket, _sum and _count series) and the
// metric names of its TYPE lines.
func exported(t *testing.T) (series, families map[string]bool) {
	t.Helper()
	rec := httptest.NewRecorder()
	httphook.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("metrics handler: %d %s", rec.Code, rec.Body)
	}
	buf := rec.Body
	series, families = map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(buf)
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			families[f[2]] = true
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			series[line[:i]] = true
		}
	}
	return series, families
}

var (
	metricRef = regexp.MustCompile(`\brasp_[a-zA-Z0-9_]+`)
	duration  = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)
)

func TestAlertRulesParse(t *testing.T) {
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	if len(rf.Groups) == 0 {
		t.Fatal("no rule groups")
	}
	series, families := exported(t)
	if len(series) == 0 {
		t.Fatal("WriteMetrics wrote no series")
	}

	alerts := map[string]string{} // alert name -> expression
	groups := map[string]bool{}
	for _, g := range rf.Groups {
		if g.Name == "" || groups[g.Name] {
			t.Errorf("group name %q empty or repeated", g.Name)
		}
		groups[g.Name] = true
		for _, r := range g.Rules {
			if r.Alert == "" || r.Record != "" {
				t.Errorf("group %s: rule %q is not an alert", g.Name, r.Record)
				continue
			}
			if _, dup := alerts[r.Alert]; dup {
				t.Errorf("alert %s defined twice", r.Alert)
			}
			alerts[r.Alert] = r.Expr
			if strings.TrimSpace(r.Expr) == "" {
				t.Errorf("alert %s: no expr", r.Alert)
			}
			if r.For != "" && !duration.MatchString(r.For) {
				t.Errorf("alert %s: bad for %q", r.Alert, r.For)
			}
			switch r.Labels["severity"] {
			case "critical", "warning", "info":
			default:
				t.Errorf("alert %s: severity %q", r.Alert, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("alert %s: no summary", r.Alert)
			}
			if strings.Count(r.Expr, "(") != strings.Count(r.Expr, ")") {
				t.Errorf("alert %s: unbalanced parentheses in %q", r.Alert, r.Expr)
			}
			refs := metricRef.FindAllString(r.Expr, -1)
			if len(refs) == 0 {
				t.Errorf("alert %s names no rasp metric: %q", r.Alert, r.Expr)
			}
			for _, m := range refs {
				if !series[m] {
					t.Errorf("alert %s: expr names %s, which WriteMetrics does not export", r.Alert, m)
				}
			}
			for k, text := range r.Annotations {
				for _, m := range metricRef.FindAllString(text, -1) {
					if !series[m] && !families[m] {
						t.Errorf("alert %s: annotation %s names %s, which WriteMetrics does not export", r.Alert, k, m)
					}
				}
			}
		}
	}

	// The alerts this file is for, on the metrics they watch.
	for alert, metric := range map[string]string{
		"RaspAgentInactive":        "rasp_agent_active",
		"RaspBlockSpike":           "rasp_blocked_requests_total",
		"RaspDetectionLatencyHigh": "rasp_detection_latency_seconds_bucket",
		"RaspAllowlistNeverHit":    "rasp_allowlist_hits_total",
	} {
		expr, ok := alerts[alert]
		if !ok {
			t.Errorf("no alert %s", alert)
			continue
		}
		if !strings.Contains(expr, metric) {
			t.Errorf("alert %s does not watch %s: %q", alert, metric, expr)
		}
	}
}

// TestAlertRulesPromtool checks the file with Prometheus' own checker,
// where promtool is installed.
func TestAlertRulesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed")
	}
	out, err := exec.Command(promtool, "check", "rules", rulesFile).CombinedOutput()
	if err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}
