package toolexec

import (
	"github.com/rasp-instrument/rasp-instrument/rewrite/callsite"

	"errors"
	"fmt"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
)

// CheckFiles parses and type-checks the files of one package, whose
// contents are srcs, against the export data named by cfg, as the compiler
// would see them.
func checkFiles(importPath string, names []string, srcs [][]byte, cfg *importCfg, goarch, lang string) (*callsite.Package, error) {
	fset := token.NewFileSet()
	pkg := &callsite.Package{Path: importPath, Fset: fset, Names: names}
	for i, name := range names {
		src := srcs[i]
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution|parser.ParseComments)
		if err != nil {
			return nil, err
		}
		pkg.Files = append(pkg.Files, f)
		pkg.Srcs = append(pkg.Srcs, src)
	}
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := cfg.Resolve(path)
		if !ok {
			return nil, fmt.Errorf("package %s is not in the compiler's import configuration", path)
		}
		return os.Open(file)
	})
	pkg.Info = callsite.NewInfo()
	var errs []error
	conf := types.Config{
		Importer:  imp,
		Sizes:     types.SizesFor("gc", goarch),
		GoVersion: lang,
		Error: func(err error) {
			if len(errs) < 10 {
				errs = append(errs, err)
			}
		},
	}
	tpkg, err := conf.Check(importPath, fset, pkg.Files, pkg.Info)
	if err != nil {
		return nil, errors.Join(errs...)
	}
	pkg.Types = tpkg
	return pkg, nil
}

// importArchives loads the export data of path from the archives in files.
func importArchives(files map[string]string, path string) (*types.Package, error) {
	imp := importer.ForCompiler(token.NewFileSet(), "gc", func(p string) (io.ReadCloser, error) {
		f, ok := files[p]
		if !ok {
			return nil, fmt.Errorf("no archive for %s", p)
		}
		return os.Open(f)
	})
	return imp.Import(path)
}
