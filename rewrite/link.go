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
	rt, err := x.EnsureRuntime(args)
	if err != nil {
		return fmt.Errorf("linking %s: %w", importPath(), err)
	}
	cfg, err := ReadImportCfg(cfgPath)
	if err != nil {
		return err
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
