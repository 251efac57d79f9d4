package rewrite

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// A StdPatch hooks a function of the standard library where every road to
// a sink passes, whatever the call site looked like. The patched package
// gets a hook variable, nil until the runtime sets it through a
// //go:linkname'd setter, and the function calls the hook first. A program
// that never links the runtime package owning the hook runs the function
// as before, at the cost of one nil check.
type StdPatch struct {
	Pkg string // import path: "net"
	// Func names the function to patch: "dialSingle" or
	// "(*sysDialer).dialSingle"; or Type names a struct type, whose new
	// fields Insert holds, inserted before its closing brace.
	Func, Type string
	// Anchor, when set, is text of the function's body after which Insert
	// goes; it must occur exactly once. Without it Insert goes right after
	// the opening brace.
	Anchor string
	Insert string // Go on one line: the patch never changes line numbers
	Decls  string // declarations added to the package in a file of their own
	// Optional patches skip a function that the target platform does not
	// have (syscall.Exec on wasm); their Decls are added all the same.
	Optional bool
}

// stdPatches are the standard library's patched entry points.
var stdPatches = []StdPatch{{
	// Every dial of package net, whatever road led to it (net.Dial, a
	// Dialer, an http.Transport of any client, a redirect), reaches
	// dialSingle with the address resolved: the hook judges the IP that is
	// about to be connected, so DNS rebinding does not pass.
	Pkg:  "net",
	Func: "(*sysDialer).dialSingle",
	Insert: `if h := __rasp_dialHook; h != nil && ctx.Value(__rasp_dnsDial{}) == nil { if herr := h(ctx, sd.network, sd.address, ra); herr != nil { ` +
		`return nil, &OpError{Op: "dial", Net: sd.network, Source: sd.LocalAddr, Addr: ra, Err: herr} } }; `,
	Decls: `
import "context"

var __rasp_dialHook func(ctx context.Context, network, address string, resolved Addr) error

// __rasp_dnsDial marks the context of the resolver's dials to its name
// servers: they carry the request's context, but are never its destination.
type __rasp_dnsDial struct{}

// __rasp_setDialHook is called by the runtime's nethook package at init.
//
//go:linkname __rasp_setDialHook
func __rasp_setDialHook(h func(ctx context.Context, network, address string, resolved Addr) error) {
	__rasp_dialHook = h
}
`,
}, {
	// The resolver's connection to a name server (from resolv.conf, or
	// through a Resolver's own Dial) inherits the context of the lookup,
	// and so the dial mark of the request that asked: it is marked as DNS
	// and not judged. A user's address equal to the name server's is dialed
	// outside this function, and judged.
	Pkg:    "net",
	Func:   "(*Resolver).dial",
	Insert: `ctx = context.WithValue(ctx, __rasp_dnsDial{}, true); `,
}, {
	// Goroutine-local storage: every goroutine gets a field for the request
	// it serves, inherited by the goroutines it starts and cleared when it
	// exits, so a sink call deep in a helper or a library, or in a
	// goroutine the handler started, knows its request without a context.
	Pkg:  "runtime",
	Type: "g",
	// __rasp_gls: the request the goroutine serves; __rasp_checked: the
	// value a call-site hook just judged, so the entry point it calls does
	// not judge it again; __rasp_query: the same for SQL queries, apart, so
	// that the files and commands a driver opens on the way (a password
	// file while connecting) do not take the query's place.
	Insert: "__rasp_gls, __rasp_checked, __rasp_query unsafe.Pointer; ",
}, {
	Pkg:    "runtime",
	Func:   "newproc1",
	Anchor: "newg.bubble = callergp.bubble",
	Insert: "; newg.__rasp_gls = callergp.__rasp_gls",
}, {
	Pkg:    "runtime",
	Func:   "gdestroy",
	Anchor: "gp.labels = nil",
	Insert: "; gp.__rasp_gls, gp.__rasp_checked, gp.__rasp_query = nil, nil, nil",
	Decls: `
import "unsafe"

//go:linkname __rasp_getGLS
//go:nosplit
func __rasp_getGLS() unsafe.Pointer { return getg().m.curg.__rasp_gls }

//go:linkname __rasp_setGLS
//go:nosplit
func __rasp_setGLS(p unsafe.Pointer) { getg().m.curg.__rasp_gls = p }

//go:linkname __rasp_getChecked
//go:nosplit
func __rasp_getChecked() unsafe.Pointer { return getg().m.curg.__rasp_checked }

//go:linkname __rasp_setChecked
//go:nosplit
func __rasp_setChecked(p unsafe.Pointer) { getg().m.curg.__rasp_checked = p }

//go:linkname __rasp_getQuery
//go:nosplit
func __rasp_getQuery() unsafe.Pointer { return getg().m.curg.__rasp_query }

//go:linkname __rasp_setQuery
//go:nosplit
func __rasp_setQuery(p unsafe.Pointer) { getg().m.curg.__rasp_query = p }
`,
},
	// Entry points: every road to a database query, a file open or a new
	// process passes through these, whatever the call site looked like
	// (an interface, a library, a struct literal). Call sites the build
	// rewrote were judged with their templates already; the entry hook
	// judges the rest with the request's inputs.
	sqlEntry("(*DB).QueryContext", "db"), sqlEntry("(*DB).ExecContext", "db"), sqlEntry("(*DB).PrepareContext", "db"),
	sqlEntry("(*Tx).QueryContext", "tx.db"), sqlEntry("(*Tx).ExecContext", "tx.db"), sqlEntry("(*Tx).PrepareContext", "tx.db"),
	sqlEntry("(*Conn).QueryContext", "c.db"), sqlEntry("(*Conn).ExecContext", "c.db"),
	{
		Pkg:    "database/sql",
		Func:   "(*Conn).PrepareContext",
		Insert: sqlEntryInsert("c.db"),
		Decls: `
import (
	"context"
	"database/sql/driver"
)

var __rasp_sqlHook func(ctx context.Context, drv driver.Driver, query string) error

//go:linkname __rasp_setSQLHook
func __rasp_setSQLHook(h func(ctx context.Context, drv driver.Driver, query string) error) { __rasp_sqlHook = h }

// __rasp_txDriver and __rasp_connDriver give the runtime the driver behind
// a transaction or a connection, for the SQL dialect of their call sites.
//
//go:linkname __rasp_txDriver
func __rasp_txDriver(tx *Tx) driver.Driver { return tx.db.Driver() }

//go:linkname __rasp_connDriver
func __rasp_connDriver(c *Conn) driver.Driver { return c.db.Driver() }
`,
	}, {
		Pkg:  "os",
		Func: "OpenFile",
		Insert: `if h := __rasp_openHook; h != nil { if herr := h(name, flag); herr != nil { ` +
			`return nil, &PathError{Op: "open", Path: name, Err: herr} } }; `,
	}, {
		Pkg:  "os",
		Func: "StartProcess",
		Insert: `if h := __rasp_startHook; h != nil { if herr := h(name, argv); herr != nil { ` +
			`return nil, &PathError{Op: "fork/exec", Path: name, Err: herr} } }; `,
		Decls: `
var __rasp_openHook func(name string, flag int) error

var __rasp_startHook func(name string, argv []string) error

//go:linkname __rasp_setFileHooks
func __rasp_setFileHooks(open func(name string, flag int) error, start func(name string, argv []string) error) {
	__rasp_openHook, __rasp_startHook = open, start
}
`,
	}, {
		// Exit hooks run when main returns and on os.Exit (log.Fatal too):
		// the runtime registers one that flushes its event queue, so a
		// short-lived program loses no event. Declarations only.
		Pkg: "internal/runtime/exithook",
		Decls: `
//go:linkname __rasp_addExitHook
func __rasp_addExitHook(f func()) { Add(Hook{F: f, RunOnFailure: true}) }
`,
	}, {
		// The process-replacing exec, which no exec.Cmd goes through.
		Pkg:      "syscall",
		Func:     "Exec",
		Optional: true,
		Insert:   `if h := __rasp_execHook; h != nil { if herr := h(argv0, argv); herr != nil { return herr } }; `,
		Decls: `
var __rasp_execHook func(argv0 string, argv []string) error

//go:linkname __rasp_setExecHook
func __rasp_setExecHook(h func(argv0 string, argv []string) error) { __rasp_execHook = h }
`,
	}}

