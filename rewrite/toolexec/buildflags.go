package toolexec

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// BuildFlags are the flags of the go command that change how packages are
// compiled. The runtime must be built with the same ones as the program it
// is linked into, or the linker refuses the mismatched objects.
type buildFlags struct {
	Race, Msan, Asan, Trimpath bool
	Values                     map[string]string // tags, gcflags, asmflags, buildmode, ...
}

// forwarded value flags: they change compiled code or file selection.
var valueFlags = map[string]bool{
	"tags": true, "gcflags": true, "asmflags": true, "buildmode": true,
	"installsuffix": true, "compiler": true, "gccgoflags": true, "pgo": true,
}

// otherValueFlags take a value but do not concern the runtime's build.
var otherValueFlags = map[string]bool{
	"C": true, "o": true, "p": true, "mod": true, "modfile": true, "overlay": true,
	"ldflags": true, "toolexec": true, "exec": true, "coverpkg": true, "covermode": true,
	"pkgdir": true, "buildvcs": true, "reuse": true, "json": true, "f": true, "vettool": true,
	"run": true, "bench": true, "count": true, "timeout": true, "cpu": true, "parallel": true,
	"fuzz": true, "fuzztime": true, "fuzzminimizetime": true, "benchtime": true, "skip": true,
	"coverprofile": true, "outputdir": true, "shuffle": true, "cpuprofile": true, "memprofile": true,
	"blockprofile": true, "mutexprofile": true, "trace": true,
}

// stdTag is the build tag of the runtime's files that need the standard
// library patched by the tool (see StdPatch); the runtime's own build sets
// it.
const stdTag = "rasp_std"

// withTag returns f with one more build tag.
func (f buildFlags) withTag(tag string) buildFlags {
	v := map[string]string{}
	for k, x := range f.Values {
		v[k] = x
	}
	if old := strings.TrimSpace(v["tags"]); old != "" {
		sep := ","
		if strings.Contains(old, " ") && !strings.Contains(old, ",") {
			sep = " "
		}
		v["tags"] = old + sep + tag
	} else {
		v["tags"] = tag
	}
	f.Values = v
	return f
}

// Args returns the flags as go command arguments.
func (f buildFlags) Args() []string {
	var out []string
	if f.Race {
		out = append(out, "-race")
	}
	if f.Msan {
		out = append(out, "-msan")
	}
	if f.Asan {
		out = append(out, "-asan")
	}
	if f.Trimpath {
		out = append(out, "-trimpath")
	}
	for _, k := range []string{"asmflags", "buildmode", "compiler", "gccgoflags", "gcflags", "installsuffix", "pgo", "tags"} {
		if v, ok := f.Values[k]; ok {
			out = append(out, "-"+k+"="+v)
		}
	}
	return out
}

// parseGoFlags folds the build flags found in args (a go command line after
// its subcommand, or the fields of GOFLAGS) into f. It stops at the first
// argument that is not a flag.
func (f *buildFlags) parseGoFlags(args []string) {
	if f.Values == nil {
		f.Values = map[string]string{}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") {
			return
		}
		name := strings.TrimLeft(a, "-")
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		boolValue := func() bool {
			if !hasValue {
				return true
			}
			b, _ := strconv.ParseBool(value)
			return b
		}
		switch {
		case name == "race":
			f.Race = boolValue()
		case name == "msan":
			f.Msan = boolValue()
		case name == "asan":
			f.Asan = boolValue()
		case name == "trimpath":
			f.Trimpath = boolValue()
		case valueFlags[name] || otherValueFlags[name]:
			if !hasValue && i+1 < len(args) {
				i++
				value = args[i]
			}
			if valueFlags[name] {
				f.Values[name] = value
			}
		}
	}
}

// DetectBuildFlags recovers the flags of the go command that runs this
// tool: from GOFLAGS, then from the command line of the nearest ancestor
// process that is the go command (Linux and macOS, where a
// process can read it), then from the compiler's own arguments, which show
// -race, -msan and -asan. Elsewhere (Windows), flags that change how the
// runtime compiles (-tags, -gcflags...) must come through GOFLAGS.
func detectBuildFlags(toolArgs []string) buildFlags {
	var f buildFlags
	f.parseGoFlags(strings.Fields(os.Getenv("GOFLAGS")))
	if args := goCommandLine(); len(args) > 2 {
		f.parseGoFlags(args[2:]) // after "go build"
	}
	for _, a := range toolArgs {
		switch a {
		case "-race":
			f.Race = true
		case "-msan":
			f.Msan = true
		case "-asan":
			f.Asan = true
		}
	}
	return f
}

// goCommandLine returns the argv of the closest ancestor process that is
// the go command, or nil where it cannot be read (see processArgs).
func goCommandLine() []string {
	pid := os.Getppid()
	for depth := 0; depth < 4 && pid > 1; depth++ {
		argv, ppid := processArgs(pid)
		if len(argv) == 0 {
			return nil
		}
		if strings.TrimSuffix(filepath.Base(argv[0]), ".exe") == "go" {
			return argv
		}
		pid = ppid
	}
	return nil
}
