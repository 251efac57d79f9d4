package toolexec

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/rewrite/internal/stdlib"
	"github.com/rasp-instrument/rasp-instrument/rewrite/manifest"
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
)

// link adds the runtime and the packages it needs to the linker's import
// configuration. The linker loads only the packages that the program's
// archives import, so the additions cost nothing in a program that was not
// instrumented.
func (x *Toolexec) link(sp *spec.Spec) error {
	args := append([]string(nil), x.args...)
	cfgPath, cfgIdx := flagValue(args, "-importcfg")
	if cfgIdx < 0 {
		return x.passThrough(args)
	}
	cfg, err := readImportCfg(cfgPath)
	if err != nil {
		return err
	}
	// A hook package is needed when a package of the program imports it:
	// only packages outside the standard library are rewritten, so only
	// their export data is searched for the hook packages' paths.
	var need []string
	for _, hp := range sp.HookPackages() {
		if hp != raspinstrument.ImplPath && linkedByUserCode(x.goroot, cfg, hp) {
			need = append(need, hp)
		}
	}
	rt, err := x.ensureRuntime(args, need...)
	if err != nil {
		return fmt.Errorf("linking %s: %w", importPath(), err)
	}
	for p, a := range rt {
		if _, ok := cfg.PackageFile[p]; !ok || isRuntimePackage(p) {
			cfg.PackageFile[p] = a
		}
	}
	newCfg := cfgPath + ".rasp"
	if err := cfg.Write(newCfg); err != nil {
		return err
	}
	args[cfgIdx] = newCfg
	// The build record, which the runtime's start banner reads too (the
	// entry points of the spec): the flag goes before the main archive,
	// the last argument.
	record, err := x.linkRecord(sp, cfg)
	if err != nil {
		return fmt.Errorf("linking %s: %w", importPath(), err)
	}
	args = append(args[:len(args)-1], "-X="+raspinstrument.ImplPath+".buildManifest="+record, args[len(args)-1])
	return x.passThrough(args)
}

// linkRecord returns the manifest's link record of this build: what
// `rasp-instrument inspect` reads back from the executable.
func (x *Toolexec) linkRecord(sp *spec.Spec, cfg *importCfg) (string, error) {
	goVersion := "unknown"
	if line, err := toolVersion(x.tool, x.stderr); err == nil {
		// "link version go1.26.8 ..." or, for a development toolchain,
		// "link version devel go1.27-abcdef ...".
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "go1") {
				goVersion = f
				break
			}
		}
	}
	flags := detectBuildFlags(x.args).Args()
	for _, a := range x.args {
		if a == "-s" || a == "-w" { // the linker's: no symbol table, no DWARF
			flags = append(flags, a)
		}
	}
	var excluded []string
	for p := range cfg.PackageFile {
		if sp.Excluded(p) {
			excluded = append(excluded, p)
		}
	}
	sort.Strings(excluded)
	return manifest.EncodeLink(manifest.Link{
		Version:     Version(),
		Go:          goVersion,
		Spec:        sp.File,
		SpecSHA256:  sp.Hash,
		BuildFlags:  flags,
		EntryPoints: sp.EntrySummary(""),
		Exclude:     sp.Exclude,
		Excluded:    excluded,
		Disabled:    sp.Disabled,
	})
}

// linkedByUserCode reports whether an archive outside the standard library
// in cfg names the package path in its export data.
func linkedByUserCode(goroot string, cfg *importCfg, path string) bool {
	needle := []byte(path)
	for p, a := range cfg.PackageFile {
		if stdlib.IsPackage(goroot, p) || isRuntimePackage(p) {
			continue
		}
		def, err := readPkgDef(a)
		if err != nil || bytes.Contains(def, needle) {
			return true
		}
	}
	return false
}
