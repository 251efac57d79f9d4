// Package rasp is what a program protected by rasp-instrument may name:
// the error a refused call returns, a way to reload the policy, and a way
// to name the user of a request.
//
// A program built with
//
//	go build -toolexec=rasp-instrument ./...
//
// needs no change and never has to import this package: the build links
// the runtime. A call the runtime refuses (block mode) returns an error
// that matches errors.Is(err, ErrBlocked); errors.As gives its
// *BlockedError, which names the rule and the request. Import the package
// as
//
//	import rasp "github.com/rasp-instrument/rasp-instrument/runtime"
//
// Importing it links only this small package: in a program built without
// the tool nothing is refused, and ReloadPolicy says there is no policy.
//
// What generated code calls (the hooks, the call sites, the start of the
// runtime) is in package raspimpl, which only the build imports; the
// detectors and their layers are under runtime/internal.
package rasp
