//go:build linux

package integration

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// The scripts that query a real database get a PostgreSQL server and a
// MariaDB server, each started the first time a script needs it, shared by
// every script of the test binary, and stopped when the binary exits. A
// script needs a server when its file (commands, comments or archived
// files) names one of the server's variables, which its Setup then sets:
//
//	PGPORT     the PostgreSQL server's TCP port on 127.0.0.1
//	PGDSN      postgres://rasp@127.0.0.1:$PGPORT/rasp?sslmode=disable
//	           (user rasp, a superuser without a password; database rasp)
//	MYSQLPORT  the MariaDB server's TCP port on 127.0.0.1
//	MYSQLDSN   rasp:rasp@tcp(127.0.0.1:$MYSQLPORT)/rasp, the DSN form of
//	           github.com/go-sql-driver/mysql (user rasp, password rasp,
//	           every privilege on database rasp)
//
// Scripts run in parallel on the same databases: a script's tables have
// names of their own, or are temporary. (serve gives a program the test
// binary's environment: pass a DSN as serve's K=V.)
//
// Starting a server on demand keeps the scripts that need none as fast as
// before: initializing the two data directories costs seconds of disk and
// CPU, which a run of other scripts, or a script of the network namespace,
// does not pay.
//
// The servers listen on free loopback ports, keep their data, sockets and
// logs in a directory of the run's temporary directory, and run in process
// groups of their own with a parent-death signal, so that nothing outlives
// the test binary even when it is killed. Without their binaries, a script
// that needs them fails and names the Debian package to install.
var databases = []*dbServer{
	{name: "PostgreSQL", vars: []string{"PGPORT", "PGDSN"}, launch: launchPostgres, quit: syscall.SIGINT},
	{name: "MariaDB", vars: []string{"MYSQLPORT", "MYSQLDSN"}, launch: launchMariaDB, quit: syscall.SIGTERM},
}

func init() {
	setupDatabases, stopDatabases = setupLinuxDatabases, stopLinuxDatabases
}

// dbRoot is the servers' directory in the run's temporary directory.
func dbRoot() string { return filepath.Join(tmpDir, "databases") }

// A dbServer is one database server of the run.
type dbServer struct {
	name   string                // for messages
	vars   []string              // the variables it sets, which ask for it
	launch func(*dbServer) error // initializes dir, starts cmd, fills env
	quit   syscall.Signal        // the server's fast clean shutdown

	once   sync.Once
	err    error         // why it did not start
	env    []string      // NAME=VALUE for the scripts
	dir    string        // data directory, socket and log
	log    string        // the server's standard output and error
	cmd    *exec.Cmd     // the running server
	exited chan struct{} // closed when cmd has exited
	took   time.Duration // initializing and starting it
}

// setupLinuxDatabases is setupDatabases: it starts the servers that the
// script of env names and that are not running yet, and sets their
// variables.
func setupLinuxDatabases(env *testscript.Env, dir string) error {
	name := strings.TrimPrefix(filepath.Base(env.WorkDir), "script-")
	var text []byte
	var err error
	for _, ext := range []string{".txtar", ".txt"} {
		if text, err = os.ReadFile(filepath.Join(dir, name+ext)); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("databases: reading the script %s: %v", name, err)
	}
	var need []*dbServer
	for _, db := range databases {
		for _, v := range db.vars {
			if bytes.Contains(text, []byte(v)) {
				need = append(need, db)
				break
			}
		}
	}
	var wg sync.WaitGroup
	for _, db := range need {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db.once.Do(func() {
				start := time.Now()
				db.err = db.launch(db)
				db.took = time.Since(start)
				if db.err != nil {
					db.err = fmt.Errorf("%s (for %s): %w", db.name, strings.Join(db.vars, ", "), db.err)
				} else {
					env.T().Log(fmt.Sprintf("%s started in %.1fs", db.name, db.took.Seconds()))
				}
			})
		}()
	}
	wg.Wait()
	var errs []error
	for _, db := range need {
		if db.err != nil {
			errs = append(errs, db.err)
			continue
		}
		for _, kv := range db.env {
			k, v, _ := strings.Cut(kv, "=")
			env.Setenv(k, v)
		}
	}
	return errors.Join(errs...)
}

