package rewrite

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
)

// goFiles returns the index of the first of the trailing .go files of a
// compile command line.
func goFiles(args []string) int {
	i := len(args)
	for i > 0 && strings.HasSuffix(args[i-1], ".go") && !strings.HasPrefix(args[i-1], "-") {
		i--
	}
	return i
}

func (x *Toolexec) compile() error {
	args := x.Args
	ip := importPath()
	first := goFiles(args)
	files := args[first:]
	t, _ := x.Table()
	if isRuntimePackage(ip) && len(files) > 0 {
		return x.passThrough(trimRuntimePaths(args, ip, files[0]))
	}
	if len(files) == 0 {
		return x.passThrough(args)
	}
	if hasFlag(args, "-std") {
		return x.compileStd(args, ip, first) // the standard library never imports the runtime
	}
	if t.Excluded(ip) {
		fmt.Fprintf(x.Stderr, "rasp-instrument: warning: %s is excluded from instrumentation by %s; its sink calls are not protected\n", ip, t.File)
		return x.passThrough(args)
	}
	if p, _ := flagValue(args, "-p"); p == "main" {
		// Every program links the runtime, so the standard library's entry
		// points are hooked even when no call site of it was rewritten (a
		// program that reaches its database only through an ORM).
		var err error
		if args, err = x.importRuntime(args); err != nil {
			return fmt.Errorf("compiling %s: %w", ip, err)
		}
		first = goFiles(args)
		files = args[first:]
	}
	cfgPath, cfgIdx := flagValue(args, "-importcfg")
	if cfgIdx < 0 {
		return fmt.Errorf("compiling %s: no -importcfg in the compiler's arguments; cannot type-check it", ip)
	}
	cfg, err := ReadImportCfg(cfgPath)
	if err != nil {
		return fmt.Errorf("compiling %s: %w", ip, err)
	}
	srcs := make([][]byte, len(files))
	for i, f := range files {
		if srcs[i], err = os.ReadFile(f); err != nil {
			return err
		}
	}
	if !mayReachSinks(srcs, cfg, t) {
		return x.compileWithRuntimeOverride(args, cfg, cfgIdx)
	}
	lang, _ := flagValue(args, "-lang")
	goarch := os.Getenv("GOARCH")
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	pkg, err := CheckFiles(ip, files, srcs, cfg, goarch, lang)
	if err != nil {
		// Compile as written: if the code is wrong, the compiler says so.
		if cerr := x.passThroughQuiet(args); cerr != nil {
			return x.passThrough(args)
		}
		return fmt.Errorf("cannot type-check %s to instrument it, so it would build without protection:\n\t%v\n"+
			"Report this, or exclude the package in the sink table (exclude: [%s]) to build it unprotected on purpose", ip, err, ip)
	}
	if err := verifySinks(t, pkg.Types.Imports()); err != nil {
		return err
	}
	results, err := Rewrite(pkg, t, raspinstrument.RuntimePath)
	if err != nil {
		return fmt.Errorf("instrumenting %s: %w", ip, err)
	}
	changed := false
	for _, r := range results {
		changed = changed || r.Out != nil
	}
	if !changed {
		return x.compileWithRuntimeOverride(args, cfg, cfgIdx)
	}
	var hookPkgs []string
	for _, r := range results {
		for _, p := range r.Imports {
			if isRuntimePackage(p) {
				hookPkgs = append(hookPkgs, p)
			}
		}
	}
	rt, err := x.EnsureRuntime(args, hookPkgs...)
	if err != nil {
		return fmt.Errorf("instrumenting %s: %w", ip, err)
	}
	if err := verifyHooks(rt, results, t); err != nil {
		return err
	}
	out, _ := flagValue(args, "-o")
	dir := filepath.Join(filepath.Dir(out), "rasp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	newArgs := append([]string(nil), args[:first]...)
	for i, r := range results {
		if r.Out == nil {
			newArgs = append(newArgs, r.Path)
			continue
		}
		for _, p := range r.Imports {
			if _, ok := cfg.Resolve(p); ok {
				continue
			}
			a, ok := rt[p]
			if !ok {
				return fmt.Errorf("instrumenting %s: %s needs package %s, which is neither in its import configuration nor a runtime dependency", ip, r.Path, p)
			}
			cfg.PackageFile[p] = a
		}
		name := filepath.Join(dir, fmt.Sprintf("%d_%s", i, filepath.Base(r.Path)))
		content := append([]byte("//line "+r.Path+":1\n"), r.Out...)
		if err := os.WriteFile(name, content, 0o644); err != nil {
			return err
		}
		newArgs = append(newArgs, name)
	}
	cfg.PackageFile[raspinstrument.RuntimePath] = rt[raspinstrument.RuntimePath]
	newCfg := filepath.Join(dir, "importcfg")
	if err := cfg.Write(newCfg); err != nil {
		return err
	}
	newArgs[cfgIdx] = newCfg
	return x.passThrough(newArgs)
}

// importRuntime adds to a main package's compile a file that imports the
// runtime, and the runtime to its import configuration.
func (x *Toolexec) importRuntime(args []string) ([]string, error) {
	cfgPath, cfgIdx := flagValue(args, "-importcfg")
	out, _ := flagValue(args, "-o")
	if cfgIdx < 0 || out == "" {
		return nil, fmt.Errorf("no -importcfg or -o in the compiler's arguments")
	}
	cfg, err := ReadImportCfg(cfgPath)
	if err != nil {
		return nil, err
	}
	rt, err := x.EnsureRuntime(args)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(filepath.Dir(out), "rasp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cfg.PackageFile[raspinstrument.RuntimePath] = rt[raspinstrument.RuntimePath]
	newCfg := filepath.Join(dir, "importcfg.main")
	if err := cfg.Write(newCfg); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "zz_rasp_runtime.go")
	src := "// Code generated by rasp-instrument. DO NOT EDIT.\n\npackage main\n\nimport __rasp_start \"" + raspinstrument.RuntimePath + "\"\n\n" +
		"func init() { __rasp_start.Start() }\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		return nil, err
	}
	args = append(append([]string(nil), args...), file)
	args[cfgIdx] = newCfg
	return args, nil
}

