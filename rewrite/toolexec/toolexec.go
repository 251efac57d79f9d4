package toolexec

import (
	"runtime/debug"

	"github.com/rasp-instrument/rasp-instrument/rewrite/internal/runtimesrc"
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"

	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
)

// Version returns the tool's version, reported by `rasp-instrument
// version` and folded into the build cache key: the module version it was
// installed at (go install ...@v1.2.3), else the commit it was built from.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", ""
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev + dirty
}

// Options are the tool's own flags, given before the tool path in -toolexec:
// -toolexec="rasp-instrument --sinks sinks.yaml".
type Options struct {
	Sinks string // sink spec file; empty for RASP_SINKS or the built-in spec
}

func (o Options) argv() []string {
	if o.Sinks != "" {
		return []string{"--sinks", o.Sinks}
	}
	return nil
}

// ParseArgs splits the arguments the go command passed into the
// tool's own options, the path of the Go tool to run and that tool's
// arguments. ok is false when args do not look like a toolexec call.
func ParseArgs(args []string) (opts Options, tool string, toolArgs []string, ok bool) {
	for len(args) > 0 {
		switch {
		case args[0] == "--sinks" || args[0] == "-sinks":
			if len(args) < 2 {
				return opts, "", nil, false
			}
			opts.Sinks, args = args[1], args[2:]
		case strings.HasPrefix(args[0], "--sinks=") || strings.HasPrefix(args[0], "-sinks="):
			opts.Sinks = args[0][strings.IndexByte(args[0], '=')+1:]
			args = args[1:]
		default:
			if !filepath.IsAbs(args[0]) {
				return opts, "", nil, false
			}
			if st, err := os.Stat(args[0]); err != nil || st.IsDir() {
				return opts, "", nil, false
			}
			if opts.Sinks != "" {
				if abs, err := filepath.Abs(opts.Sinks); err == nil {
					opts.Sinks = abs
				}
			}
			return opts, args[0], args[1:], true
		}
	}
	return opts, "", nil, false
}

// Toolexec is one run of the tool as the go command's -toolexec wrapper.
// It is the one place where Go tools are intercepted: compile is rewritten,
// link gets the runtime, and every other tool runs untouched.
type Toolexec struct {
	opts   Options
	tool   string   // path of the Go tool, e.g. $GOROOT/pkg/tool/linux_amd64/compile
	args   []string // the tool's arguments
	goroot string
	self   string // path of this executable

	stdout, stderr io.Writer

	specHash string // of the spec in force, once loaded
	idOnce   sync.Once
	id       string
}

// New prepares a run.
func New(opts Options, tool string, args []string) *Toolexec {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	return &Toolexec{
		opts: opts, tool: tool, args: args, self: self,
		goroot: filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(tool)))),
		stdout: os.Stdout, stderr: os.Stderr,
	}
}

// toolName is the tool's base name without extension: compile, link, asm...
func (x *Toolexec) toolName() string {
	return strings.TrimSuffix(filepath.Base(x.tool), ".exe")
}

// loadSpec loads the sink spec in force.
func (x *Toolexec) loadSpec() (*spec.Spec, error) {
	sp, err := spec.Load(x.opts.Sinks)
	if err != nil {
		return nil, err
	}
	x.specHash = sp.Hash
	return sp, nil
}

// identity is the identity of everything that changes what the tool does to a
// build: this executable (rewriter, runtime source, built-in spec) and the
// sink spec in force.
func (x *Toolexec) identity() string {
	x.idOnce.Do(func() {
		h := sha256.New()
		fmt.Fprintf(h, "rasp-instrument %s\n", Version())
		fmt.Fprintf(h, "exe %s\n", executableHash(x.self))
		fmt.Fprintf(h, "sinks %s\n", x.specHash)
		x.id = hex.EncodeToString(h.Sum(nil))[:20]
	})
	return x.id
}

// Run runs the tool and returns the exit status to leave with.
func (x *Toolexec) Run() int {
	err := x.run()
	if err == nil {
		return 0
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode() // the tool failed and said why
	}
	fmt.Fprintf(x.stderr, "rasp-instrument: %v\n", err)
	return 2
}

func (x *Toolexec) run() error {
	if trace := os.Getenv("RASP_TRACE"); trace != "" {
		start := time.Now()
		defer func() {
			if f, err := os.OpenFile(trace, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
				self, children := cpuSeconds()
				fmt.Fprintf(f, "%s\t%s\t%.3f\t%d\t%.3f\t%.3f\n", x.toolName(), os.Getenv("TOOLEXEC_IMPORTPATH"), time.Since(start).Seconds(), selfMaxRSS(), self, children)
				f.Close()
			}
		}()
	}
	name := x.toolName()
	probe := len(x.args) == 1 && x.args[0] == "-V=full"
	if name != "compile" && name != "link" {
		if probe {
			return x.version()
		}
		return x.passThrough(x.args)
	}
	// A broken spec fails the build's first step: the go command's probe
	// of the compiler's identity.
	sp, err := x.loadSpec()
	if err != nil {
		return err
	}
	if probe {
		return x.version()
	}
	if os.Getenv("TOOLEXEC_IMPORTPATH") == "" {
		return errors.New("this looks like a compiler or linker command line, but not one run by the go command (TOOLEXEC_IMPORTPATH is not set).\n" +
			"rasp-instrument is meant to wrap the go command's tools:\n\tgo build -toolexec=rasp-instrument ./...")
	}
	if name == "compile" {
		return x.compile(sp)
	}
	return x.link(sp)
}

