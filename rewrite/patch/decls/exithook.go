//go:build rasp_decls

// Declarations added to package internal/runtime/exithook: a way for the
// runtime to register a hook that runs when the program exits.

package exithook // import "internal/runtime/exithook"

import _ "unsafe" // for go:linkname

//go:linkname __rasp_addExitHook
//rasp:pull runtime/internal/stdhook addExitHook
func __rasp_addExitHook(f func()) { Add(Hook{F: f, RunOnFailure: true}) }
