package toolexec

import (
	"go/parser"
	"go/token"
	"strconv"

	"github.com/rasp-instrument/rasp-instrument/rewrite/callsite"
	"github.com/rasp-instrument/rasp-instrument/rewrite/manifest"
	"github.com/rasp-instrument/rasp-instrument/rewrite/patch"
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"

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

// A compileKind is what the tool does with one compile: decided from the
// command line and the spec, before any file is read.
type compileKind int

const (
	compileAsIs         compileKind = iota // no Go files (asm stubs only): the compiler as called
	compileRuntime                         // a package of the runtime: its paths trimmed
	compileStd                             // the standard library: the spec's patches
	compileExcluded                        // excluded by the spec: as written, with a warning
	compileInstrumented                    // everything else: rewritten where it calls a join point
)

// decide tells how to compile the package ip from the compiler's
// arguments.
func decide(sp *spec.Spec, args []string, ip string) compileKind {
	switch {
	case goFiles(args) == len(args):
		return compileAsIs
	case isRuntimePackage(ip):
		return compileRuntime
	case hasFlag(args, "-std"):
		return compileStd // the standard library never imports the runtime
	case sp.Excluded(ip):
		return compileExcluded
	}
	return compileInstrumented
}

func (x *Toolexec) compile(sp *spec.Spec) error {
	args := x.args
	ip := importPath()
	switch decide(sp, args, ip) {
	case compileAsIs:
		return x.passThrough(args)
	case compileRuntime:
		return x.passThrough(trimRuntimePaths(args, ip, args[goFiles(args)]))
	case compileStd:
		return x.compileStd(sp, args, ip)
	case compileExcluded:
		fmt.Fprintf(x.stderr, "rasp-instrument: warning: %s is excluded from instrumentation by %s; its sink calls are not protected\n", ip, sp.File)
		if p, _ := flagValue(args, "-p"); p == "main" {
			// Its calls are left as written, but the program still links
			// the runtime: the standard library's entry points, and the
			// rewritten call sites of its other packages, need it.
			var err error
			if args, err = x.importRuntime(args); err != nil {
				return fmt.Errorf("compiling %s: %w", ip, err)
			}
		}
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
	}
	cfgPath, cfgIdx := flagValue(args, "-importcfg")
	if cfgIdx < 0 {
		return fmt.Errorf("compiling %s: no -importcfg in the compiler's arguments; cannot type-check it", ip)
	}
	cfg, err := readImportCfg(cfgPath)
	if err != nil {
		return fmt.Errorf("compiling %s: %w", ip, err)
	}
	results, err := x.rewrite(sp, args, ip, cfg)
	if err != nil || results == nil {
		if err == nil {
			err = x.compileWithRuntimeOverride(args, cfg, cfgIdx)
		}
		return err
	}
	return x.emit(sp, args, ip, cfg, cfgIdx, results)
}

// rewrite type-checks the package and rewrites its references to the
// spec's calls. It returns nil results when nothing changed.
func (x *Toolexec) rewrite(sp *spec.Spec, args []string, ip string, cfg *importCfg) ([]callsite.FileResult, error) {
	files := args[goFiles(args):]
	srcs, err := readSources(files)
	if err != nil {
		return nil, err
	}
	// The spec's patches of this package (a server library's entry), with
	// their declarations files, which may import runtime packages.
	patched, decls, err := x.patchPackage(sp, args, ip, cfg, files, srcs)
	if err != nil {
		return nil, err
	}
	if len(patched) == 0 && !mayReachSinks(ip, srcs, cfg, sp) {
		return nil, nil
	}
	names := files
	for i, d := range decls {
		names = append(names[:len(names):len(names)], fmt.Sprintf("rasp_decls_%d.go", i))
		srcs = append(srcs, d)
	}
	lang, _ := flagValue(args, "-lang")
	goarch := os.Getenv("GOARCH")
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	var keep func([]byte) bool
	if !sp.DeclaresCalls(ip) {
		keep = sp.SpellsCall
	}
	pkg, err := checkFiles(ip, names, srcs, cfg, goarch, lang, keep)
	if err != nil {
		// Compile as written: if the code is wrong, the compiler says so.
		if cerr := x.passThroughQuiet(args); cerr != nil {
			return nil, x.passThrough(args)
		}
		return nil, fmt.Errorf("cannot type-check %s to instrument it, so it would build without protection:\n\t%v\n"+
			"Report this, or exclude the package in the sink spec (exclude: [%s]) to build it unprotected on purpose", ip, err, ip)
	}
	if err := sp.CheckImports(pkg.Types.Imports()); err != nil {
		return nil, err
	}
	results, err := callsite.Rewrite(pkg, sp, raspinstrument.ImplPath)
	if err != nil {
		return nil, fmt.Errorf("instrumenting %s: %w", ip, err)
	}
	var missed []string
	changed := false
	for i := range results {
		r := &results[i]
		if r.Out == nil && (patched[i] || i >= len(files)) {
			r.Out = srcs[i] // patched, or a declarations file
		}
		if i >= len(files) {
			r.Imports = importsOf(srcs[i])
		}
		changed = changed || r.Out != nil
		for _, s := range r.Sites {
			if s.Mechanism == callsite.MechanismNone {
				missed = append(missed, fmt.Sprintf("%s:%d:%d: %s: %s", s.File, s.Line, s.Column, s.Sink, s.Reason))
			}
		}
	}
	if len(missed) > 0 {
		return nil, fmt.Errorf("cannot instrument %d call(s) of %s, so they would run without protection:\n\t%s\n"+
			"Rewrite them as direct calls, report this, or exclude the package in the sink spec (exclude: [%s]) to build it unprotected on purpose",
			len(missed), ip, strings.Join(missed, "\n\t"), ip)
	}
	if !changed {
		return nil, nil
	}
	return results, nil
}

// patchPackage applies the spec's patches of package ip to srcs, in place,
// and returns which files changed and the declarations files to add, each
// checked to be of the package. The runtime packages that the declarations
// import are added to cfg (nil for the standard library, which never
// imports the runtime).
func (x *Toolexec) patchPackage(sp *spec.Spec, args []string, ip string, cfg *importCfg, files []string, srcs [][]byte) (map[int]bool, [][]byte, error) {
	patches := sp.PatchesFor(ip)
	if len(patches) == 0 {
		return nil, nil, nil
	}
	changed, decls, err := patch.Apply(patches, files, srcs)
	if err != nil {
		return nil, nil, fmt.Errorf("instrumenting %s: %w", ip, err)
	}
	patched := map[int]bool{}
	for i, b := range changed {
		srcs[i], patched[i] = b, true
	}
	name, err := packageName(files[0], srcs[0])
	if err != nil {
		return nil, nil, err
	}
	var need []string
	for _, d := range decls {
		if got, err := packageName("decls", d); err != nil || got != name {
			return nil, nil, fmt.Errorf("patching %s: a declarations file of the spec is not of package %s", ip, name)
		}
		for _, p := range importsOf(d) {
			if isRuntimePackage(p) {
				need = append(need, p)
			}
		}
	}
	if len(need) > 0 && cfg == nil {
		return nil, nil, fmt.Errorf("patching %s: a declarations file imports the runtime, which the standard library cannot", ip)
	}
	if len(need) > 0 {
		rt, err := x.ensureRuntime(args, need...)
		if err != nil {
			return nil, nil, fmt.Errorf("instrumenting %s: %w", ip, err)
		}
		for _, p := range need {
			cfg.PackageFile[p] = rt[p]
		}
	}
	return patched, decls, nil
}

// importsOf returns the import paths of a Go file.
func importsOf(src []byte) []string {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.ImportsOnly)
	if err != nil {
		return nil
	}
	var out []string
	for _, is := range f.Imports {
		if p, err := strconv.Unquote(is.Path.Value); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// emit writes the rewritten files and an import configuration that holds
// the runtime packages they import, and runs the compiler on them.
func (x *Toolexec) emit(sp *spec.Spec, args []string, ip string, cfg *importCfg, cfgIdx int, results []callsite.FileResult) error {
	var hookPkgs []string
	for _, r := range results {
		for _, p := range r.Imports {
			if isRuntimePackage(p) {
				hookPkgs = append(hookPkgs, p)
			}
		}
	}
	rt, err := x.ensureRuntime(args, hookPkgs...)
	if err != nil {
		return fmt.Errorf("instrumenting %s: %w", ip, err)
	}
	if err := verifyHooks(rt, results, sp); err != nil {
		return err
	}
	dir, err := workDir(args)
	if err != nil {
		return err
	}
	newArgs := append([]string(nil), args[:goFiles(args)]...)
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
		name, err := writeRewritten(dir, i, r.Path, r.Out)
		if err != nil {
			return err
		}
		newArgs = append(newArgs, name)
	}
	record, err := packageRecord(dir, ip, results)
	if err != nil {
		return fmt.Errorf("instrumenting %s: %w", ip, err)
	}
	newArgs = append(newArgs, record)
	cfg.PackageFile[raspinstrument.ImplPath] = rt[raspinstrument.ImplPath]
	newCfg := filepath.Join(dir, "importcfg")
	if err := cfg.Write(newCfg); err != nil {
		return err
	}
	newArgs[cfgIdx] = newCfg
	return x.passThrough(newArgs)
}

// packageRecord writes, in dir, a file of the package that hands the
// package's manifest record to the runtime at initialisation, and returns
// its name. The record counts the call sites rewritten, per family.
func packageRecord(dir, ip string, results []callsite.FileResult) (string, error) {
	rec := manifest.Package{Path: ip, Sites: map[string]int{}}
	for _, r := range results {
		for _, s := range r.Sites {
			switch s.Mechanism {
			case callsite.MechanismCall, callsite.MechanismValue, callsite.MechanismMethod:
				rec.Sites[s.Family]++
			}
		}
	}
	text, err := manifest.EncodePackage(rec)
	if err != nil {
		return "", err
	}
	name, err := packageName(results[0].Path, results[0].Src)
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, "zz_rasp_manifest.go")
	src := "// Code generated by rasp-instrument. DO NOT EDIT.\n\npackage " + name + "\n\n" +
		"import __rasp_manifest \"" + raspinstrument.ImplPath + "\"\n\n" +
		"var _ = __rasp_manifest.Instrumented(" + strconv.Quote(text) + ")\n"
	return file, os.WriteFile(file, []byte(src), 0o644)
}