// toolVersion returns the tool's answer to -V=full, remembered in the
// tool's cache directory by the tool binary's path, size and time: the go
// command asks on every build, and each answer would otherwise cost a
// process.
func toolVersion(tool string, stderr io.Writer) (string, error) {
	var memo string
	if fi, err := os.Stat(tool); err == nil {
		if dir, err := runtimesrc.CacheDir(); err == nil {
			h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%d", tool, fi.Size(), fi.ModTime().UnixNano())))
			memo = filepath.Join(dir, "vfull-"+hex.EncodeToString(h[:8]))
			if b, err := os.ReadFile(memo); err == nil && len(b) > 0 {
				return strings.TrimSpace(string(b)), nil
			}
		}
	}
	var out bytes.Buffer
	cmd := exec.Command(tool, "-V=full")
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Run(); err != nil {
		return "", err
	}
	line := strings.TrimSpace(out.String())
	if memo != "" && line != "" {
		tmp := fmt.Sprintf("%s.%d", memo, os.Getpid())
		if os.WriteFile(tmp, []byte(line+"\n"), 0o644) == nil {
			os.Rename(tmp, memo)
		}
	}
	return line, nil
}

// version answers the go command's -V=full probe with the tool's line plus
// this tool's identity, so instrumented and plain builds never share cache
// entries, and a change of spec or tool rebuilds. Only the compiler and the
// linker are asked.
func (x *Toolexec) version() error {
	line, err := toolVersion(x.tool, x.stderr)
	if err != nil {
		return err
	}
	if name := x.toolName(); name != "compile" && name != "link" {
		fmt.Fprintln(x.stdout, line)
		return nil
	}
	// The runtime is built when a compile first needs it, not here: the go
	// command holds every compile until this probe answers, and a
	// runtime built now would put its whole build on the critical path
	// of the program's (issue 18: 19 s of a 87 s cold build of
	// testdata/src/portal). Built later, it finds most of the standard
	// library it needs in the build cache.
	f := strings.Fields(line)
	if len(f) >= 3 {
		if err := checkToolchain(f[2], runtime.Version()); err != nil {
			return err
		}
	}
	if len(f) >= 3 && strings.Contains(f[2], "devel") && strings.HasPrefix(f[len(f)-1], "buildID=") {
		f[len(f)-1] += "+rasp-" + x.identity() // the go command keeps the content ID after the last /
		line = strings.Join(f, " ")
	} else {
		line += " rasp-instrument=" + Version() + "+" + x.identity()
	}
	fmt.Fprintln(x.stdout, line)
	return nil
}

func (x *Toolexec) passThrough(args []string) error {
	cmd := exec.Command(x.tool, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, x.stdout, x.stderr
	return cmd.Run()
}

// importPath is the import path of the package the go command is building,
// without the test variant suffix ("p [p.test]" -> "p").
func importPath() string {
	p := os.Getenv("TOOLEXEC_IMPORTPATH")
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = p[:i]
	}
	return p
}

// isRuntimePackage reports whether path is the runtime or one of its
// packages, which are never instrumented.
func isRuntimePackage(path string) bool {
	return path == raspinstrument.RuntimePath || strings.HasPrefix(path, raspinstrument.RuntimePath+"/")
}

func flagValue(args []string, name string) (string, int) {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1], i + 1
		}
		if strings.HasPrefix(a, name+"=") {
			return a[len(name)+1:], -1
		}
	}
	return "", -1
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name {
			return true
		}
	}
	return false
}

// executableHash returns a hash of the file at path, remembered in the
// tool's cache under the file's path, size and modification time so that
// the go command's identity probes do not read the whole executable each
// time.
func executableHash(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "unknown"
	}
	dir, err := runtimesrc.CacheDir()
	var memo string
	if err == nil {
		k := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%d", path, st.Size(), st.ModTime().UnixNano())))
		memo = filepath.Join(dir, "exe-"+hex.EncodeToString(k[:])[:24])
		if b, err := os.ReadFile(memo); err == nil && len(b) == 64 {
			return string(b)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown"
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if memo != "" {
		tmp := memo + ".tmp" + strconv.Itoa(os.Getpid())
		if os.WriteFile(tmp, []byte(sum), 0o644) == nil {
			os.Rename(tmp, memo)
		}
	}
	return sum
}

// checkToolchain refuses a build whose compiler is of another Go release
// than the one this tool was built with: the tool reads the compiler's
// export data with its own go/types, whose format follows the release.
func checkToolchain(compiler, tool string) error {
	c, t := goRelease(compiler), goRelease(tool)
	if c == "" || t == "" || c == t {
		return nil // development toolchains and unknown forms: let the build say
	}
	return fmt.Errorf("this build uses the %s compiler, but rasp-instrument was built with %s; "+
		"reinstall it with the same release (go install github.com/rasp-instrument/rasp-instrument/cmd/rasp-instrument) "+
		"or build with GOTOOLCHAIN=%s", compiler, tool, tool)
}

// goRelease returns the major release of a Go version string: "go1.26.8"
// and "go1.26rc1" give "go1.26"; a development version gives "".
func goRelease(v string) string {
	if !strings.HasPrefix(v, "go1.") {
		return ""
	}
	rest := v[len("go1."):]
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == 0 {
		return ""
	}
	return "go1." + rest[:i]
}
