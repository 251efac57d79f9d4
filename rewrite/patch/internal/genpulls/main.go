// Command genpulls writes the runtime's //go:linkname pulls of the
// functions that the declarations files of rewrite/patch/decls push: one
// pulls_std.go and pulls_std.s per pulling package, as the //rasp:pull
// directives of the declarations files say (package
// rewrite/patch/internal/pulls). It removes the generated files of a
// package that pulls nothing any more. Run it from rewrite/patch:
//
//	go generate ./rewrite/patch
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/rasp-instrument/rasp-instrument/rewrite/patch/internal/pulls"
)

func main() {
	root := flag.String("root", "../..", "the module's root directory")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintln(os.Stderr, "genpulls:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	fsys := os.DirFS(root)
	pushes, err := pulls.Read(fsys, pulls.DeclsDir)
	if err != nil {
		return err
	}
	files, err := pulls.Files(pushes, fsys)
	if err != nil {
		return err
	}
	old, err := pulls.Generated(fsys, "runtime")
	if err != nil {
		return err
	}
	for _, p := range old {
		if _, ok := files[p]; !ok {
			if err := os.Remove(filepath.Join(root, filepath.FromSlash(p))); err != nil {
				return err
			}
		}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		name := filepath.Join(root, filepath.FromSlash(p))
		if b, err := os.ReadFile(name); err == nil && string(b) == string(files[p]) {
			continue
		}
		if err := os.WriteFile(name, files[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}
