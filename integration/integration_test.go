// Package integration builds the programs of testdata/src with
// `go build -toolexec=rasp-instrument`, runs them, attacks them and checks
// what they answer and what they report. The scenarios are txtar scripts in
// testdata/, run by github.com/rogpeppe/go-internal/testscript.
package integration

import (
	"github.com/rasp-instrument/rasp-instrument/cmd/rasp-instrument/cli"

	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

var (
	tmpDir   string // the run's temporary directory
	goCache  string // a fresh GOCACHE shared by every script of the run
	raspDir  string // a fresh RASP_CACHE
	repoRoot string
)

// TestMain runs the tool inside this test binary: testscript.Main puts a
// copy of it on PATH as rasp-instrument, which the go command then calls as
// its -toolexec wrapper (and the scripts as the command line), so coverage
// of the test counts the toolexec, compile, link and runtime-build paths.
func TestMain(m *testing.M) {
	testscript.Main(setup{m}, map[string]func(){
		"rasp-instrument": func() { os.Exit(cli.Main()) },
	})
}

// setup prepares the run's directories around the tests.
type setup struct{ m *testing.M }

func (s setup) Run() int {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	repoRoot = filepath.Dir(wd)
	tmp, err := os.MkdirTemp("", "rasp-integration-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	defer stopDatabases() // before the removal, also when a test failed
	tmpDir = tmp
	goCache = filepath.Join(tmp, "gocache")
	raspDir = filepath.Join(tmp, "raspcache")
	if c := os.Getenv("RASP_TEST_GOCACHE"); c != "" {
		goCache = c // keep a cache across runs while developing
	}
	if c := os.Getenv("RASP_TEST_RASPCACHE"); c != "" {
		raspDir = c
	}
	return s.m.Run()
}

// The database servers of the scripts (databases_test.go, Linux only):
// setupDatabases starts those that the script of env names, once, and sets
// their variables (PGPORT, PGDSN, MYSQLPORT, MYSQLDSN); stopDatabases stops
// them at exit.
var (
	setupDatabases = func(env *testscript.Env, dir string) error { return nil }
	stopDatabases  = func() {}
)

func goEnv(key string) string {
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata"))
}

// scriptParams are the parameters of the scripts in dir: the tool on PATH,
// a shared build cache, and the commands and conditions below.
func scriptParams(dir string) testscript.Params {
	modCache := goEnv("GOMODCACHE")
	return testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", os.Getenv("PATH")) // with testscript.Main's rasp-instrument first
			env.Setenv("GOCACHE", goCache)
			env.Setenv("GOMODCACHE", modCache)
			env.Setenv("GOPROXY", goEnv("GOPROXY"))
			env.Setenv("GOFLAGS", "-buildvcs=false")
			env.Setenv("GOTOOLCHAIN", "local")
			env.Setenv("RASP_CACHE", raspDir)
			env.Setenv("CGO_ENABLED", goEnv("CGO_ENABLED"))
			env.Setenv("SRC", filepath.Join(repoRoot, "testdata", "src"))
			env.Setenv("REBIND_HOST", rebindHost())
			env.Setenv("GOROOT_TOOLDIR", filepath.Join(goEnv("GOROOT"), "pkg", "tool", goEnv("GOOS")+"_"+goEnv("GOARCH")))
			return setupDatabases(env, dir)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"copysrc":  cmdCopySrc,
			"serve":    cmdServe,
			"http":     cmdHTTP,
			"shutdown": cmdShutdown,
			"sleep":    cmdSleep,
			"sighup":   cmdSighup,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "race": // the race detector needs cgo on a supported platform
				return goEnv("CGO_ENABLED") == "1" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64"), nil
			case "cgo":
				return goEnv("CGO_ENABLED") == "1", nil
			case "rebind": // a host name that resolves to loopback without saying so
				return rebindHost() != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		RequireExplicitExec: true,
	}
}

// rebindHost returns a name of /etc/hosts, other than localhost, that
// resolves to a loopback address: what a DNS rebinding attack looks like to
// the program. It returns "" when there is none.
var rebindHost = sync.OnceValue(func() string {
	data, err := os.ReadFile("/etc/hosts")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if ip := net.ParseIP(f[0]); ip == nil || !ip.IsLoopback() || ip.To4() == nil {
			continue
		}
		for _, name := range f[1:] {
			if strings.Contains(name, "localhost") || strings.HasPrefix(name, "#") {
				continue
			}
			addrs, err := net.LookupHost(name)
			if err == nil && len(addrs) > 0 && net.ParseIP(addrs[0]).IsLoopback() {
				return name
			}
		}
	}
	return ""
})

// copysrc NAME... copies testdata/src/NAME into the script's work directory.
func cmdCopySrc(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: copysrc NAME...")
	}
	for _, name := range args {
		src := filepath.Join(repoRoot, "testdata", "src", name)
		ts.Check(copyTree(src, ts.MkAbs(name)))
	}
}

type server struct {
	cmd    *exec.Cmd
	addr   string
	stdout *os.File
	stderr *os.File
	done   chan error
}