// stopLinuxDatabases is stopDatabases: it stops the servers that were
// started, each with its clean shutdown or, after 10 seconds, by killing its
// process group, and removes their directories.
func stopLinuxDatabases() {
	for _, db := range databases {
		if db.cmd == nil {
			continue
		}
		db.cmd.Process.Signal(db.quit)
		select {
		case <-db.exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-db.cmd.Process.Pid, syscall.SIGKILL)
			<-db.exited
		}
	}
	for _, db := range databases {
		if db.dir != "" {
			os.RemoveAll(db.dir)
			os.Remove(filepath.Dir(db.dir))
		}
	}
}

// launchPostgres initializes a cluster with the superuser rasp, starts it
// and creates database rasp. initdb and postgres refuse to run as root:
// then they run as the postgres user.
func launchPostgres(db *dbServer) error {
	bin, err := postgresBin()
	if err != nil {
		return err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("initdb and postgres refuse to run as root, and there is no postgres user to run them (install Debian's postgresql package): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if err := makeDBDir(db, "postgres", cred); err != nil {
		return unmapped(err, cred)
	}
	data := filepath.Join(db.dir, "data")
	initdb := dbCommand(db.dir, cred, filepath.Join(bin, "initdb"), "-D", data,
		"-A", "trust", "-U", "rasp", "--no-sync", "-E", "UTF8", "--locale=C")
	if err := runDBCommand(initdb, 2*time.Minute); err != nil {
		return unmapped(err, cred)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	cmd := dbCommand(db.dir, cred, filepath.Join(bin, "postgres"), "-D", data, "-k", data,
		"-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-F", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off")
	if err := startDBServer(db, cmd, port); err != nil {
		return err
	}
	// The postmaster listens before it accepts sessions ("the database
	// system is starting up"): createdb is tried again.
	createdb := func() *exec.Cmd {
		return dbCommand(db.dir, nil, filepath.Join(bin, "createdb"),
			"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "rasp", "rasp")
	}
	if err := retryDBCommand(db, createdb); err != nil {
		return err
	}
	db.env = []string{
		"PGPORT=" + strconv.Itoa(port),
		fmt.Sprintf("PGDSN=postgres://rasp@127.0.0.1:%d/rasp?sslmode=disable", port),
	}
	return nil
}

// unmapped explains err, EINVAL from a chown or setuid to the user of
// cred: in a user namespace that maps only root, as the network namespace's
// test binary has it, there is no postgres user.
func unmapped(err error, cred *syscall.Credential) error {
	if cred != nil && errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("%w (the postgres user, uid %d, is not mapped in this user namespace: PostgreSQL cannot run here)", err, cred.Uid)
	}
	return err
}

// postgresBin returns the newest /usr/lib/postgresql/VERSION/bin with an
// initdb (Debian's layout).
func postgresBin() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", errors.New("no initdb under /usr/lib/postgresql/*/bin: install Debian's postgresql package")
	}
	version := func(p string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(p))), 64)
		return v
	}
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	return filepath.Dir(found[0]), nil
}

// launchMariaDB initializes a data directory, starts mariadbd and creates
// database rasp and user rasp through the socket, as root (of MariaDB,
// without a password). As root of the system, mariadbd runs as root.
func launchMariaDB(db *dbServer) error {
	installDB, err := mariadbBinary("mariadb-install-db")
	if err != nil {
		return err
	}
	mariadbd, err := mariadbBinary("mariadbd")
	if err != nil {
		return err
	}
	client, err := mariadbBinary("mariadb")
	if err != nil {
		return err
	}
	if err := makeDBDir(db, "mariadb", nil); err != nil {
		return err
	}
	data := filepath.Join(db.dir, "data")
	sock := filepath.Join(db.dir, "sock")
	// Also for mariadbd --bootstrap, under mariadb-install-db: no syncs
	// (--debug-no-sync halves the time), small logs, no host names.
	fast := []string{"--skip-log-bin", "--debug-no-sync", "--innodb-flush-method=nosync",
		"--innodb-log-file-size=8M", "--skip-name-resolve"}
	var asRoot []string
	if os.Geteuid() == 0 {
		asRoot = []string{"--user=root"}
	}
	args := append([]string{"--no-defaults", "--datadir=" + data,
		"--auth-root-authentication-method=normal", "--skip-test-db"}, asRoot...)
	install := dbCommand(db.dir, nil, installDB, append(args, fast...)...)
	if err := runDBCommand(install, 2*time.Minute); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	args = append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + sock,
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1",
		"--innodb-flush-log-at-trx-commit=0", "--innodb-buffer-pool-size=32M"}, asRoot...)
	if err := startDBServer(db, dbCommand(db.dir, nil, mariadbd, append(args, fast...)...), port); err != nil {
		return err
	}
	grant := func() *exec.Cmd {
		return dbCommand(db.dir, nil, client, "--no-defaults", "-S", sock, "-u", "root", "-e",
			"CREATE DATABASE IF NOT EXISTS rasp; "+
				"CREATE USER IF NOT EXISTS 'rasp'@'%' IDENTIFIED BY 'rasp'; "+
				"GRANT ALL PRIVILEGES ON rasp.* TO 'rasp'@'%';")
	}
	if err := retryDBCommand(db, grant); err != nil {
		return err
	}
	db.env = []string{
		"MYSQLPORT=" + strconv.Itoa(port),
		fmt.Sprintf("MYSQLDSN=rasp:rasp@tcp(127.0.0.1:%d)/rasp", port),
	}
	return nil
}

// mariadbBinary finds a binary of MariaDB on PATH or in /usr/sbin and
// /usr/bin (mariadbd is in /usr/sbin, which a user's PATH may not have).
func mariadbBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("no %s on PATH, in /usr/sbin or in /usr/bin: install Debian's mariadb-server package", name)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// makeDBDir makes db.dir, dbRoot/name, owned by the user of cred if any,
// with the directories above it open to that user.
func makeDBDir(db *dbServer, name string, cred *syscall.Credential) error {
	db.dir = filepath.Join(dbRoot(), name)
	if err := os.MkdirAll(db.dir, 0o755); err != nil {
		return err
	}
	if cred == nil {
		return nil
	}
	run := filepath.Dir(dbRoot()) // made by os.MkdirTemp: 0700
	if fi, err := os.Stat(run); err != nil {
		return err
	} else if err := os.Chmod(run, fi.Mode().Perm()|0o001); err != nil {
		return err
	}
	return os.Chown(db.dir, int(cred.Uid), int(cred.Gid))
}

// dbCommand is a command of a server in dir, run as the user of cred if
// any, in a process group of its own, killed if the test binary dies.
func dbCommand(dir string, cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	return cmd
}

// startProcess starts cmd from one OS thread that lives as long as the test
// binary: the kernel sends the parent-death signal when the thread that
// started the child ends, not the process.
var startProcess = sync.OnceValue(func() func(*exec.Cmd) error {
	type request struct {
		cmd  *exec.Cmd
		done chan error
	}
	requests := make(chan request)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is never reused nor ended
		for r := range requests {
			r.done <- r.cmd.Start()
		}
	}()
	return func(cmd *exec.Cmd) error {
		done := make(chan error)
		requests <- request{cmd, done}
		return <-done
	}
})

// runDBCommand runs cmd, killing its process group after timeout, and
// returns its output with its error.
func runDBCommand(cmd *exec.Cmd, timeout time.Duration) error {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := startProcess()(cmd); err != nil {
		return err
	}
	timer := time.AfterFunc(timeout, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	err := cmd.Wait()
	if !timer.Stop() {
		err = fmt.Errorf("timed out after %v", timeout)
	}
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out.Bytes())
	}
	return nil
}

// retryDBCommand runs the command made by mk until it succeeds, 50 times
// at most, while server db runs.
func retryDBCommand(db *dbServer, mk func() *exec.Cmd) error {
	var err error
	for range 50 {
		if err = runDBCommand(mk(), 30*time.Second); err == nil {
			return nil
		}
		select {
		case <-db.exited:
			return fmt.Errorf("the server exited: %v\n%s", err, tail(db.log))
		case <-time.After(100 * time.Millisecond):
		}
	}
	return err
}

// startDBServer starts cmd as the server of db, its output in db.dir/log,
// and waits until it accepts connections on port.
func startDBServer(db *dbServer, cmd *exec.Cmd, port int) error {
	db.log = filepath.Join(db.dir, "log")
	log, err := os.Create(db.log)
	if err != nil {
		return err
	}
	defer log.Close() // the server has its own descriptor
	cmd.Stdout, cmd.Stderr = log, log
	if err := startProcess()(cmd); err != nil {
		return err
	}
	db.cmd, db.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(db.exited) }()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for range 600 { // 30s
		select {
		case <-db.exited:
			return fmt.Errorf("%s exited: %v\n%s", cmd.Path, cmd.ProcessState, tail(db.log))
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s does not accept connections on %s after 30s\n%s", cmd.Path, addr, tail(db.log))
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last lines of file, for an error.
func tail(file string) string {
	data, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
