// Package kubernetes_test checks the manifests of deploy/kubernetes: each
// file parses, the objects name each other consistently (the policy
// ConfigMap, its volume and RASP_POLICY; the metrics port, annotations,
// Service and ServiceMonitor; the kustomization), the policy is one the
// runtime accepts, the PrometheusRule holds the alerts of
// deploy/prometheus/rasp-alerts.yml, and the log agents' configurations
// keep the event lines the runtime writes and drop the app's other lines.
package kubernetes_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/httphook"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
	"github.com/rasp-instrument/rasp-instrument/runtime/raspimpl"
)

// The files of the directory that are not Kubernetes objects. Any other
// file must be a manifest (*.yaml), which every test below reads: a new
// file is either parsed here or named here.
var (
	// notManifests are read by no test of this file.
	notManifests = map[string]bool{
		"README.md":          true,
		"kubernetes_test.go": true,
	}
	// kustomizationFile is kustomize's, not an object: it has no
	// metadata.name, and lists the others.
	kustomizationFile = "kustomization.yaml"
	// alertsFile holds the alerting rules the PrometheusRule must hold.
	alertsFile = filepath.Join("..", "prometheus", "rasp-alerts.yml")
)

// object is one document of a manifest.
type object struct {
	file       string
	node       *yaml.Node
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   meta   `yaml:"metadata"`
}

func (o object) String() string { return o.file + ": " + o.Kind + " " + o.Metadata.Name }

// decode decodes the object into v.
func (o object) decode(t *testing.T, v any) {
	t.Helper()
	if err := o.node.Decode(v); err != nil {
		t.Fatalf("%s: %v", o, err)
	}
}

type meta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// manifests returns the objects of every manifest of the directory, in
// the order of the files and of their documents, and fails the test on
// a file it does not know.
func manifests(t *testing.T) []object {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var objs []object
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir():
			t.Errorf("directory %s: kubernetes_test.go reads no subdirectory; check its files here or move it", name)
			continue
		case notManifests[name] || name == kustomizationFile:
			continue
		case !strings.HasSuffix(name, ".yaml"):
			t.Errorf("file %s is neither a manifest (*.yaml) nor one of the files kubernetes_test.go knows: check it there", name)
			continue
		}
		docs := documents(t, name)
		if len(docs) == 0 {
			t.Errorf("%s holds no document", name)
		}
		for i, doc := range docs {
			o := object{file: name, node: doc}
			if err := doc.Decode(&o); err != nil {
				t.Fatalf("%s, document %d: %v", name, i+1, err)
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s, document %d: apiVersion %q, kind %q, metadata.name %q: want all three", name, i+1, o.APIVersion, o.Kind, o.Metadata.Name)
			}
			objs = append(objs, o)
		}
	}
	return objs
}

// documents parses the YAML documents of a file, leaving out empty ones.
func documents(t *testing.T, name string) []*yaml.Node {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
			continue
		}
		if doc.Content[0].Kind != yaml.MappingNode {
			t.Fatalf("%s, line %d: a document that is not a mapping", name, doc.Content[0].Line)
		}
		docs = append(docs, &doc)
	}
}

// only returns the one object of kind, failing the test unless there is
// exactly one.
func only(t *testing.T, objs []object, kind string) object {
	t.Helper()
	var found []object
	for _, o := range objs {
		if o.Kind == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of kind %s, want 1: %v", len(found), kind, found)
	}
	return found[0]
}

func TestManifestsParse(t *testing.T) {
	objs := manifests(t)
	seen := map[string]string{}
	for _, o := range objs {
		key := o.Kind + "/" + o.Metadata.Name
		if f, dup := seen[key]; dup {
			t.Errorf("%s is defined in %s and in %s", key, f, o.file)
		}
		seen[key] = o.file
		if o.Metadata.Namespace != "" {
			t.Errorf("%s sets a namespace: leave it to kubectl -n or the kustomization", o)
		}
	}
	for _, kind := range []string{"ConfigMap", "Deployment", "Service", "ServiceMonitor", "PrometheusRule"} {
		if !slices.ContainsFunc(objs, func(o object) bool { return o.Kind == kind }) {
			t.Errorf("no %s", kind)
		}
	}
}