var (
	serversMu sync.Mutex
	servers   = map[*testscript.TestScript]map[string]*server{}
)

func lookupServer(ts *testscript.TestScript, name string) *server {
	serversMu.Lock()
	defer serversMu.Unlock()
	return servers[ts][name]
}

// serve NAME [K=V...] -- PROGRAM [ARGS...] starts PROGRAM, waits for it to
// print "listening on ADDR", and remembers ADDR for http and in the
// script's variable ADDR_NAME. It runs in the
// script's current directory. Its standard error
// goes to NAME.stderr in the work directory.
func cmdServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: serve NAME [K=V...] -- PROGRAM [ARGS...]")
	}
	name := args[0]
	var env []string
	i := 1
	for ; i < len(args) && args[i] != "--"; i++ {
		env = append(env, os.Expand(args[i], ts.Getenv))
	}
	if i >= len(args)-1 {
		ts.Fatalf("serve: missing -- PROGRAM")
	}
	prog := args[i+1]
	cmd := exec.Command(ts.MkAbs(prog), args[i+2:]...)
	cmd.Dir = ts.MkAbs(".") // the script's current directory, as for exec
	cmd.Env = append(os.Environ(), env...)
	stderr, err := os.Create(ts.MkAbs(name + ".stderr"))
	ts.Check(err)
	cmd.Stderr = stderr
	pipe, err := cmd.StdoutPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	s := &server{cmd: cmd, stderr: stderr, done: make(chan error, 1)}
	serversMu.Lock()
	if servers[ts] == nil {
		servers[ts] = map[string]*server{}
	}
	servers[ts][name] = s
	serversMu.Unlock()
	ts.Defer(func() { cmd.Process.Kill(); <-s.done; stderr.Close() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addr <- a
			}
		}
		io.Copy(io.Discard, pipe)
		s.done <- cmd.Wait()
		close(s.done)
	}()
	select {
	case s.addr = <-addr:
		ts.Setenv("ADDR_"+name, s.addr) // for clients of other protocols
	case <-time.After(30 * time.Second):
		ts.Fatalf("serve %s: no \"listening on\" line within 30s", name)
	case err := <-s.done:
		data, _ := os.ReadFile(stderr.Name())
		ts.Fatalf("serve %s: exited before listening: %v\n%s", name, err, data)
	}
}

// http [-X METHOD] [-d BODY] [-H 'Name: value']... NAME PATH WANT-STATUS
// sends a request to server NAME, checks the status, writes the body to
// stdout and the response header (one "Name: value" a line) to stderr, for
// the stdout and stderr commands.
func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	method, body := "GET", ""
	var header [][2]string
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-X":
			method = args[1]
		case "-d":
			body = args[1]
			if method == "GET" {
				method = "POST"
			}
		case "-f": // the body is the file's content
			b, err := os.ReadFile(ts.MkAbs(args[1]))
			ts.Check(err)
			body = string(b)
			if method == "GET" {
				method = "POST"
			}
		case "-H":
			k, v, _ := strings.Cut(args[1], ":")
			header = append(header, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		default:
			ts.Fatalf("http: unknown flag %s", args[0])
		}
		args = args[2:]
	}
	if neg || len(args) != 3 {
		ts.Fatalf("usage: http [-X METHOD] [-d BODY | -f FILE] [-H 'Name: value']... NAME PATH WANT-STATUS")
	}
	s := lookupServer(ts, args[0])
	if s == nil {
		ts.Fatalf("http: no server %s", args[0])
	}
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.addr+args[1], rd)
	ts.Check(err)
	for _, h := range header {
		req.Header.Set(h[0], h[1])
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Fprintf(ts.Stdout(), "%s", got)
	for k, vs := range resp.Header {
		for _, v := range vs {
			fmt.Fprintf(ts.Stderr(), "%s: %s\n", k, v)
		}
	}
	if resp.StatusCode != want {
		ts.Fatalf("%s %s: status %d, want %d; body: %s", method, args[1], resp.StatusCode, want, got)
	}
}

// sleep DURATION waits (a policy file poll, for one).
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}

// sighup NAME sends SIGHUP to server NAME and gives it a moment to act.
func cmdSighup(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sighup NAME")
	}
	s := lookupServer(ts, args[0])
	if s == nil {
		ts.Fatalf("sighup: no server %s", args[0])
	}
	ts.Check(s.cmd.Process.Signal(syscall.SIGHUP))
	time.Sleep(200 * time.Millisecond)
}

// shutdown NAME stops server NAME and waits for it to exit. (stop and kill
// are testscript built-ins.)
func cmdShutdown(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: shutdown NAME")
	}
	s := lookupServer(ts, args[0])
	if s == nil {
		ts.Fatalf("shutdown: no server %s", args[0])
	}
	// Events are written by a goroutine of the runtime, within
	// milliseconds; give the last ones that time before the signal.
	time.Sleep(100 * time.Millisecond)
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	serversMu.Lock()
	delete(servers[ts], args[0])
	serversMu.Unlock()
}

// copyTree copies the directory from to to, files writable.
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
}
