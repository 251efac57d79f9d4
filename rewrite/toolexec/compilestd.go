package toolexec

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"

	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

// compileStd compiles a standard library package, with its patches if it
// has any.
func (x *Toolexec) compileStd(sp *spec.Spec, args []string, ip string) error {
	if len(sp.PatchesFor(ip)) == 0 {
		return x.passThrough(args)
	}
	first := goFiles(args)
	files := args[first:]
	srcs, err := readSources(files)
	if err != nil {
		return err
	}
	patched, decls, err := x.patchPackage(sp, args, ip, nil, files, srcs)
	if err != nil {
		return err
	}
	dir, err := workDir(args)
	if err != nil {
		return err
	}
	newArgs := append([]string(nil), args[:first]...)
	for i, f := range files {
		if !patched[i] {
			newArgs = append(newArgs, f)
			continue
		}
		name, err := writeRewritten(dir, i, f, srcs[i])
		if err != nil {
			return err
		}
		newArgs = append(newArgs, name)
	}
	for i, b := range decls {
		name := filepath.Join(dir, fmt.Sprintf("rasp_hooks_%d.go", i))
		if err := os.WriteFile(name, b, 0o644); err != nil {
			return err
		}
		newArgs = append(newArgs, name)
	}
	return x.passThrough(newArgs)
}

// readSources reads the files of a compile.
func readSources(files []string) ([][]byte, error) {
	srcs := make([][]byte, len(files))
	for i, f := range files {
		var err error
		if srcs[i], err = os.ReadFile(f); err != nil {
			return nil, err
		}
	}
	return srcs, nil
}

func packageName(file string, src []byte) (string, error) {
	af, err := parser.ParseFile(token.NewFileSet(), file, src, parser.PackageClauseOnly)
	if err != nil {
		return "", err
	}
	return af.Name.Name, nil
}
