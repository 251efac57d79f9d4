package toolexec

import (
	"github.com/rasp-instrument/rasp-instrument/rewrite/callsite"

	"errors"
	"fmt"
	"go/ast"
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
//
// With a keep function, the bodies of the functions for which keep(body)
// is false are left out of the check (the rewrite finds nothing there):
// in large packages (modernc.org/libc) most of the time of the check. An
// import only such bodies used is then unused, which is not an error here;
// the compiler still sees the whole package.
func checkFiles(importPath string, names []string, srcs [][]byte, cfg *importCfg, goarch, lang string, keep func(body []byte) bool) (*callsite.Package, error) {
	fset := token.NewFileSet()
	pkg := &callsite.Package{Path: importPath, Fset: fset, Names: names}
	stripped := false
	for i, name := range names {
		src := srcs[i]
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution|parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if keep != nil && stripBodies(fset.File(f.Pos()), f, src, keep) {
			stripped = true
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
			if te, ok := err.(types.Error); ok && te.Soft && stripped {
				return // an import or variable that only the left-out bodies used
			}
			if len(errs) < 10 {
				errs = append(errs, err)
			}
		},
	}
	tpkg, _ := conf.Check(importPath, fset, pkg.Files, pkg.Info)
	if len(errs) > 0 {
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

// stripBodies leaves out of f the bodies of the functions for which keep
// is false (an init function keeps an empty body), and reports whether it
// left out any. A file with a dot import keeps every body: its references
// need no selector.
func stripBodies(tf *token.File, f *ast.File, src []byte, keep func([]byte) bool) bool {
	for _, imp := range f.Imports {
		if imp.Name != nil && imp.Name.Name == "." {
			return false
		}
	}
	stripped := false
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil || keep(src[tf.Offset(fd.Body.Lbrace):tf.Offset(fd.Body.Rbrace)]) {
			continue
		}
		if fd.Recv == nil && fd.Name.Name == "init" {
			fd.Body.List = nil
		} else {
			fd.Body = nil
		}
		stripped = true
	}
	return stripped
}
