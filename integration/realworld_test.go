package integration

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

var realworld = flag.Bool("realworld", false, "run the real-world suite: the tests of pinned public modules, plain and instrumented")

// realModules are widely used modules whose own tests reach the sinks:
// database/sql (sqlx, gorm), pgx's own protocol, HTTP servers (chi, gin), HTTP clients
// (resty), files (afero) and a shell (go-homedir).
var realModules = []struct {
	path, version, pkgs string
}{
	{"github.com/jmoiron/sqlx", "v1.4.0", "./..."},
	{"gorm.io/gorm", "v1.31.2", "."},
	// pgx's root tests need a PostgreSQL server (none here): its protocol and
	// internal packages' tests run, on a build with pgx instrumented.
	{"github.com/jackc/pgx/v5", "v5.7.6", "./pgproto3/... ./internal/..."},
	{"github.com/go-chi/chi/v5", "v5.2.3", "./..."},
	{"github.com/gin-gonic/gin", "v1.10.1", "."},
	{"github.com/go-resty/resty/v2", "v2.16.5", "."},
	{"github.com/spf13/afero", "v1.15.0", "."},
	{"github.com/mitchellh/go-homedir", "v1.1.0", "."},
}

// TestRealWorld downloads each module through the module proxy, runs its
// own tests plain and with -toolexec=rasp-instrument in detect mode, and
// reports: did the instrumented build work, did the same tests pass, and
// which events were raised (each one a false positive to explain).
// Opt-in: go test ./integration -run RealWorld -realworld -timeout 60m
func TestRealWorld(t *testing.T) {
	if !*realworld {
		t.Skip("opt-in: -realworld")
	}
	var rows []string
	for _, m := range realModules {
		t.Run(strings.ReplaceAll(m.path, "/", "_"), func(t *testing.T) {
			row := runRealModule(t, m.path, m.version, m.pkgs)
			rows = append(rows, row)
		})
	}
	t.Logf("\n| module | build | plain tests | instrumented tests | same result | events |\n|---|---|---|---|---|---|\n%s", strings.Join(rows, "\n"))
}

func runRealModule(t *testing.T, path, version, pkgs string) string {
	dir := t.TempDir()
	out, err := exec.Command("go", "mod", "download", "-json", path+"@"+version).Output()
	if err != nil {
		t.Fatalf("go mod download %s@%s: %v", path, version, err)
	}
	var info struct{ Dir string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		t.Fatalf("go mod download %s: %v (%s)", path, err, out)
	}
	src := filepath.Join(dir, "src")
	if err := copyTree(info.Dir, src); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOCACHE="+goCache, "RASP_CACHE="+raspDir,
		"PATH="+os.Getenv("PATH"))
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir, tidy.Env = src, env
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Logf("go mod tidy: %v\n%s", err, out)
	}
	plain := goTest(t, src, env, pkgs)
	events := filepath.Join(dir, "events.jsonl")
	inst := goTest(t, src, append(env, "RASP_MODE=detect", "RASP_EVENTS="+events), pkgs, "-toolexec=rasp-instrument")
	build := "ok"
	if inst.buildFailed {
		build = "FAILED"
		t.Errorf("%s: the instrumented build failed:\n%s", path, inst.output)
	}
	same := fmt.Sprint(plain.summary() == inst.summary())
	if plain.summary() != inst.summary() {
		t.Errorf("%s: plain %s, instrumented %s\n%s", path, plain.summary(), inst.summary(), inst.output)
	}
	ev := countEvents(t, events)
	return fmt.Sprintf("| %s %s | %s | %s | %s | %s | %s |", path, version, build, plain.summary(), inst.summary(), same, ev)
}

type testResult struct {
	pass, fail  map[string]bool // by package
	buildFailed bool
	output      string
}

func (r testResult) summary() string {
	return fmt.Sprintf("%d ok, %d FAIL", len(r.pass), len(r.fail))
}

var pkgLine = regexp.MustCompile(`^(ok|FAIL|---)\s+(\S+)`)

func goTest(t *testing.T, dir string, env []string, pkgs string, flags ...string) testResult {
	args := append([]string{"test", "-count=1", "-timeout", "15m"}, flags...)
	args = append(args, strings.Fields(pkgs)...)
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, env
	start := time.Now()
	out, _ := cmd.CombinedOutput()
	t.Logf("go %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Second))
	r := testResult{pass: map[string]bool{}, fail: map[string]bool{}, output: string(out)}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "[build failed]") || strings.Contains(line, "rasp-instrument:") && strings.Contains(line, "cannot") {
			r.buildFailed = true
		}
		m := pkgLine.FindStringSubmatch(line)
		if m == nil || m[1] == "---" {
			continue
		}
		if m[1] == "ok" {
			r.pass[m[2]] = true
		} else if m[2] != "" && !strings.HasPrefix(m[2], "[") {
			r.fail[m[2]] = true
		}
	}
	return r
}

// countEvents summarises an event file: the number of findings per rule.
func countEvents(t *testing.T, file string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return "0"
	}
	by := map[string]int{}
	for _, line := range strings.Split(string(data), "\n") {
		var e struct{ Rule, Site string }
		if json.Unmarshal([]byte(line), &e) == nil && e.Rule != "" {
			by[e.Rule+" at "+e.Site]++
			t.Logf("event: %s", line)
		}
	}
	var parts []string
	for k, n := range by {
		parts = append(parts, fmt.Sprintf("%d× %s", n, k))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "; ")
}
