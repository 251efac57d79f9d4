// Package rasp is the runtime that rasp-instrument links into every program
// it builds. The rewriter reroutes each call to a configured sink (a SQL
// query, a command, a file path, a network address) to a hook in this
// package; the hook asks a detector whether the call is an attack, records an
// event, and in block mode refuses the call with an error that matches
// errors.Is(err, ErrBlocked).
//
// The package lives in the directory runtime/ of the rasp-instrument module
// and is named rasp; import it as
//
//	import rasp "github.com/rasp-instrument/rasp-instrument/runtime"
//
// when a program wants to test for ErrBlocked. Programs built with the tool
// never need to import it: the build adds it.
//
// Constraints: the package is compiled by the user's toolchain inside the
// user's build, so it imports the standard library only and compiles with
// Go 1.22. Hooks fail open: a detector that panics is recovered, counted and
// logged, and the call goes ahead.
package rasp
