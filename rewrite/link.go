package rewrite

import (
	"fmt"
)

// link adds the runtime and the packages it needs to the linker's import
// configuration. The linker loads only the packages that the program's
// archives import, so the additions cost nothing in a program that was not
// instrumented.
func (x *Toolexec) link() error {
	args := append([]string(nil), x.Args...)
	cfgPath, cfgIdx := flagValue(args, "-importcfg")
	if cfgIdx < 0 {
		return x.passThrough(args)
	}
	cfg, err := ReadImportCfg(cfgPath)
	if err != nil {
		return err
	}
	// A hook package can only be used by a program that links the sink
	// packages whose calls go there.
	t, _ := x.Table()
	var need []string
	for hp, sinkPkgs := range t.HookPackages() {
		for _, sp := range sinkPkgs {
			if _, ok := cfg.PackageFile[sp]; ok {
				need = append(need, hp)
				break
			}
		}
	}
	for p := range cfg.PackageFile {
		if isRuntimePackage(p) {
			need = append(need, p)
		}
	}
	rt, err := x.EnsureRuntime(args, need...)
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
	return x.passThrough(args)
}
