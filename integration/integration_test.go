// Package integration builds the programs of testdata/src with
// `go build -toolexec=rasp-instrument`, runs them, attacks them and checks
// what they answer and what they report. The scenarios are txtar scripts in
// testdata/, run by github.com/rogpeppe/go-internal/testscript.
package integration

import (
	"github.com/rasp-instrument/rasp-instrument/cmd/rasp-instrument/cli"

	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
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

// update makes a failing cmp of a script against a file of its own
// archive rewrite that file (testscript's UpdateScripts):
// go test ./integration -run 'TestScripts/NAME$' -update.
var update = flag.Bool("update", false, "rewrite the files of the scripts' archives that a failing cmp compares with")

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
			"ws":       cmdWS,
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
		UpdateScripts:       *update,
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

// ws [-H 'Name: value']... [-p PROMPT] [-n] NAME PATH MESSAGE... opens a
// WebSocket to server NAME (the client's handshake and framing, written
// here with the standard library), sends each MESSAGE as a text message
// (ending in a newline with -n) and, after each, prints the messages the server sends (one a line) until
// one is PROMPT ("$ " by default; not printed), the server closes the
// connection or 20s pass. A close frame prints "close CODE REASON"; a
// connection cut without one, "closed without a close frame". The
// handshake's response header goes to stderr, one "Name: value" a line.
func cmdWS(ts *testscript.TestScript, neg bool, args []string) {
	prompt, nl := "$ ", ""
	var header [][2]string
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		if args[0] == "-n" {
			nl, args = "\n", args[1:]
			continue
		}
		switch args[0] {
		case "-H":
			k, v, _ := strings.Cut(args[1], ":")
			header = append(header, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		case "-p":
			prompt = args[1]
		default:
			ts.Fatalf("ws: unknown flag %s", args[0])
		}
		args = args[2:]
	}
	if neg || len(args) < 2 {
		ts.Fatalf("usage: ws [-H 'Name: value']... [-p PROMPT] [-n] NAME PATH MESSAGE...")
	}
	s := lookupServer(ts, args[0])
	if s == nil {
		ts.Fatalf("ws: no server %s", args[0])
	}
	conn, err := net.DialTimeout("tcp", s.addr, 10*time.Second)
	ts.Check(err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	key := make([]byte, 16)
	rand.Read(key)
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", args[1], s.addr)
	fmt.Fprintf(&req, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: http://%s\r\n", base64.StdEncoding.EncodeToString(key), s.addr)
	for _, h := range header {
		fmt.Fprintf(&req, "%s: %s\r\n", h[0], h[1])
	}
	req.WriteString("\r\n")
	_, err = io.WriteString(conn, req.String())
	ts.Check(err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	ts.Check(err)
	for k, vs := range resp.Header {
		for _, v := range vs {
			fmt.Fprintf(ts.Stderr(), "%s: %s\n", k, v)
		}
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		ts.Fatalf("ws %s: status %d, want 101; body: %s", args[1], resp.StatusCode, body)
	}
	for _, msg := range args[2:] {
		if err := wsWrite(conn, 1, []byte(msg+nl)); err != nil {
			fmt.Fprintf(ts.Stdout(), "closed without a close frame\n")
			return
		}
		for {
			op, data, err := wsRead(br)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					ts.Fatalf("ws %s: no prompt %q within 20s", args[1], prompt)
				}
				fmt.Fprintf(ts.Stdout(), "closed without a close frame\n")
				return
			}
			switch op {
			case 1, 2:
				if string(data) == prompt {
					break
				}
				fmt.Fprintf(ts.Stdout(), "%s\n", strings.TrimSuffix(string(data), "\n"))
				continue
			case 8:
				code := 1005
				if len(data) >= 2 {
					code = int(binary.BigEndian.Uint16(data))
					data = data[2:]
				}
				fmt.Fprintf(ts.Stdout(), "close %d %s\n", code, data)
				wsWrite(conn, 8, nil)
				return
			case 9:
				wsWrite(conn, 10, data)
				continue
			default:
				continue
			}
			break
		}
	}
	wsWrite(conn, 8, []byte{0x03, 0xe8}) // 1000, normal closure
}

// wsWrite writes one final frame of a client: masked, as RFC 6455 wants.
func wsWrite(w io.Writer, op byte, payload []byte) error {
	hdr := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n <= 0xffff:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	hdr = append(hdr, mask[:]...)
	masked := make([]byte, len(payload))
	for i, b := range payload {
		masked[i] = b ^ mask[i%4]
	}
	_, err := w.Write(append(hdr, masked...))
	return err
}

// wsRead reads one message of a server (unmasked frames), joining a
// fragmented one; a control frame comes as it is.
func wsRead(r *bufio.Reader) (op byte, payload []byte, err error) {
	for {
		var h [2]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return 0, nil, err
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return 0, nil, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return 0, nil, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		if n > 16<<20 {
			return 0, nil, fmt.Errorf("frame of %d bytes", n)
		}
		var mask [4]byte
		if h[1]&0x80 != 0 {
			if _, err := io.ReadFull(r, mask[:]); err != nil {
				return 0, nil, err
			}
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil {
			return 0, nil, err
		}
		if h[1]&0x80 != 0 {
			for i := range data {
				data[i] ^= mask[i%4]
			}
		}
		if o := h[0] & 0x0f; o >= 8 || o != 0 && op == 0 && h[0]&0x80 != 0 {
			return o, data, nil // a control frame, or a whole message
		} else if o != 0 {
			op = o
		}
		payload = append(payload, data...)
		if h[0]&0x80 != 0 {
			return op, payload, nil
		}
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
