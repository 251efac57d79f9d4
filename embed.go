// Package raspinstrument holds the files that the rasp-instrument binary
// carries with it: the default sink spec and the source of the runtime that
// it compiles into every instrumented program.
package raspinstrument

import "embed"

// DefaultSinks is the content of sinks.yaml at the root of the repository.
//
//go:embed sinks.yaml
var DefaultSinks []byte

// RuntimeSource is the runtime/ tree. Files ending in _test.go and testdata
// folders are not part of the runtime and are skipped when it is unpacked.
//
//go:embed runtime
var RuntimeSource embed.FS

// ModulePath is the module path of rasp-instrument; the runtime is compiled
// under it as ModulePath + "/runtime".
const ModulePath = "github.com/rasp-instrument/rasp-instrument"

// RuntimePath is the import path of package rasp, the runtime's API for
// the programs it protects; every other runtime package is under it.
const RuntimePath = ModulePath + "/runtime"

// ImplPath is the import path of package raspimpl, what generated code
// calls: the hooks of the standard library's calls, NewSite, Start. Every
// instrumented program links it.
const ImplPath = RuntimePath + "/raspimpl"
