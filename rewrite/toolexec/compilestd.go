package toolexec

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"

	"github.com/rasp-instrument/rasp-instrument/rewrite/patch"
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

// compileStd compiles a standard library package, with its patches if it
// has any.
func (x *Toolexec) compileStd(sp *spec.Spec, args []string, ip string) error {
	patches := sp.PatchesFor(ip)
	if len(patches) == 0 {
		return x.passThrough(args)
	}
	first := goFiles(args)
	files := args[first:]
	srcs := make([][]byte, len(files))
	for i, f := range files {
		var err error
		if srcs[i], err = os.ReadFile(f); err != nil {
			return err
		}
	}
	name, err := packageName(files[0], srcs[0])
	if err != nil {
		return err
	}
	changed, added, err := patch.Apply(patches, files, srcs)
	if err != nil {
		return err
	}
	for _, b := range added {
		if got, err := packageName("decls", b); err != nil || got != name {
			return fmt.Errorf("patching %s: a declarations file of the spec is not of package %s", ip, name)
		}
	}
	dir, err := workDir(args)
	if err != nil {
		return err
	}
	newArgs := append([]string(nil), args[:first]...)
	for i, f := range files {
		b, ok := changed[i]
		if !ok {
			newArgs = append(newArgs, f)
			continue
		}
		name, err := writeRewritten(dir, i, f, b)
		if err != nil {
			return err
		}
		newArgs = append(newArgs, name)
	}
	for i, b := range added {
		name := filepath.Join(dir, fmt.Sprintf("rasp_hooks_%d.go", i))
		if err := os.WriteFile(name, b, 0o644); err != nil {
			return err
		}
		newArgs = append(newArgs, name)
	}
	return x.passThrough(newArgs)
}

func packageName(file string, src []byte) (string, error) {
	af, err := parser.ParseFile(token.NewFileSet(), file, src, parser.PackageClauseOnly)
	if err != nil {
		return "", err
	}
	return af.Name.Name, nil
}
