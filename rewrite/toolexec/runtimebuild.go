package toolexec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
	"github.com/rasp-instrument/rasp-instrument/rewrite/internal/runtimesrc"
)

// RuntimeArchives maps the import path of the runtime packages, and of every
// package they depend on, to the archive compiled for this build.
type runtimeArchives map[string]string

// ensureRuntime returns the archives of the runtime built with the same
// toolchain, flags and environment as the current build. The first call for
// a configuration runs `go list -export -deps` on the runtime through this
// same tool (so the standard library packages it shares with the program come
// from the same cache entries); later calls read the recorded list.
//
// pkgs are the runtime packages needed (the runtime itself is always
// built); each set is built and recorded once.
func (x *Toolexec) ensureRuntime(toolArgs []string, pkgs ...string) (runtimeArchives, error) {
	pkgs = append([]string{raspinstrument.ImplPath}, pkgs...)
	sort.Strings(pkgs)
	pkgs = slices.Compact(pkgs)
	dir, err := runtimesrc.CacheDir()
	if err != nil {
		return nil, err
	}
	flags := detectBuildFlags(toolArgs)
	h := sha256.New()
	fmt.Fprintf(h, "tool %s\ngoroot %s\n", x.identity(), x.goroot)
	for _, k := range []string{"GOOS", "GOARCH", "GOEXPERIMENT", "GOAMD64", "GOARM", "GOARM64", "GO386", "GOMIPS", "GOMIPS64", "GOPPC64", "GORISCV64", "GOWASM", "CGO_ENABLED", "GOCACHE", "GODEBUG"} {
		fmt.Fprintf(h, "%s=%s\n", k, os.Getenv(k))
	}
	fmt.Fprintf(h, "flags %q\npackages %q\n", flags.Args(), pkgs)
	key := hex.EncodeToString(h.Sum(nil))[:24]
	record := filepath.Join(dir, "rt-"+key+".json")

	if rt, ok := readRecord(record); ok {
		return rt, nil
	}
	unlock, err := lockFile(record + ".lock")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if rt, ok := readRecord(record); ok {
		return rt, nil
	}
	mod, err := runtimesrc.Unpack(dir)
	if err != nil {
		return nil, fmt.Errorf("unpacking the runtime: %w", err)
	}
	rt, err := x.listRuntime(mod, flags, pkgs)
	if err != nil {
		return nil, err
	}
	data, _ := json.Marshal(rt)
	tmp := record + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return nil, err
	}
	return rt, os.Rename(tmp, record)
}

func readRecord(file string) (runtimeArchives, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, false
	}
	var rt runtimeArchives
	if json.Unmarshal(data, &rt) != nil || rt[raspinstrument.ImplPath] == "" {
		return nil, false
	}
	for _, a := range rt {
		if _, err := os.Stat(a); err != nil {
			return nil, false // the build cache was trimmed or cleaned
		}
	}
	return rt, true
}

func (x *Toolexec) listRuntime(mod string, flags buildFlags, pkgs []string) (runtimeArchives, error) {
	args := []string{"list", "-mod=mod", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}", "-toolexec=" + x.selfCommand()}
	args = append(args, flags.withTag(stdTag).Args()...)
	args = append(args, pkgs...)
	cmd := exec.Command(x.goCommand(), args...)
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "GO111MODULE=on", "GOPROXY=off", "GOTOOLCHAIN=local")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("building the runtime (%s in %s): %v\n%s", strings.Join(cmd.Args, " "), mod, err, stderr.String())
	}
	rt := runtimeArchives{}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if p, a, ok := strings.Cut(strings.TrimSpace(line), "="); ok && a != "" {
			rt[p] = a
		}
	}
	if rt[raspinstrument.ImplPath] == "" {
		return nil, fmt.Errorf("building the runtime: go list gave no archive for %s", raspinstrument.ImplPath)
	}
	return rt, nil
}

// goCommand returns the go command of the toolchain that runs this build.
func (x *Toolexec) goCommand() string {
	name := "go"
	if filepath.Ext(x.tool) == ".exe" {
		name = "go.exe"
	}
	p := filepath.Join(x.goroot, "bin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return name
}

// selfCommand is the -toolexec value that runs this tool with the same
// options.
func (x *Toolexec) selfCommand() string {
	parts := []string{quoteArg(x.self)}
	for _, a := range x.opts.argv() {
		parts = append(parts, quoteArg(a))
	}
	return strings.Join(parts, " ")
}

func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"\\") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
