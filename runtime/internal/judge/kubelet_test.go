package judge

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/eventstest"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// configMapVolume is a directory laid out as the kubelet lays out a
// ConfigMap volume (its AtomicWriter):
//
//	DIR/..2026_12_01_10_00_00.123456789/policy.json   the data, in a timestamped directory
//	DIR/..data -> ..2026_12_01_10_00_00.123456789     the current version
//	DIR/policy.json -> ..data/policy.json             what the container names
//
// An update writes a new timestamped directory, points a new symlink
// ..data_tmp at it, renames ..data_tmp over ..data (the atomic step) and
// removes the old directory. The file the program reads is never written
// in place: each version is a new file behind the same path.
type configMapVolume struct {
	dir string
}

// publish writes a new version of the volume whose only key is key, as
// the kubelet does.
func (v configMapVolume) publish(t *testing.T, key, data string) {
	t.Helper()
	old, err := os.Readlink(filepath.Join(v.dir, "..data"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	// The kubelet names the directory after the time, with a random
	// suffix: two versions within a second do not collide.
	ts, err := os.MkdirTemp(v.dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ts, key), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ts, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(v.dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(v.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(v.dir, key)
	if _, err := os.Lstat(link); os.IsNotExist(err) {
		if err := os.Symlink(filepath.Join("..data", key), link); err != nil {
			t.Fatal(err)
		}
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(v.dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}

// WatchPolicy never returns, and a watcher whose file disappears reports
// it (a "rasp policy missing" event, an internal error): a watcher left on
// a test's temporary directory would write into the events of the tests
// after it once the directory is removed. So the test binary has one
// volume and one watcher, started by the first run of TestKubeletSymlinkSwap
// (-count=N reuses them), and TestMain removes the volume when every test
// has run.
var kubelet struct {
	once sync.Once
	vol  configMapVolume
	err  error
}

// TestMain runs the tests, then removes the volume of
// TestKubeletSymlinkSwap, which its watcher kept in use until then.
func TestMain(m *testing.M) {
	code := m.Run()
	if kubelet.vol.dir != "" {
		events.SetWriter(io.Discard) // the watcher may notice the removal before the exit
		os.RemoveAll(kubelet.vol.dir)
	}
	os.Exit(code)
}

// find returns the first line rec holds whose msg is msg, decoded. The
// watcher's goroutine writes the lines while the test reads them.
func find(t *testing.T, rec *eventstest.Recorder, msg string) map[string]any {
	t.Helper()
	for _, e := range rec.Records() {
		if e["msg"] == msg {
			return e
		}
	}
	return nil
}

// waitFor polls cond every few milliseconds until it holds, and fails the
// test if it does not within a deadline meant only to stop a test that
// would otherwise hang: how fast the reload comes is not what is tested.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting, after 10s, for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The versions the test publishes: each names a different SSRF host, so
// that the policy in force tells which file it came from, and they differ
// in mode.
const (
	kubeletPolicyA   = `{"mode": "detect", "allow": {"ssrf_hosts": ["a.kubelet.test"]}}`
	kubeletPolicyB   = `{"mode": "block", "rules": {"sqli-union": "detect"}, "allow": {"ssrf_hosts": ["b.kubelet.test"]}}`
	kubeletPolicyC   = `{"mode": "detect", "rules": {"sqli-tautology": "block"}, "allow": {"ssrf_hosts": ["c.kubelet.test"]}}`
	kubeletPolicyBad = `{"mode": "block", "allow": {"ssrf_hosts": ["bad.kubelet.test"]` // cut short: not JSON
)

// TestKubeletSymlinkSwap checks that the policy watcher follows a
// ConfigMap volume's updates: the kubelet never rewrites the file, it
// swaps the ..data symlink to a new directory, so the path the program
// names resolves to a new file. A good version is put in force; a bad one
// is reported and the policy in force kept; the next good one is put in
// force.
func TestKubeletSymlinkSwap(t *testing.T) {
	Load() // the configuration of the real environment, before the test changes it
	oldPolicy, oldMode := CurrentPolicy(), CurrentMode()
	t.Cleanup(func() {
		Restore(oldPolicy)
		SetMode(oldMode)
	})
	read := eventstest.Capture(t)
	t.Setenv("RASP_MODE", "") // the policy's mode is the mode in force
	t.Setenv("RASP_POLICY_POLL", "10ms")

	kubelet.once.Do(func() {
		kubelet.vol.dir, kubelet.err = os.MkdirTemp("", "rasp-kubelet-")
	})
	if kubelet.err != nil {
		t.Fatal(kubelet.err)
	}
	vol := kubelet.vol
	name := filepath.Join(vol.dir, "policy.json")
	t.Setenv("RASP_POLICY", name) // ReloadPolicy reads the file RASP_POLICY names

	want := func(doc string) policy.Policy {
		t.Helper()
		p, err := policy.Parse("want", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	inForce := func(p policy.Policy) bool {
		c := CurrentPolicy()
		return c.Source == name && reflect.DeepEqual(c.Policy, p)
	}

	if _, err := os.Lstat(name); os.IsNotExist(err) {
		// The first run starts the watcher on the empty volume. Its
		// first poll reports the file missing: then, and not before,
		// it is known to have looked at the file, so that any version
		// published from now on is a change it will see. (A version
		// published before its first look would be the one it starts
		// from, and never reloaded.)
		go WatchPolicy(name)
		waitFor(t, "the watcher's first poll", func() bool { return find(t, read, "rasp policy missing") != nil })
		vol.publish(t, "policy.json", kubeletPolicyA)
		waitFor(t, "policy A in force", func() bool { return inForce(want(kubeletPolicyA)) })
	} else {
		// A later run (-count): the watcher runs; the volume holds the
		// last run's C. Put it in force as a program starting on this
		// volume would.
		if err := ReloadPolicy(); err != nil {
			t.Fatalf("the volume's version: %v", err)
		}
	}

	// (a) A new good version is put in force, with its mode.
	vol.publish(t, "policy.json", kubeletPolicyB)
	waitFor(t, "policy B in force", func() bool { return inForce(want(kubeletPolicyB)) })
	if m := CurrentMode(); m != policy.ModeBlock {
		t.Errorf("mode %v after policy B, want block", m)
	}

	// (b) A bad version is reported, and B stays in force.
	failed := MetricValue("rasp_internal_errors_total", "rule", "policy")
	vol.publish(t, "policy.json", kubeletPolicyBad)
	var ev map[string]any
	waitFor(t, "the failed reload's event", func() bool {
		ev = find(t, read, "rasp policy reload failed")
		return ev != nil
	})
	if msg, _ := ev["error"].(string); ev["policy"] != name || !strings.Contains(msg, name) || ev["level"] != "ERROR" {
		t.Errorf("reload failure event %v, want the file %s and its error, at level ERROR", ev, name)
	}
	if got := MetricValue("rasp_internal_errors_total", "rule", "policy"); got <= failed {
		t.Errorf(`rasp_internal_errors_total{rule="policy"} %v after the failed reload, was %v`, got, failed)
	}
	if !inForce(want(kubeletPolicyB)) {
		t.Fatalf("policy in force after a bad version: %+v from %q, want B kept", CurrentPolicy().Policy, CurrentPolicy().Source)
	}
	if m := CurrentMode(); m != policy.ModeBlock {
		t.Errorf("mode %v after the bad version, want B's block kept", m)
	}

	// (c) The next good version is put in force.
	vol.publish(t, "policy.json", kubeletPolicyC)
	waitFor(t, "policy C in force", func() bool { return inForce(want(kubeletPolicyC)) })
	if m := CurrentMode(); m != policy.ModeDetect {
		t.Errorf("mode %v after policy C, want detect", m)
	}
	if m := CurrentPolicy().RuleMode("sqli-tautology", policy.ModeDetect); m != policy.ModeBlock {
		t.Errorf("sqli-tautology runs in %v under policy C, want block", m)
	}

	// The volume looks as the kubelet leaves it: one timestamped
	// directory, ..data, and the key.
	entries, err := os.ReadDir(vol.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 3 || !strings.HasPrefix(names[0], "..2") || names[1] != "..data" || names[2] != "policy.json" {
		t.Errorf("volume holds %v, want a timestamped directory, ..data and policy.json", names)
	}
}