// compileWithRuntimeOverride compiles a package as written, given its
// import configuration cfg (the argument at cfgIdx). A package that imports
// the runtime itself gets the runtime built for this build.
func (x *Toolexec) compileWithRuntimeOverride(args []string, cfg *ImportCfg, cfgIdx int) error {
	var uses []string
	for p := range cfg.PackageFile {
		if isRuntimePackage(p) {
			uses = append(uses, p)
		}
	}
	if len(uses) == 0 {
		return x.passThrough(args)
	}
	rt, err := x.EnsureRuntime(args, uses...)
	if err != nil {
		return err
	}
	for p, a := range rt {
		if _, ok := cfg.PackageFile[p]; ok || isRuntimePackage(p) {
			cfg.PackageFile[p] = a
		}
	}
	newCfg := args[cfgIdx] + ".rasp"
	if err := cfg.Write(newCfg); err != nil {
		return err
	}
	args = append([]string(nil), args...)
	args[cfgIdx] = newCfg
	return x.passThrough(args)
}

func (x *Toolexec) passThroughQuiet(args []string) error {
	return exec.Command(x.Tool, args...).Run()
}

// trimRuntimePaths makes the runtime's archives independent of where its
// source was unpacked: the module directory is rewritten to the module path
// in positions, as -trimpath would. The export data, and so the fingerprint
// that every instrumented package records, are then the same whatever the
// tool's cache directory, and archives cached by an earlier build stay
// compatible with a runtime unpacked elsewhere.
func trimRuntimePaths(args []string, ip, file string) []string {
	rel := filepath.FromSlash(strings.TrimPrefix(ip, raspinstrument.ModulePath))
	dir := filepath.Dir(file)
	if !strings.HasSuffix(dir, rel) {
		return args
	}
	rewrite := strings.TrimSuffix(dir, rel) + "=>" + raspinstrument.ModulePath
	args = append([]string(nil), args...)
	if v, i := flagValue(args, "-trimpath"); i >= 0 {
		args[i] = v + ";" + rewrite
		return args
	}
	return append([]string{"-trimpath", rewrite}, args...)
}
