// Package stdhook holds the runtime's hooks of the standard library's
// entry points, and installs them (stdhook_std.go, in a build with the tag
// rasp_std, through the go:linkname setters of pulls_std.go, generated
// from rewrite/patch/decls).
//
// A program built with the tool has the standard library's entry points
// patched (the entry join points of sinks.yaml, with the declarations of
// rewrite/patch/decls) to call these: every database query (database/sql's
// QueryContext, ExecContext and PrepareContext of DB, Tx and Conn), every
// file open (os.OpenFile) and every new process (os.StartProcess,
// syscall.Exec), whatever road led there: an interface, an ORM, a library,
// a struct literal. A call the build rewrote
// was judged at its call site, with its templates, and marks its value as
// checked; the entry hook skips it. The others carry no template, so the
// entry hooks judge only what the request's inputs prove dynamic: outside a
// request, or when no input occurs in the value, they never report (the
// value may be anything the code built).
package stdhook
