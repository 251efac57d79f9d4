// Package patch patches the source of a package as the go command hands
// it to the compiler: a line of Go at the top of a function (or after an
// anchor in its body), fields in a struct type, and declarations in a file
// of their own. Patches never shift a line, so the compiler's positions
// (and panics' stacks) stay true.
//
// What to patch is declared in sinks.yaml (entry, struct and package join
// points); the declarations are the Go files of decls/, built into the
// tool, each with the build tag rasp_decls that keeps it out of the tool's
// own build.
package patch

import (
	"bytes"
	"embed"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/rewrite/patch/internal/pulls"
)

// A Patch hooks a function of the standard library where every road to a
// sink passes, whatever the call site looked like. The patched package
// gets a hook variable, nil until the runtime sets it through a
// //go:linkname'd setter, and the function calls the hook first. A program
// that never links the runtime runs the function as before, at the cost of
// one nil check.
type Patch struct {
	Pkg string // import path: "net"
	// Func names the function to patch: "dialSingle" or
	// "(*sysDialer).dialSingle"; or Type names a struct type, whose new
	// fields Insert holds, inserted before its closing brace. With neither,
	// the patch only adds Decls.
	Func, Type string
	// Anchor, when set, is text of the function's body after which Insert
	// goes; it must occur exactly once. Without it Insert goes right after
	// the opening brace.
	Anchor string
	Insert string // Go on one line: the patch never changes line numbers
	Decls  string // name of a file of decls/ added to the package, or ""
	// Optional patches skip a function that the target platform does not
	// have (syscall.Exec on wasm); their Decls are added all the same.
	Optional bool
}

func (p Patch) String() string {
	switch {
	case p.Type != "":
		return p.Pkg + "." + p.Type
	case p.Func != "":
		return p.Pkg + "." + p.Func
	}
	return p.Pkg
}

//go:embed decls/*.go
var decls embed.FS

// Decls returns the content of a declarations file of decls/.
func Decls(name string) ([]byte, error) {
	b, err := decls.ReadFile("decls/" + name)
	if err != nil {
		return nil, fmt.Errorf("no declarations file %s in the tool (rewrite/patch/decls)", name)
	}
	return b, nil
}

//go:generate go run ./internal/genpulls

// LinkedDecls returns the names of the declarations files of decls/ that
// the runtime built into the tool reaches by //go:linkname: a build
// without them would not link. They are the files that push a function
// (//go:linkname NAME), read as the generator of the runtime's pulls reads
// them (package internal/pulls); a malformed //rasp:pull directive, which
// TestPulls reports, drops none of them.
func LinkedDecls() []string { return slices.Clone(linkedDecls()) }

var linkedDecls = sync.OnceValue(func() []string {
	pushes, _ := pulls.Read(decls, "decls")
	var out []string
	for _, p := range pushes {
		if !slices.Contains(out, p.File) {
			out = append(out, p.File)
		}
	}
	return out
})

// FuncName spells a function declaration as Patch.Func does:
// "(*sysDialer).dialSingle".
func FuncName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	star := ""
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = "*", s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	id, _ := t.(*ast.Ident)
	if id == nil {
		return fd.Name.Name
	}
	if star != "" {
		return "(*" + id.Name + ")." + fd.Name.Name
	}
	return id.Name + "." + fd.Name.Name
}

// insertAt returns the offset in src where p's Insert goes, if decl is the
// declaration p patches; -1 if it is not; an error if it is but the anchor
// is not found exactly once.
func (p Patch) insertAt(fset *token.FileSet, src []byte, decl ast.Decl) (int, error) {
	off := func(pos token.Pos) int { return fset.Position(pos).Offset }
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if p.Func == "" || d.Body == nil || FuncName(d) != p.Func {
			return -1, nil
		}
		if p.Anchor == "" {
			return off(d.Body.Lbrace) + 1, nil
		}
		body := src[off(d.Body.Lbrace):off(d.Body.Rbrace)]
		if bytes.Count(body, []byte(p.Anchor)) != 1 {
			return 0, fmt.Errorf("the text %q is not in %s exactly once", p.Anchor, p)
		}
		return off(d.Body.Lbrace) + bytes.Index(body, []byte(p.Anchor)) + len(p.Anchor), nil
	case *ast.GenDecl:
		if p.Type == "" || d.Tok != token.TYPE {
			return -1, nil
		}
		for _, spec := range d.Specs {
			ts := spec.(*ast.TypeSpec)
			if st, ok := ts.Type.(*ast.StructType); ok && ts.Name.Name == p.Type {
				return off(st.Fields.Closing), nil
			}
		}
	}
	return -1, nil
}

// Apply patches the files of a standard library package. It returns the
// new content of each file it changed (by index) and the added files'
// contents. A patch whose function or anchor is missing is an error: the
// toolchain's library changed shape and the hook would silently be lost.
func Apply(patches []Patch, files []string, srcs [][]byte) (map[int][]byte, [][]byte, error) {
	changed := map[int][]byte{}
	var added [][]byte
	for _, p := range patches {
		if strings.Contains(p.Insert, "\n") {
			return nil, nil, fmt.Errorf("patch %s: the inserted text must be one line", p)
		}
		found := p.Func == "" && p.Type == "" // declarations only
		for i, f := range files {
			if found {
				break
			}
			src := srcs[i]
			if b, ok := changed[i]; ok {
				src = b
			}
			fset := token.NewFileSet()
			af, err := parser.ParseFile(fset, f, src, parser.SkipObjectResolution|parser.ParseComments)
			if err != nil {
				return nil, nil, fmt.Errorf("patching %s: %v", p.Pkg, err)
			}
			for _, d := range af.Decls {
				at, err := p.insertAt(fset, src, d)
				if err != nil {
					return nil, nil, fmt.Errorf("cannot hook %s: %v; this rasp-instrument does not support the toolchain, update it", p, err)
				}
				if at < 0 {
					continue
				}
				var b bytes.Buffer
				b.Write(src[:at])
				b.WriteString(p.Insert)
				b.Write(src[at:])
				changed[i] = b.Bytes()
				found = true
				break
			}
		}
		if !found && !p.Optional {
			return nil, nil, fmt.Errorf("cannot hook %s: it is not in this Go release's %s; "+
				"this rasp-instrument does not support the toolchain, update it", p, p.Pkg)
		}
		if p.Decls != "" {
			b, err := Decls(p.Decls)
			if err != nil {
				return nil, nil, fmt.Errorf("patch %s: %v", p, err)
			}
			added = append(added, b)
		}
	}
	return changed, added, nil
}