type kustomization struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Resources  []string `yaml:"resources"`
}

// TestKustomizationListsEveryManifest checks that kubectl apply -k applies
// every manifest, and, where kubectl is installed, builds it.
func TestKustomizationListsEveryManifest(t *testing.T) {
	docs := documents(t, kustomizationFile)
	if len(docs) != 1 {
		t.Fatalf("%s: %d documents, want 1", kustomizationFile, len(docs))
	}
	var k kustomization
	if err := docs[0].Decode(&k); err != nil {
		t.Fatal(err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("%s: apiVersion %q, kind %q", kustomizationFile, k.APIVersion, k.Kind)
	}
	objs := manifests(t)
	files := map[string]bool{}
	for _, o := range objs {
		files[o.file] = true
	}
	listed := map[string]bool{}
	for _, r := range k.Resources {
		if listed[r] {
			t.Errorf("%s lists %s twice", kustomizationFile, r)
		}
		listed[r] = true
		if !files[r] {
			t.Errorf("%s lists %s, which is not a manifest of this directory", kustomizationFile, r)
		}
	}
	for f := range files {
		if !listed[f] {
			t.Errorf("%s does not list %s: add it to resources", kustomizationFile, f)
		}
	}

	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed: kustomization not built")
	}
	out, err := exec.Command(kubectl, "kustomize", ".").Output()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	var built []string
	for {
		var o object
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("kubectl kustomize output: %v", err)
		}
		built = append(built, o.Kind+"/"+o.Metadata.Name)
	}
	var want []string
	for _, o := range objs {
		want = append(want, o.Kind+"/"+o.Metadata.Name)
	}
	sort.Strings(built)
	sort.Strings(want)
	if !reflect.DeepEqual(built, want) {
		t.Errorf("kubectl kustomize built %v, want %v", built, want)
	}
}

type configMap struct {
	Metadata meta              `yaml:"metadata"`
	Data     map[string]string `yaml:"data"`
}

