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
// The package holds only what generated code and users name: the hooks,
// the CheckedSQL helpers, NewSite, T and Tn, Instrumented, Site, Start,
// ErrBlocked and BlockedError, and ReloadPolicy. The rest of the runtime is in
// runtime/internal, in layers that import only the layers before them:
// span; taint (templates and the correlation of request inputs); metrics;
// events (the event queue, the rate limiter, the log); callsite (Site and
// BlockedError); reqctx (the request and the goroutine-local state);
// judge (modes, policy, allowlists, a finding to an event); detect (the
// detector adapters); stdhook (the standard library's entry points). The
// hook packages httphook and nethook use them too.
//
// Constraints: the package is compiled by the user's toolchain inside the
// user's build, so it imports the standard library only and compiles with
// Go 1.22. Hooks fail open: a detector that panics is recovered, counted and
// logged, and the call goes ahead.
package rasp