// importRuntime adds to a main package's compile a file that imports the
// runtime, and the runtime to its import configuration.
func (x *Toolexec) importRuntime(args []string) ([]string, error) {
	cfgPath, cfgIdx := flagValue(args, "-importcfg")
	if cfgIdx < 0 {
		return nil, fmt.Errorf("no -importcfg in the compiler's arguments")
	}
	cfg, err := readImportCfg(cfgPath)
	if err != nil {
		return nil, err
	}
	rt, err := x.ensureRuntime(args)
	if err != nil {
		return nil, err
	}
	dir, err := workDir(args)
	if err != nil {
		return nil, err
	}
	cfg.PackageFile[raspinstrument.ImplPath] = rt[raspinstrument.ImplPath]
	newCfg := filepath.Join(dir, "importcfg.main")
	if err := cfg.Write(newCfg); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "zz_rasp_runtime.go")
	src := "// Code generated by rasp-instrument. DO NOT EDIT.\n\npackage main\n\nimport __rasp_start \"" + raspinstrument.ImplPath + "\"\n\n" +
		"func init() { __rasp_start.Start() }\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		return nil, err
	}
	args = append(append([]string(nil), args...), file)
	args[cfgIdx] = newCfg
	return args, nil
}

// workDir returns the directory, next to the compiler's output, where the
// rewritten files of a compile go, creating it.
func workDir(args []string) (string, error) {
	out, _ := flagValue(args, "-o")
	if out == "" {
		return "", fmt.Errorf("no -o in the compiler's arguments")
	}
	dir := filepath.Join(filepath.Dir(out), "rasp")
	return dir, os.MkdirAll(dir, 0o755)
}

// writeRewritten writes the new content of the i-th source file in dir,
// behind a //line directive that keeps the original file's name and lines
// in positions, and returns the new file's name.
func writeRewritten(dir string, i int, orig string, content []byte) (string, error) {
	name := filepath.Join(dir, fmt.Sprintf("%d_%s", i, filepath.Base(orig)))
	return name, os.WriteFile(name, append([]byte("//line "+orig+":1\n"), content...), 0o644)
}

// compileWithRuntimeOverride compiles a package as written, given its
// import configuration cfg (the argument at cfgIdx). A package that imports
// the runtime itself gets the runtime built for this build.
func (x *Toolexec) compileWithRuntimeOverride(args []string, cfg *importCfg, cfgIdx int) error {
	var uses []string
	for p := range cfg.PackageFile {
		if isRuntimePackage(p) {
			uses = append(uses, p)
		}
	}
	if len(uses) == 0 {
		return x.passThrough(args)
	}
	rt, err := x.ensureRuntime(args, uses...)
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
	return exec.Command(x.tool, args...).Run()
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
