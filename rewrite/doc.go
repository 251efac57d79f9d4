// Package rewrite holds the build side of rasp-instrument; its packages do
// the work, and this comment tells how a build flows through them.
//
// # From go build to a protected binary
//
// go build -toolexec=rasp-instrument runs every Go tool through the
// rasp-instrument binary (cmd/rasp-instrument), which hands any call with a
// tool's path to [toolexec]. There, and nowhere else, the tools are
// intercepted:
//
//  1. The go command first asks each tool for its identity (-V=full).
//     [toolexec] answers with the tool's line plus a hash of the rasp-instrument
//     binary and of the sink spec, so instrumented and plain builds never
//     share cache entries and an edit of the spec rebuilds what it affects.
//     The runtime is built when a compile first needs it (a rewritten
//     package, the main package, the link), once per configuration, in a
//     nested go list through this same tool: not at the probe, which the
//     go command waits for before any compile.
//
//  2. Each compile is sorted by [toolexec]'s decide: the runtime's own
//     packages (compiled as they are, paths trimmed), the standard library
//     (patched), packages the spec excludes (compiled as written, with a
//     warning), and the rest: the program and every dependency from the
//     module cache, which are instrumented.
//
//  3. Standard library: [patch] applies the spec's entry, struct and
//     package join points to the sources the go command passes, adding a
//     line at the top of functions such as os.OpenFile and
//     database/sql.(*DB).QueryContext, and the declarations files of
//     rewrite/patch/decls. The lines call hook variables that stay nil
//     until the runtime sets them through //go:linkname.
//
//  4. Instrumented packages: a cheap byte search ([spec.Spec.Mentions]) skips
//     files that cannot reference a join point; the others are type-checked
//     against the compiler's own import configuration (leaving out the
//     function bodies that spell no call of the spec), and [callsite]
//     rewrites every call, function value and method expression of a call
//     join point into a call of its runtime hook, with a site variable that
//     records the position and the template of each judged argument: which
//     bytes the programmer wrote, and which came from a variable. Lines
//     never move. A reference the rewrite cannot handle fails the build.
//     The main package also gets a file that imports the runtime, so every
//     program links it. Each instrumented package also gets a file that
//     hands the runtime its [manifest] record: the call sites rewritten,
//     per family.
//
//  5. The runtime (the runtime/ tree, embedded in the tool, unpacked by
//     internal/runtimesrc) is built by `go list -export` through the tool
//     itself, with the build's flags and the rasp_std tag, and its archives
//     are added to the import configurations of the rewritten packages and
//     of the link. The link also writes the [manifest]'s link record (tool,
//     Go release, spec, flags, entry points, excluded packages) into the
//     runtime with -X; `rasp-instrument inspect` reads the records back
//     from the executable.
//
// # What is instrumented
//
// sinks.yaml at the repository's root, read by [spec], declares every join
// point and its advice; `rasp-instrument sinks` checks it against the Go
// release and the runtime, and lists it. `rasp-instrument diff` runs step 4
// without building and shows the result.
package rewrite