type deployment struct {
	Metadata meta `yaml:"metadata"`
	Spec     struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata meta `yaml:"metadata"`
			Spec     struct {
				Containers []container `yaml:"containers"`
				Volumes    []struct {
					Name      string `yaml:"name"`
					ConfigMap *struct {
						Name  string `yaml:"name"`
						Items []struct {
							Key  string `yaml:"key"`
							Path string `yaml:"path"`
						} `yaml:"items"`
					} `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type container struct {
	Name  string `yaml:"name"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
	} `yaml:"volumeMounts"`
}

// env returns the value of the container's variable name, and whether it
// is set.
func (c container) env(name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

// port returns the number of the container's port name, or 0.
func (c container) port(name string) int {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// appContainer returns the Deployment's container that runs the
// instrumented program: the one that sets RASP_POLICY.
func appContainer(t *testing.T, d deployment) container {
	t.Helper()
	for _, c := range d.Spec.Template.Spec.Containers {
		if _, ok := c.env("RASP_POLICY"); ok {
			return c
		}
	}
	t.Fatalf("no container of Deployment %s sets RASP_POLICY", d.Metadata.Name)
	return container{}
}

// subset reports whether every label of sel is in labels, and sel is not
// empty (an empty selector selects everything).
func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestPolicyVolume checks the path from the ConfigMap to RASP_POLICY, and
// that the policy is one the runtime puts in force.
func TestPolicyVolume(t *testing.T) {
	objs := manifests(t)
	var d deployment
	only(t, objs, "Deployment").decode(t, &d)
	c := appContainer(t, d)
	name, _ := c.env("RASP_POLICY")
	if !filepath.IsAbs(name) {
		t.Fatalf("RASP_POLICY %q is not an absolute path", name)
	}

	// The mount that holds RASP_POLICY.
	var mountPath, volName string
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(name, strings.TrimSuffix(m.MountPath, "/")+"/") && len(m.MountPath) > len(mountPath) {
			mountPath, volName = m.MountPath, m.Name
			if m.SubPath != "" {
				t.Errorf("volume mount %s uses subPath %q: the kubelet never updates a subPath mount, so a changed policy would not reach the pods", m.Name, m.SubPath)
			}
		}
	}
	if volName == "" {
		t.Fatalf("RASP_POLICY %s is under no volume mount of container %s", name, c.Name)
	}
	rel := strings.TrimPrefix(name, strings.TrimSuffix(mountPath, "/")+"/")

	// The ConfigMap of that volume, and its key at rel.
	var cmName, key string
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Name != volName {
			continue
		}
		if v.ConfigMap == nil {
			t.Fatalf("volume %s, which holds RASP_POLICY, is not a ConfigMap volume", volName)
		}
		cmName, key = v.ConfigMap.Name, rel
		if len(v.ConfigMap.Items) > 0 {
			key = ""
			for _, it := range v.ConfigMap.Items {
				if it.Path == rel {
					key = it.Key
				}
			}
		}
	}
	if cmName == "" {
		t.Fatalf("the Deployment mounts volume %s but does not define it", volName)
	}
	var cm *configMap
	for _, o := range objs {
		if o.Kind == "ConfigMap" && o.Metadata.Name == cmName {
			cm = new(configMap)
			o.decode(t, cm)
		}
	}
	if cm == nil {
		t.Fatalf("volume %s names ConfigMap %s, which no manifest defines", volName, cmName)
	}
	data, ok := cm.Data[key]
	if key == "" || !ok {
		t.Fatalf("RASP_POLICY %s is %s in the volume of ConfigMap %s, which has no such key (keys: %v)", name, rel, cmName, keysOf(cm.Data))
	}

	// The policy, read as the runtime reads it.
	p, err := policy.Parse(key, []byte(data))
	if err != nil {
		t.Fatalf("ConfigMap %s: %v", cmName, err)
	}
	if err := policy.Check(p, key); err != nil {
		t.Fatalf("ConfigMap %s: %v", cmName, err)
	}
	if _, err := policy.ParseMode(p.Mode); err != nil {
		t.Errorf("ConfigMap %s: mode: %v", cmName, err)
	}
	if m, ok := c.env("RASP_MODE"); !ok {
		t.Errorf("container %s does not set RASP_MODE", c.Name)
	} else if _, err := policy.ParseMode(m); err != nil || m == "" {
		t.Errorf("RASP_MODE %q: %v", m, err)
	}
	if v, ok := c.env("RASP_EVENTS"); ok {
		t.Errorf("RASP_EVENTS=%q: the log agents read the events from the container's log, standard error", v)
	}
}

func keysOf(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

type service struct {
	Metadata meta `yaml:"metadata"`
	Spec     struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"` // a name or a number
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type serviceMonitor struct {
	Metadata meta `yaml:"metadata"`
	Spec     struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Endpoints []struct {
			Port     string `yaml:"port"`
			Path     string `yaml:"path"`
			Interval string `yaml:"interval"`
		} `yaml:"endpoints"`
	} `yaml:"spec"`
}

// TestMetricsWiring follows the metrics from RASP_METRICS_ADDR to the
// container port, the scrape annotations, the Service and the
// ServiceMonitor.
func TestMetricsWiring(t *testing.T) {
	objs := manifests(t)
	var d deployment
	only(t, objs, "Deployment").decode(t, &d)
	c := appContainer(t, d)
	pod := d.Spec.Template.Metadata

	if !subset(d.Spec.Selector.MatchLabels, pod.Labels) {
		t.Errorf("Deployment selector %v does not select its pod labels %v", d.Spec.Selector.MatchLabels, pod.Labels)
	}

	addr, ok := c.env("RASP_METRICS_ADDR")
	if !ok {
		t.Fatalf("container %s does not set RASP_METRICS_ADDR", c.Name)
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("RASP_METRICS_ADDR %q: %v", addr, err)
	}
	if host != "" && host != "0.0.0.0" && host != "::" {
		t.Errorf("RASP_METRICS_ADDR %q listens on %s only: Prometheus scrapes the pod's address", addr, host)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatalf("RASP_METRICS_ADDR %q: port %q", addr, portText)
	}
	if got := c.port("metrics"); got != port {
		t.Errorf("container port \"metrics\" is %d, RASP_METRICS_ADDR says %d", got, port)
	}
	for k, want := range map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   portText,
		"prometheus.io/path":   "/metrics",
	} {
		if got := pod.Annotations[k]; got != want {
			t.Errorf("pod annotation %s is %q, want %q", k, got, want)
		}
	}

	var svc service
	svcObj := only(t, objs, "Service")
	svcObj.decode(t, &svc)
	if !subset(svc.Spec.Selector, pod.Labels) {
		t.Errorf("Service %s selector %v does not select the pod labels %v", svc.Metadata.Name, svc.Spec.Selector, pod.Labels)
	}
	svcPorts := map[string]bool{}
	for _, p := range svc.Spec.Ports {
		svcPorts[p.Name] = true
		if p.Name == "metrics" && p.TargetPort != "metrics" && p.TargetPort != portText {
			t.Errorf("Service port metrics targets %q, want the container port metrics (%d)", p.TargetPort, port)
		}
	}
	if !svcPorts["metrics"] {
		t.Errorf("Service %s has no port named metrics", svc.Metadata.Name)
	}

	var sm serviceMonitor
	only(t, objs, "ServiceMonitor").decode(t, &sm)
	if !subset(sm.Spec.Selector.MatchLabels, svc.Metadata.Labels) {
		t.Errorf("ServiceMonitor %s selector %v does not select Service %s (labels %v)", sm.Metadata.Name, sm.Spec.Selector.MatchLabels, svc.Metadata.Name, svc.Metadata.Labels)
	}
	if len(sm.Spec.Endpoints) == 0 {
		t.Fatalf("ServiceMonitor %s has no endpoints", sm.Metadata.Name)
	}
	for _, e := range sm.Spec.Endpoints {
		if !svcPorts[e.Port] {
			t.Errorf("ServiceMonitor endpoint port %q is not a port name of Service %s", e.Port, svc.Metadata.Name)
		}
		if e.Path != "" && e.Path != "/metrics" {
			t.Errorf("ServiceMonitor endpoint path %q, want /metrics", e.Path)
		}
	}
}

// The schema of a Prometheus rule file's groups, which the
// PrometheusRule's spec shares.
type ruleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Rules    []struct {
		Alert       string            `yaml:"alert,omitempty"`
		Record      string            `yaml:"record,omitempty"`
		Expr        string            `yaml:"expr"`
		For         string            `yaml:"for,omitempty"`
		Labels      map[string]string `yaml:"labels,omitempty"`
		Annotations map[string]string `yaml:"annotations,omitempty"`
	} `yaml:"rules"`
}