// sqlEntry hooks a database/sql method whose receiver's *DB is db.
func sqlEntry(fn, db string) StdPatch {
	return StdPatch{Pkg: "database/sql", Func: fn, Insert: sqlEntryInsert(db)}
}

func sqlEntryInsert(db string) string {
	return `if h := __rasp_sqlHook; h != nil { if herr := h(ctx, ` + db + `.Driver(), query); herr != nil { return nil, herr } }; `
}

// linknameImport is added to every file of declarations: //go:linkname
// needs it.
const linknameImport = "\nimport _ \"unsafe\"\n"

// StdPatchesFor returns the patches of a standard library package.
func StdPatchesFor(pkg string) []StdPatch {
	var out []StdPatch
	for _, p := range stdPatches {
		if p.Pkg == pkg {
			out = append(out, p)
		}
	}
	return out
}

// funcName spells a declaration as StdPatch.Func does.
func funcName(fd *ast.FuncDecl) string {
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

func (p StdPatch) String() string {
	if p.Type != "" {
		return p.Pkg + "." + p.Type
	}
	return p.Pkg + "." + p.Func
}

// insertAt returns the offset in src where p's Insert goes, if decl is the
// declaration p patches; -1 if it is not; an error if it is but the anchor
// is not found exactly once.
func (p StdPatch) insertAt(fset *token.FileSet, src []byte, decl ast.Decl) (int, error) {
	off := func(pos token.Pos) int { return fset.Position(pos).Offset }
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if p.Func == "" || d.Body == nil || funcName(d) != p.Func {
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

// ApplyStdPatches patches the files of a standard library package. It
// returns the new content of each file it changed (by index) and the added
// files' contents. A patch whose function or anchor is missing is an
// error: the toolchain's library changed shape and the hook would silently
// be lost.
func ApplyStdPatches(pkgName string, patches []StdPatch, files []string, srcs [][]byte) (map[int][]byte, [][]byte, error) {
	changed := map[int][]byte{}
	var added [][]byte
	for _, p := range patches {
		if strings.Contains(p.Insert, "\n") {
			return nil, nil, fmt.Errorf("patch %s: Insert must be one line", p)
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
			if found {
				break
			}
		}
		if !found && !p.Optional {
			return nil, nil, fmt.Errorf("cannot hook %s: it is not in this Go release's %s; "+
				"this rasp-instrument does not support the toolchain, update it", p, p.Pkg)
		}
		if p.Decls != "" {
			added = append(added, []byte("package "+pkgName+"\n"+linknameImport+p.Decls))
		}
	}
	return changed, added, nil
}

// compileStd compiles a standard library package, with its patches if it
// has any.
func (x *Toolexec) compileStd(args []string, ip string, first int) error {
	patches := StdPatchesFor(ip)
	if len(patches) == 0 {
		return x.passThrough(args)
	}
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
	changed, added, err := ApplyStdPatches(name, patches, files, srcs)
	if err != nil {
		return err
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