// decodeStrict decodes data into v, refusing fields v does not have.
func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// TestPrometheusRuleMatchesAlerts checks that the PrometheusRule holds the
// rule groups of deploy/prometheus/rasp-alerts.yml, and that its
// expressions name metrics the runtime exports.
func TestPrometheusRuleMatchesAlerts(t *testing.T) {
	data, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []ruleGroup `yaml:"groups"`
	}
	if err := decodeStrict(data, &file); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}

	o := only(t, manifests(t), "PrometheusRule")
	if o.APIVersion != "monitoring.coreos.com/v1" {
		t.Errorf("%s: apiVersion %q", o, o.APIVersion)
	}
	// Decoded from the file's text, strictly (a yaml.Node marshalled
	// again does not always give back its folded scalars as they were).
	manifest, err := os.ReadFile(o.file)
	if err != nil {
		t.Fatal(err)
	}
	var pr struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   meta   `yaml:"metadata"`
		Spec       struct {
			Groups []ruleGroup `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := decodeStrict(manifest, &pr); err != nil || pr.Kind != "PrometheusRule" {
		t.Fatalf("%s: %v (want the PrometheusRule as the file's only document)", o.file, err)
	}
	rule := pr.Spec

	if len(file.Groups) == 0 {
		t.Fatalf("%s has no groups", alertsFile)
	}
	if !reflect.DeepEqual(rule.Groups, file.Groups) {
		t.Errorf("the groups of %s (spec.groups) differ from those of %s: %s.\n"+
			"Update deploy/kubernetes/%s: put the groups of rasp-alerts.yml under spec:, indented by two spaces.",
			o.file, alertsFile, firstDifference(rule.Groups, file.Groups), o.file)
	}

	series := exportedSeries(t)
	for _, g := range rule.Groups {
		for _, r := range g.Rules {
			for _, m := range metricRef.FindAllString(r.Expr, -1) {
				if !series[m] {
					t.Errorf("alert %s names %s, which the runtime does not export", r.Alert, m)
				}
			}
		}
	}
}

// firstDifference names the first group or rule where got and want
// differ.
func firstDifference(got, want []ruleGroup) string {
	for i := 0; i < len(got) && i < len(want); i++ {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Interval != w.Interval {
			return fmt.Sprintf("group %d is %q, want %q", i+1, g.Name, w.Name)
		}
		for j := 0; j < len(g.Rules) && j < len(w.Rules); j++ {
			if !reflect.DeepEqual(g.Rules[j], w.Rules[j]) {
				return fmt.Sprintf("group %s, rule %d: %+v, want %+v", g.Name, j+1, g.Rules[j], w.Rules[j])
			}
		}
		if len(g.Rules) != len(w.Rules) {
			return fmt.Sprintf("group %s has %d rules, want %d", g.Name, len(g.Rules), len(w.Rules))
		}
	}
	return fmt.Sprintf("%d groups, want %d", len(got), len(want))
}

var metricRef = regexp.MustCompile(`\brasp_[a-zA-Z0-9_]+`)

// exportedSeries returns the names of the series the runtime's metrics
// handler serves (a histogram as its _bucket, _sum and _count).
func exportedSeries(t *testing.T) map[string]bool {
	t.Helper()
	eventLines(t) // the runtime reads its environment once: the one eventLines sets
	rec := httptest.NewRecorder()
	httphook.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("metrics handler: %d", rec.Code)
	}
	series := map[string]bool{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			series[line[:i]] = true
		}
	}
	if len(series) == 0 {
		t.Fatal("the metrics handler served no series")
	}
	return series
}

// Lines a log agent must drop: the app's own output, JSON or not, and the
// runtime's plain-text messages on standard error, whose events the JSON
// lines already carry.
var otherLines = []string{
	`{"time":"2026-12-01T10:00:00.000Z","level":"INFO","msg":"listening","addr":":8080"}`,
	`{"time":"2026-12-01T10:00:01.000Z","level":"WARN","msg":"raspberry order rejected","rule":"max-items"}`,
	`2026/12/01 10:00:00 listening on :8080`,
	`rasp: policy /etc/rasp/policy.json loaded: mode detect`,
	`rasp: active, mode detect, policy /etc/rasp/policy.json, rules sqli-tautology=block`,
	`["rasp finding"]`,
}

// runtimeLines holds event lines the runtime wrote, once per test binary:
// the runtime reads its configuration and opens its event file once.
var runtimeLines struct {
	once  sync.Once
	lines []string
}

// eventLines returns lines the runtime itself writes: the record of what
// is active (written before a process's first finding), a finding, and
// the event of a policy reload that failed. They are made by the runtime's
// own hooks, with RASP_EVENTS naming a file, so they are what the
// container's log holds (the same lines go to standard error when
// RASP_EVENTS is not set).
func eventLines(t *testing.T) []string {
	t.Helper()
	runtimeLines.once.Do(func() {
		dir := t.TempDir()
		file := filepath.Join(dir, "events.jsonl")
		bad := filepath.Join(dir, "policy.json")
		if err := os.WriteFile(bad, []byte(`{"mode": "block",`), 0o644); err != nil {
			t.Fatal(err)
		}
		// Read by the runtime at its first use, which is below unless
		// another test of this binary used it first with the
		// environment it was started with.
		t.Setenv("RASP_EVENTS", file)
		t.Setenv("RASP_POLICY", "")
		t.Setenv("RASP_MODE", "detect")

		site := raspimpl.NewSite("example.com/webapp", "files.go", 42, 9, "os.ReadFile", event.FamilyFile, false, raspimpl.T(0, false, "/nonexistent/", ""))
		if _, err := raspimpl.OSReadFile(site, "/nonexistent/../etc/hostname-rasp-test"); errors.Is(err, rasp.ErrBlocked) {
			t.Fatalf("the finding was blocked in detect mode: %v", err)
		}
		t.Setenv("RASP_POLICY", bad)
		if err := rasp.ReloadPolicy(); err == nil {
			t.Fatal("a bad policy file reloaded")
		}

		want := []string{"rasp active", event.MsgFinding, "rasp policy reload failed"}
		deadline := time.Now().Add(10 * time.Second)
		for {
			data, _ := os.ReadFile(file)
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			var msgs []string
			for _, l := range lines {
				var e struct{ Msg string }
				if json.Unmarshal([]byte(l), &e) == nil {
					msgs = append(msgs, e.Msg)
				}
			}
			if reflect.DeepEqual(msgs, want) {
				runtimeLines.lines = lines
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 10s, the runtime wrote %q to RASP_EVENTS, want events %q (is RASP_MODE off, or RASP_EVENTS set, in the environment?)", data, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	if len(runtimeLines.lines) == 0 {
		t.Fatal("no event lines (the first test that made them failed)")
	}
	return runtimeLines.lines
}

// TestEventLines checks the lines the log agents are checked with: JSON
// objects with the fields of docs/operating.md, msg starting "rasp ".
func TestEventLines(t *testing.T) {
	for _, line := range eventLines(t) {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("event line %q: %v", line, err)
		}
		msg, _ := e["msg"].(string)
		if !strings.HasPrefix(msg, "rasp ") || e["time"] == nil || e["level"] == nil {
			t.Errorf("event line %q: want time, level and a msg starting \"rasp \"", line)
		}
		if msg == event.MsgFinding {
			for _, k := range []string{"rule", "family", "mode", "verdict", "site", "sink"} {
				if s, _ := e[k].(string); s == "" {
					t.Errorf("finding %q: no %s", line, k)
				}
			}
		}
	}
}

// agentConfig returns the text of the one key of the ConfigMap in file.
func agentConfig(t *testing.T, file, key string) string {
	t.Helper()
	var cmObj *object
	for _, o := range manifests(t) {
		if o.file == file {
			if o.Kind != "ConfigMap" || cmObj != nil {
				t.Fatalf("%s: want one ConfigMap, found %s", file, o)
			}
			cmObj = &o
		}
	}
	if cmObj == nil {
		t.Skipf("no %s", file)
	}
	var cm configMap
	cmObj.decode(t, &cm)
	text, ok := cm.Data[key]
	if !ok || len(cm.Data) != 1 {
		t.Fatalf("%s: keys %v, want %s only", file, keysOf(cm.Data), key)
	}
	return text
}

type fluentBitConfig struct {
	Service  map[string]any   `yaml:"service"`
	Parsers  []map[string]any `yaml:"parsers"`
	Pipeline struct {
		Inputs  []map[string]any `yaml:"inputs"`
		Filters []map[string]any `yaml:"filters"`
		Outputs []map[string]any `yaml:"outputs"`
	} `yaml:"pipeline"`
}

// str returns a plugin property as text (YAML may have read it as a
// number or a boolean).
func str(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// on reports whether a Fluent Bit boolean property is set.
func on(m map[string]any, k string) bool {
	switch strings.ToLower(str(m, k)) {
	case "on", "true", "yes":
		return true
	}
	return false
}

// tagMatch reports whether a Fluent Bit match pattern (* as any run of
// characters) matches tag.
func tagMatch(pattern, tag string) bool {
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	return regexp.MustCompile(re).MatchString(tag)
}

// TestFluentBitKeepsEvents runs the records of the container's log
// through a model of the Fluent Bit configuration's filters (the parser
// filter, then the grep filter with Go's regexp): the runtime's event
// lines are kept, the app's other lines dropped.
func TestFluentBitKeepsEvents(t *testing.T) {
	text := agentConfig(t, "fluent-bit.yaml", "fluent-bit.yaml")
	var cfg fluentBitConfig
	if err := decodeStrict([]byte(text), &cfg); err != nil {
		t.Fatalf("fluent-bit.yaml: %v", err)
	}

	// The input: the example pods' container logs, unwrapped.
	if len(cfg.Pipeline.Inputs) != 1 || str(cfg.Pipeline.Inputs[0], "name") != "tail" {
		t.Fatalf("inputs %v, want one tail", cfg.Pipeline.Inputs)
	}
	in := cfg.Pipeline.Inputs[0]
	mlp := strings.Split(strings.ReplaceAll(str(in, "multiline.parser"), " ", ""), ",")
	if !slices.Contains(mlp, "cri") || !slices.Contains(mlp, "docker") {
		t.Errorf("tail multiline.parser %q: want docker and cri, the container runtimes' formats", str(in, "multiline.parser"))
	}
	var d deployment
	only(t, manifests(t), "Deployment").decode(t, &d)
	c := appContainer(t, d)
	logFile := fmt.Sprintf("/var/log/containers/%s-7d4b9c8f6d-x2k9q_default_%s-0123456789abcdef.log", d.Metadata.Name, c.Name)
	if ok, err := filepath.Match(str(in, "path"), logFile); err != nil || !ok {
		t.Errorf("tail path %q does not match %s, a log file of the Deployment's pods", str(in, "path"), logFile)
	}
	tag := strings.Replace(str(in, "tag"), "*", strings.ReplaceAll(strings.TrimPrefix(logFile, "/"), "/", "."), 1)

	parsers := map[string]string{} // name -> format
	for _, p := range cfg.Parsers {
		parsers[str(p, "name")] = str(p, "format")
	}

	// What the docker and cri parsers leave: the line in "log".
	keep := func(line string) bool {
		rec := map[string]any{"log": line + "\n", "stream": "stderr", "time": "2026-12-01T10:00:00.000000000Z"}
		for _, f := range cfg.Pipeline.Filters {
			if !tagMatch(str(f, "match"), tag) {
				continue
			}
			switch name := str(f, "name"); name {
			case "parser":
				if parsers[str(f, "parser")] != "json" {
					t.Fatalf("parser filter uses parser %q, not a json parser of the configuration", str(f, "parser"))
				}
				raw, _ := rec[str(f, "key_name")].(string)
				var parsed map[string]any
				if json.Unmarshal([]byte(raw), &parsed) != nil {
					continue // left as it is
				}
				if on(f, "reserve_data") {
					for k, v := range rec {
						if _, dup := parsed[k]; !dup && (k != str(f, "key_name") || on(f, "preserve_key")) {
							parsed[k] = v
						}
					}
				}
				rec = parsed
			case "grep":
				if op := str(f, "logical_op"); op != "" && !strings.EqualFold(op, "legacy") && !strings.EqualFold(op, "and") {
					t.Fatalf("grep logical_op %q: the model knows AND only", op)
				}
				if f["exclude"] != nil {
					t.Fatalf("grep exclude: the model knows regex only")
				}
				var rules []string
				switch r := f["regex"].(type) {
				case string:
					rules = []string{r}
				case []any:
					for _, x := range r {
						rules = append(rules, fmt.Sprint(x))
					}
				default:
					t.Fatalf("grep filter without regex: %v", f)
				}
				for _, r := range rules {
					key, pattern, ok := strings.Cut(r, " ")
					if !ok {
						t.Fatalf("grep regex %q: want KEY REGEX", r)
					}
					v, found := rec[key]
					if !found || !regexp.MustCompile(strings.TrimSpace(pattern)).MatchString(fmt.Sprint(v)) {
						return false
					}
				}
			default:
				t.Fatalf("filter %s: the model does not know it; extend TestFluentBitKeepsEvents", name)
			}
		}
		return true
	}
	checkFilter(t, "the configuration", keep)

	routed := false
	for _, o := range cfg.Pipeline.Outputs {
		routed = routed || tagMatch(str(o, "match"), tag)
	}
	if !routed {
		t.Errorf("no output matches the tag %s", tag)
	}

	checkWithAgent(t, text, "fluent-bit", "--dry-run", "-c")
}

// checkWithAgent runs the log agent's own check of a configuration, args
// followed by the configuration's file, where the agent is installed.
func checkWithAgent(t *testing.T, text, agent string, args ...string) {
	t.Helper()
	bin, err := exec.LookPath(agent)
	if err != nil {
		return
	}
	conf := filepath.Join(t.TempDir(), agent+".yaml")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, append(args, conf)...).CombinedOutput(); err != nil {
		t.Errorf("%s %s: %v\n%s", agent, strings.Join(args, " "), err, out)
	}
}

type vectorConfig struct {
	DataDir    string                    `yaml:"data_dir"`
	Sources    map[string]map[string]any `yaml:"sources"`
	Transforms map[string]map[string]any `yaml:"transforms"`
	Sinks      map[string]map[string]any `yaml:"sinks"`
}

// inputs returns a component's inputs.
func inputs(c map[string]any) []string {
	var in []string
	list, _ := c["inputs"].([]any)
	for _, x := range list {
		in = append(in, fmt.Sprint(x))
	}
	return in
}

// The filter condition the test understands: VRL is not run here, so its
// one form is matched and modelled.
var vectorCondition = regexp.MustCompile(`^starts_with\(string\(\.msg\) \?\? "", "([^"\\]*)"\)$`)

// TestVectorKeepsEvents checks the Vector configuration's pipeline: the
// kubernetes_logs source selects the Deployment's pods, a remap parses
// .message as JSON, a filter keeps the events by msg (modelled: the
// runtime's event lines kept, the app's other lines dropped), and a sink
// reads the filter.
func TestVectorKeepsEvents(t *testing.T) {
	text := agentConfig(t, "vector.yaml", "vector.yaml")
	var cfg vectorConfig
	if err := decodeStrict([]byte(text), &cfg); err != nil {
		t.Fatalf("vector.yaml: %v", err)
	}

	var source string
	for id, s := range cfg.Sources {
		if str(s, "type") != "kubernetes_logs" || source != "" {
			t.Fatalf("sources %v, want one kubernetes_logs", cfg.Sources)
		}
		source = id
		var d deployment
		only(t, manifests(t), "Deployment").decode(t, &d)
		if sel := str(s, "extra_label_selector"); sel != "" {
			want := map[string]string{}
			for _, term := range strings.Split(sel, ",") {
				k, v, ok := strings.Cut(term, "=")
				if !ok || strings.ContainsAny(k, "!") {
					t.Fatalf("extra_label_selector %q: the test knows k=v terms only", sel)
				}
				want[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			if !subset(want, d.Spec.Template.Metadata.Labels) {
				t.Errorf("extra_label_selector %q does not select the Deployment's pods (labels %v)", sel, d.Spec.Template.Metadata.Labels)
			}
		}
	}

	// The chain source -> remap -> filter -> sink.
	var remap, filter, condition string
	for id, tr := range cfg.Transforms {
		switch str(tr, "type") {
		case "remap":
			if slices.Contains(inputs(tr), source) && strings.Contains(str(tr, "source"), "parse_json(.message)") {
				remap = id
			}
		}
	}
	if remap == "" {
		t.Fatalf("no remap reads %s and parses .message as JSON", source)
	}
	for id, tr := range cfg.Transforms {
		if str(tr, "type") == "filter" && slices.Contains(inputs(tr), remap) {
			filter, condition = id, str(tr, "condition")
		}
	}
	if filter == "" {
		t.Fatalf("no filter reads %s", remap)
	}
	sunk := false
	for _, s := range cfg.Sinks {
		sunk = sunk || slices.Contains(inputs(s), filter)
	}
	if !sunk {
		t.Errorf("no sink reads %s", filter)
	}
	for id, c := range cfg.Transforms {
		for _, in := range inputs(c) {
			if cfg.Sources[in] == nil && cfg.Transforms[in] == nil {
				t.Errorf("transform %s reads %s, which is not a source or transform", id, in)
			}
		}
	}

	m := vectorCondition.FindStringSubmatch(strings.TrimSpace(condition))
	if m == nil {
		t.Fatalf("filter condition %q: the test models %s only; extend it", condition, vectorCondition)
	}
	keep := func(line string) bool {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) != nil {
			return false // no .msg: string(.msg) fails, ?? gives ""
		}
		msg, _ := e["msg"].(string)
		return strings.HasPrefix(msg, m[1])
	}
	checkFilter(t, "the filter", keep)

	checkWithAgent(t, text, "vector", "validate", "--no-environment")
}

// checkFilter checks that a log agent's filter, modelled by keep, keeps
// every line the runtime writes and drops every other line.
func checkFilter(t *testing.T, what string, keep func(line string) bool) {
	t.Helper()
	for _, line := range eventLines(t) {
		if !keep(line) {
			t.Errorf("%s drops the event line %s", what, line)
		}
	}
	for _, line := range otherLines {
		if keep(line) {
			t.Errorf("%s keeps the line %s, which is not a rasp event", what, line)
		}
	}
}
